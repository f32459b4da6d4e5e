// Shared plumbing of the Node interop drivers (mtcute_client.mjs, gramjs_client.mjs); the Telethon
// driver (telethon_client.py) follows the same conventions in Python:
//  - options from the command line, each with an INTEROP_* environment fallback;
//  - stdout carries only JSON lines, one per step:
//      {"client":..,"transport":..,"step":..,"ok":true|false,"detail":..}
//    (library logs go to stderr);
//  - steps run in order, `connect` always first; the first failure ends the run with exit code 1.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

// Library logs must not mix with the JSON lines on stdout.
for (const name of ['log', 'info', 'debug', 'warn', 'trace']) {
  console[name] = (...args) => console.error(...args)
}

export const STEPS = ['connect', 'signin-user', 'signup-user', 'sendcode-only', 'signin-bot', 'signin-qr', 'send-and-get', 'reconnect', 'members', 'file', 'receive-updates', 'answer-buttons']

const OPTIONS = {
  'host': { type: 'string', env: 'INTEROP_HOST', def: '127.0.0.1', help: 'main DC address' },
  'port': { type: 'string', env: 'INTEROP_PORT', help: 'main DC port' },
  'dc': { type: 'string', env: 'INTEROP_DC', def: '2', help: 'main DC id' },
  'dcs': { type: 'string', env: 'INTEROP_DCS', help: 'JSON {"1":["127.0.0.1",port],...}; overrides host/port of the main DC' },
  'rsa-key': { type: 'string', env: 'INTEROP_RSA_KEY', help: 'server public key, PKCS#1 PEM ("BEGIN RSA PUBLIC KEY")' },
  'transport': { type: 'string', env: 'INTEROP_TRANSPORT', help: 'transport name (--list-transports)' },
  'mtproxy-secret': { type: 'string', env: 'INTEROP_MTPROXY_SECRET', def: '0123456789abcdef0123456789abcdef', help: '16-byte hex secret of the mtproxy-* transports (dd/ee prefixes are added per transport)' },
  'mtproxy-domain': { type: 'string', env: 'INTEROP_MTPROXY_DOMAIN', def: 'example.com', help: 'fake-TLS domain (mtproxy-faketls)' },
  'scenario': { type: 'string', env: 'INTEROP_SCENARIO', def: 'connect', help: `comma-separated steps: ${STEPS.join(',')}` },
  'phone': { type: 'string', env: 'INTEROP_PHONE', help: 'signin-user / signup-user / sendcode-only: phone number; signin-qr: the account the second client signs in with a code and then logs the first one in as' },
  'code': { type: 'string', env: 'INTEROP_CODE', help: 'signin-user: the login code' },
  'code-file': { type: 'string', env: 'INTEROP_CODE_FILE', help: 'signin-user / signup-user / sendcode-only: file the code appears in after sendCode ({phone} is replaced); polled' },
  'first-name': { type: 'string', env: 'INTEROP_FIRST_NAME', def: 'Interop', help: 'signup-user: first name of the new account' },
  'password': { type: 'string', env: 'INTEROP_PASSWORD', help: 'signin-user / signin-qr: 2FA password, if the account has one' },
  'bot-token': { type: 'string', env: 'INTEROP_BOT_TOKEN', help: 'signin-bot: token; receive-updates: the token of the bot that sends the messages' },
  'count': { type: 'string', env: 'INTEROP_COUNT', def: '100', help: 'receive-updates: messages the bot sends; answer-buttons: button presses (and inline queries) to answer' },
  'peer': { type: 'string', env: 'INTEROP_PEER', def: 'me', help: 'send-and-get / file: chat to use ("me" = saved messages)' },
  'channel': { type: 'string', env: 'INTEROP_CHANNEL', help: 'members: channel or supergroup username' },
  'min-members': { type: 'string', env: 'INTEROP_MIN_MEMBERS', def: '1', help: 'members: fail below this count' },
  'file-size': { type: 'string', env: 'INTEROP_FILE_SIZE', def: String(10 * 1024 * 1024 + 12345), help: 'file: bytes to upload' },
  'api-id': { type: 'string', env: 'INTEROP_API_ID', def: '17349', help: 'api_id sent in initConnection' },
  'api-hash': { type: 'string', env: 'INTEROP_API_HASH', def: '344583e45741c457fe1862106095a5eb', help: 'api_hash' },
  'sync-dir': { type: 'string', env: 'INTEROP_SYNC_DIR', help: 'reconnect: the step creates <dir>/ready, then waits for <dir>/dropped (the runner drops the connections in between)' },
  'timeout': { type: 'string', env: 'INTEROP_TIMEOUT', def: '60', help: 'seconds per step (the file step gets 5x)' },
  'disconnect-midway': { type: 'boolean', env: 'INTEROP_DISCONNECT_MIDWAY', help: 'receive-updates: the receiver disconnects (the library\'s own call) halfway through, the bot sends a quarter of the messages meanwhile, then it connects again' },
  'no-updates': { type: 'boolean', env: 'INTEROP_NO_UPDATES', help: 'turn the library\'s update handling off where it can' },
  'verbose': { type: 'boolean', env: 'INTEROP_VERBOSE', help: 'library debug logs on stderr' },
  'list-transports': { type: 'boolean', help: 'print the transports as JSON and exit' },
  'help': { type: 'boolean', help: 'this text' },
}

function usage(client, transports) {
  const lines = [`usage: ${client} driver [options]`, '']
  for (const [name, o] of Object.entries(OPTIONS)) {
    const env = o.env ? ` [$${o.env}]` : ''
    const def = o.def !== undefined ? ` (default ${o.def})` : ''
    lines.push(`  --${name}${o.type === 'string' ? ' V' : ''}  ${o.help}${def}${env}`)
  }
  lines.push('', 'transports:')
  for (const [name, t] of Object.entries(transports)) lines.push(`  ${name.padEnd(24)} ${t.about}`)
  return lines.join('\n')
}

// Returns the options, with `dcs` parsed into {id: [host, port]} and `steps` into a list.
export function parseOptions(client, transports, defaultTransport) {
  const spec = {}
  for (const [name, o] of Object.entries(OPTIONS)) spec[name] = { type: o.type }
  const { values } = parseArgs({ options: spec, strict: true })
  if (values.help) {
    process.stdout.write(usage(client, transports) + '\n')
    process.exit(0)
  }
  if (values['list-transports']) {
    process.stdout.write(JSON.stringify({ client, default: defaultTransport, transports: Object.keys(transports) }) + '\n')
    process.exit(0)
  }
  const opts = {}
  for (const [name, o] of Object.entries(OPTIONS)) {
    let v = values[name]
    if (v === undefined && o.env && process.env[o.env] !== undefined && process.env[o.env] !== '') {
      v = o.type === 'boolean' ? !['0', 'false', 'no'].includes(process.env[o.env]) : process.env[o.env]
    }
    if (v === undefined) v = o.def
    opts[name] = v
  }
  opts.transport = opts.transport || defaultTransport
  if (!transports[opts.transport]) {
    fail(client, opts.transport, `unknown transport; ${client} has: ${Object.keys(transports).join(', ')}`)
  }
  opts.dc = Number(opts.dc)
  const dcsJson = opts.dcs
  opts.dcs = {}
  if (dcsJson) {
    for (const [id, addr] of Object.entries(JSON.parse(dcsJson))) {
      opts.dcs[Number(id)] = [String(addr[0]), Number(addr[1])]
    }
  }
  if (opts.dcs[opts.dc]) {
    [opts.host, opts.port] = opts.dcs[opts.dc]
  } else {
    if (!opts.port) fail(client, opts.transport, 'no --port (or --dcs entry for the main DC)')
    opts.dcs[opts.dc] = [opts.host, Number(opts.port)]
  }
  opts.port = Number(opts.port)
  if (!opts['rsa-key']) fail(client, opts.transport, 'no --rsa-key')
  opts.rsaPem = readFileSync(opts['rsa-key'], 'utf8')
  opts.steps = opts.scenario.split(',').map((s) => s.trim()).filter(Boolean)
  for (const s of opts.steps) {
    if (!STEPS.includes(s)) fail(client, opts.transport, `unknown step ${s}; steps: ${STEPS.join(', ')}`)
  }
  if (opts.steps[0] !== 'connect') opts.steps.unshift('connect')
  opts.timeoutMs = Number(opts.timeout) * 1000
  opts.fileSize = Number(opts['file-size'])
  opts.apiId = Number(opts['api-id'])
  return opts
}

export function emit(client, transport, step, ok, detail) {
  process.stdout.write(JSON.stringify({ client, transport, step, ok, detail }) + '\n')
}

function fail(client, transport, message) {
  emit(client, transport ?? null, 'setup', false, message)
  process.exit(2)
}

export function errorText(e) {
  if (e === undefined || e === null) return String(e)
  const parts = []
  if (e.constructor && e.constructor.name && e.constructor.name !== 'Error') parts.push(e.constructor.name)
  if (e.code !== undefined) parts.push(String(e.code))
  if (e.errorMessage) parts.push(e.errorMessage)
  if (e.text && e.text !== e.errorMessage) parts.push(e.text)
  parts.push(e.message ?? String(e))
  return parts.join(': ')
}

// Runs `steps` ({name: async () => detail}) in opts.steps order, one JSON line each; returns the exit
// code. `cleanup` (best effort, bounded) runs at the end either way.
export async function runSteps(client, opts, steps, cleanup) {
  let code = 0
  for (const step of opts.steps) {
    const limit = step === 'file' ? opts.timeoutMs * 5 : opts.timeoutMs
    let timer
    const started = Date.now()
    try {
      const detail = await Promise.race([
        steps[step](),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${limit / 1000} s`)), limit) }),
      ])
      emit(client, opts.transport, step, true, { ...detail, ms: Date.now() - started })
    } catch (e) {
      emit(client, opts.transport, step, false, errorText(e))
      code = 1
      break
    } finally {
      clearTimeout(timer)
    }
  }
  try {
    await Promise.race([cleanup(), new Promise((r) => setTimeout(r, 3000))])
  } catch { /* the run's result is already out */ }
  return code
}

// The deterministic test file: SHA-256("tgrpc-interop <i>") for i = 0, 1, ..., cut to `size` bytes.
// telethon_client.py builds the same bytes.
export function makeFile(size) {
  const out = Buffer.alloc(size)
  for (let i = 0, off = 0; off < size; i++, off += 32) {
    createHash('sha256').update(`tgrpc-interop ${i}`).digest().copy(out, off, 0, Math.min(32, size - off))
  }
  return out
}

export function sha256hex(buf) {
  return createHash('sha256').update(buf).digest('hex')
}

// The login code: --code, or the first non-empty content of --code-file (polled; {phone} in the
// path is replaced by the phone number's digits).
export async function readCode(opts) {
  if (opts.code) return opts.code
  if (!opts['code-file']) throw new Error('signin-user needs --code or --code-file')
  const path = opts['code-file'].replace('{phone}', (opts.phone ?? '').replace(/\D/g, ''))
  for (;;) {
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8').trim()
      if (text) return text
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

// A phone number's digits (what Telegram keys accounts by; getMe gives them without the +).
export function phoneDigits(phone) {
  return String(phone ?? '').replace(/\D/g, '')
}

// The token of a QR login URL, tg://login?token=<base64url, unpadded>.
export function tokenFromUrl(url) {
  const m = /^tg:\/\/login\?token=([A-Za-z0-9_-]+=*)$/.exec(url)
  if (!m) throw new Error(`not a tg://login?token= URL: ${url}`)
  return Buffer.from(m[1], 'base64url')
}

export function tokenUrl(token) {
  return `tg://login?token=${Buffer.from(token).toString('base64url')}`
}

// The reconnect step's handshake with the runner: <sync-dir>/ready says "idle, drop the
// connections now"; the runner creates <sync-dir>/dropped once fakedc has dropped them.
export async function awaitDrop(opts) {
  const dir = opts['sync-dir']
  if (!dir) throw new Error('reconnect needs --sync-dir')
  writeFileSync(join(dir, 'ready.tmp'), `${process.pid}\n`)
  renameSync(join(dir, 'ready.tmp'), join(dir, 'ready'))
  const started = Date.now()
  while (!existsSync(join(dir, 'dropped'))) await new Promise((r) => setTimeout(r, 50))
  return Date.now() - started
}

export function messageText(client, transport) {
  return `interop ${client} ${transport} ${Date.now()} ${Math.floor(Math.random() * 1e9)}`
}

// receive-updates: the text of the bot's i-th message in run `tag`, and its index back (-1: not
// one of the run's messages).
export function updateText(tag, i) {
  return `updates ${tag} ${i}`
}

export function updateIndex(tag, text) {
  const prefix = `updates ${tag} `
  if (typeof text !== 'string' || !text.startsWith(prefix)) return -1
  const i = Number(text.slice(prefix.length))
  return Number.isInteger(i) && i >= 0 ? i : -1
}

// What a receiver got of `sent` messages numbered 0..sent-1, in arrival order: each once and in
// order is ok. Counts the lost, the duplicated and the ones that came after a later one.
export function auditDeliveries(sent, arrived) {
  const seen = new Map()
  let outOfOrder = 0
  let highest = -1
  for (const i of arrived) {
    seen.set(i, (seen.get(i) ?? 0) + 1)
    if (seen.get(i) === 1) {
      if (i < highest) outOfOrder++
      highest = Math.max(highest, i)
    }
  }
  const lost = []
  for (let i = 0; i < sent; i++) if (!seen.has(i)) lost.push(i)
  let duplicated = 0
  const twice = []
  for (const [i, n] of seen) {
    duplicated += n - 1
    if (n > 1) twice.push(i)
  }
  const unexpected = [...seen.keys()].filter((i) => i >= sent).length
  return {
    sent,
    received: arrived.length,
    lost: lost.length,
    duplicated,
    out_of_order: outOfOrder,
    unexpected,
    first_lost: lost.slice(0, 10),
    first_duplicated: twice.sort((a, b) => a - b).slice(0, 10),
    ok: lost.length === 0 && duplicated === 0 && outOfOrder === 0 && unexpected === 0,
  }
}

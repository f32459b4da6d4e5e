#!/usr/bin/env node
// GramJS's side of the session import test (npm `telegram`, installed in tests/interop/node_modules
// by deploy/interop_setup.sh).
//
//   signin  signs in to fakedc with a code over GramJS's default transport in Node (TCP full),
//           then prints the library's own StringSession: client.session.save().
//   load    starts GramJS from a session string (one tgrpcd exported), calls getMe() and, with
//           --message-id, reads that message from saved messages.
//
// Prints one JSON line on stdout: {"ok": true, "user_id": ..., "session": ..., ...} or
// {"ok": false, "error": "..."}; exit status 0 only when ok.
//
// GramJS dials port 80 (443 for DCs it learns) whatever the session says, so its connection class
// is wrapped to dial the port --dcs gives for the DC, as tests/interop/gramjs_client.mjs does. The
// session keeps the port it was given, and StringSession.save() writes it with writeInt16BE: a
// port above 32767 throws RangeError, so fakedc must listen on low ports (the runner sees to it).
//
//   node gramjs_session.mjs --mode signin --dcs '{"1":["127.0.0.1",p1],...}' --rsa-key fakedc.pem \
//       --phone +15550000002 --code-file 'DIR/codes/{phone}'
//   node gramjs_session.mjs --mode load --dcs ... --rsa-key fakedc.pem --session 1AQAJ...
import { createRequire } from 'node:module'
import { createHash, createPublicKey } from 'node:crypto'
import { existsSync, readFileSync, unlinkSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const HERE = dirname(fileURLToPath(import.meta.url))
// The pinned GramJS of tests/interop (package.json / package-lock.json there).
const require = createRequire(join(HERE, '..', 'interop', 'package.json'))
const { TelegramClient, Api } = require('telegram')
const { StringSession } = require('telegram/sessions')
const { Logger, LogLevel } = require('telegram/extensions/Logger')
const { ConnectionTCPFull } = require('telegram/network/connection')
const { readBigIntFromBuffer } = require('telegram/Helpers')
const { _serverKeys } = require('telegram/crypto/RSA')

const API_ID = 17349
const API_HASH = '344583e45741c457fe1862106095a5eb'

const { values: opts } = parseArgs({
  options: {
    mode: { type: 'string' },
    dcs: { type: 'string' },
    dc: { type: 'string', default: '2' },
    'rsa-key': { type: 'string' },
    phone: { type: 'string' },
    'code-file': { type: 'string' },
    session: { type: 'string' },
    'message-id': { type: 'string' },
    timeout: { type: 'string', default: '30' },
    verbose: { type: 'boolean', default: false },
  },
})

function finish(out) {
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(out.ok ? 0 : 1))
}

const digits = (phone) => String(phone ?? '').replace(/\D/g, '')

// Trust fakedc's key: GramJS keeps {n, e} by the fingerprint as a signed decimal string.
function trustKey(pem) {
  const tlBytes = (b) => {
    const head = b.length < 254 ? Buffer.from([b.length])
      : Buffer.from([254, b.length & 255, (b.length >> 8) & 255, b.length >> 16])
    const pad = (4 - ((head.length + b.length) % 4)) % 4
    return Buffer.concat([head, b, Buffer.alloc(pad)])
  }
  const jwk = createPublicKey({ key: pem, format: 'pem' }).export({ format: 'jwk' })
  const n = Buffer.from(jwk.n, 'base64url')
  const e = Buffer.from(jwk.e, 'base64url')
  const sha = createHash('sha1').update(Buffer.concat([tlBytes(n), tlBytes(e)])).digest()
  const fingerprint = sha.subarray(12, 20).readBigInt64LE(0).toString()
  _serverKeys.set(fingerprint, { n: readBigIntFromBuffer(n, false, false), e: e.readUIntBE(0, e.length) })
}

async function readCode(template, phone, timeoutMs = 20000) {
  const path = template.replace('{phone}', digits(phone))
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8').trim()
      if (text) return text
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`no code in ${path} after ${timeoutMs / 1000} s`)
}

async function run() {
  for (const name of ['mode', 'dcs', 'rsa-key']) {
    if (!opts[name]) throw new Error(`--${name} is required`)
  }
  trustKey(readFileSync(opts['rsa-key'], 'ascii'))
  const dcs = JSON.parse(opts.dcs)
  class Dialing extends ConnectionTCPFull {
    constructor(params) {
      const address = dcs[String(params.dcId)]
      if (!address) throw new Error(`no address for DC ${params.dcId}`)
      super({ ...params, ip: address[0], port: Number(address[1]) })
    }
  }
  let session
  if (opts.mode === 'load') {
    if (!opts.session) throw new Error('load needs --session')
    session = new StringSession(opts.session)
  } else if (opts.mode === 'signin') {
    if (!opts.phone || !opts['code-file']) throw new Error('signin needs --phone and --code-file')
    session = new StringSession('')
    const [host, port] = dcs[opts.dc]
    session.setDC(Number(opts.dc), host, Number(port))
  } else {
    throw new Error(`unknown --mode ${opts.mode}`)
  }
  const client = new TelegramClient(session, API_ID, API_HASH, {
    connection: Dialing,
    baseLogger: new Logger(opts.verbose ? LogLevel.DEBUG : LogLevel.ERROR),
    connectionRetries: 3,
    retryDelay: 500,
  })
  const out = { ok: true }
  try {
    if (!(await client.connect())) throw new Error('connect() returned false')
    if (opts.mode === 'signin') {
      // A code left by an earlier sendCode for this number must not be read as this one's.
      const path = opts['code-file'].replace('{phone}', digits(opts.phone))
      if (existsSync(path)) unlinkSync(path)
      let failure = null
      await client.signInUser({ apiId: API_ID, apiHash: API_HASH }, {
        phoneNumber: opts.phone,
        phoneCode: () => readCode(opts['code-file'], opts.phone),
        password: async () => { throw new Error('SESSION_PASSWORD_NEEDED: no password here') },
        onError: async (err) => {
          failure = err
          return true // stop
        },
      }).catch((err) => { throw failure ?? err })
    }
    const me = await client.getMe()
    Object.assign(out, {
      user_id: Number(String(me.id)), phone: me.phone ?? null, first_name: me.firstName ?? null,
      username: me.username ?? null,
    })
    if (opts.mode === 'load' && opts['message-id']) {
      const [message] = await client.getMessages('me', { ids: [Number(opts['message-id'])] })
      out.message = message ? { id: message.id, text: message.message, out: Boolean(message.out) } : null
    }
    out.dc = client.session.dcId
    out.server = [client.session.serverAddress, client.session.port]
    // The library's own export.
    out.session = client.session.save()
  } finally {
    await Promise.race([client.destroy().catch(() => {}), new Promise((r) => setTimeout(r, 3000))])
  }
  return out
}

const timeoutMs = Number(opts.timeout) * 1000
const timer = setTimeout(() => finish({ ok: false, error: `timed out after ${opts.timeout} s` }), timeoutMs)
run().then(
  (out) => { clearTimeout(timer); finish(out) },
  (err) => { clearTimeout(timer); finish({ ok: false, error: `${err?.constructor?.name ?? 'Error'}: ${err?.errorMessage ?? err?.message ?? err}` }) },
)

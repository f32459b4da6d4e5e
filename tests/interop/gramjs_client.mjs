#!/usr/bin/env node
// Interop driver for GramJS (npm telegram, pinned in package.json; it declares layer 198).
// Points the client at a local server (tests/fakedc), trusts the server's RSA key, and runs the
// steps given by --scenario; see common.mjs for the options and the output format, and `--help`.
//
// Transports (node_modules/telegram/network/connection/, extensions/): TCP full (its default in
// Node), abridged, obfuscated2 over abridged, MTProxy (obfuscated2 over abridged with the key mixed
// with the secret), and obfuscated2 over abridged inside WebSocket frames (ws://host:port/apiws,
// what GramJS uses in browsers; it works in Node too). It has no intermediate codec.
//
// GramJS ignores the session's port when it connects (it dials 80, or 443 for DCs it learns from
// help.getConfig), so the connection classes are wrapped to dial the address given for each DC.
import { createRequire } from 'node:module'
import { createHash, createPublicKey } from 'node:crypto'

import {
  awaitDrop,
  makeFile,
  messageText,
  parseOptions,
  phoneDigits,
  readCode,
  runSteps,
  sha256hex,
  tokenFromUrl,
  tokenUrl,
} from './common.mjs'

const require = createRequire(import.meta.url)
const { TelegramClient, Api } = require('telegram')
const { MemorySession } = require('telegram/sessions')
const { Logger, LogLevel } = require('telegram/extensions/Logger')
const { PromisedWebSockets } = require('telegram/extensions')
const {
  ConnectionTCPFull,
  ConnectionTCPAbridged,
  ConnectionTCPObfuscated,
} = require('telegram/network/connection')
const { AbridgedPacketCodec } = require('telegram/network/connection/TCPAbridged')
const { CustomFile } = require('telegram/client/uploads')
const { readBigIntFromBuffer } = require('telegram/Helpers')
const { _serverKeys } = require('telegram/crypto/RSA')
const { LAYER } = require('telegram/tl/AllTLObjects')

const CLIENT = 'gramjs'

// Addresses of DCs learned from help.getConfig, for DCs that --dcs does not name.
const learned = {}

function dcAddress(opts, dcId) {
  return opts.dcs[dcId] ?? learned[dcId] ?? [opts.host, opts.port]
}

function forcing(opts, Base) {
  return class extends Base {
    constructor(params) {
      const [ip, port] = dcAddress(opts, params.dcId)
      super({ ...params, ip, port })
    }
  }
}

// GramJS 2.26.22's plain abridged codec reads a frame's body with read(), which returns what has
// arrived so far: a frame larger than one socket read (a 128 KiB upload.getFile answer) comes back
// cut and the client reports a msg_key mismatch. Against Telegram it would do the same. Its other
// codecs read with readExactly(); this subclass does too, and changes nothing else.
class WholeFrameAbridgedCodec extends AbridgedPacketCodec {
  readPacket(reader) {
    return super.readPacket({ read: (n) => reader.readExactly(n) })
  }
}

class ConnectionTCPAbridgedWholeFrames extends ConnectionTCPAbridged {
  constructor(params) {
    super(params)
    this.PacketCodecClass = WholeFrameAbridgedCodec
  }
}

const TRANSPORTS = {
  'full': {
    about: 'TCP, full codec (length, seqno, CRC32); GramJS\'s default in Node',
    make: (opts) => ({ connection: forcing(opts, ConnectionTCPFull) }),
  },
  'abridged': {
    about: 'TCP, abridged codec (0xef)',
    make: (opts) => ({ connection: forcing(opts, ConnectionTCPAbridgedWholeFrames) }),
  },
  'obfuscated-abridged': {
    about: 'obfuscated2 over abridged',
    make: (opts) => ({ connection: forcing(opts, ConnectionTCPObfuscated) }),
  },
  'mtproxy-abridged': {
    about: 'MTProxy, plain secret: obfuscated2 (key mixed with the secret, DC id in the header) over abridged',
    make: (opts) => ({
      connection: ConnectionTCPObfuscated, // replaced by GramJS with its MTProxy connection
      proxy: { ip: opts.host, port: opts.port, secret: opts['mtproxy-secret'], MTProxy: true },
    }),
  },
  'ws-obfuscated-abridged': {
    about: 'WebSocket (ws://host:port/apiws, binary frames) carrying obfuscated2 over abridged',
    make: (opts) => ({ connection: forcing(opts, ConnectionTCPObfuscated), networkSocket: PromisedWebSockets }),
  },
}

const opts = parseOptions(CLIENT, TRANSPORTS, 'full')

// Trust the server's key: GramJS keeps {n, e} by the fingerprint as a signed decimal string.
function tlBytes(b) {
  const head = b.length < 254 ? Buffer.from([b.length]) : Buffer.from([254, b.length & 255, (b.length >> 8) & 255, b.length >> 16])
  const pad = (4 - ((head.length + b.length) % 4)) % 4
  return Buffer.concat([head, b, Buffer.alloc(pad)])
}
const jwk = createPublicKey({ key: opts.rsaPem, format: 'pem' }).export({ format: 'jwk' })
const n = Buffer.from(jwk.n, 'base64url')
const e = Buffer.from(jwk.e, 'base64url')
const sha = createHash('sha1').update(Buffer.concat([tlBytes(n), tlBytes(e)])).digest()
const fingerprint = sha.subarray(12, 20).readBigInt64LE(0).toString()
_serverKeys.set(fingerprint, { n: readBigIntFromBuffer(n, false, false), e: e.readUIntBE(0, e.length) })

function makeClient() {
  const session = new MemorySession()
  // The port stored here is not the one dialled (see forcing()); MemorySession keeps whatever it gets.
  session.setDC(opts.dc, opts.host, opts.port)
  return new TelegramClient(session, opts.apiId, opts['api-hash'], {
    ...TRANSPORTS[opts.transport].make(opts),
    baseLogger: new Logger(opts.verbose ? LogLevel.DEBUG : LogLevel.ERROR),
    connectionRetries: 3,
    retryDelay: 500,
  })
}
const client = makeClient()
// signin-qr: the client that is signed in with a code and accepts the QR login token.
let scanner = null
const credentials = { apiId: opts.apiId, apiHash: opts['api-hash'] }

// GramJS's signInUser (auth.sendCode, the code, auth.signIn; auth.checkPassword with --password).
async function signInWithCode(c) {
  let error = null
  let twoFa = false
  const user = await c.signInUser(credentials, {
    phoneNumber: opts.phone,
    phoneCode: () => readCode(opts),
    password: async () => {
      twoFa = true
      if (!opts.password) throw new Error('SESSION_PASSWORD_NEEDED and no --password')
      return opts.password
    },
    onError: async (err) => {
      error = err
      return true // stop
    },
  }).catch((err) => { throw error ?? err })
  return { user, twoFa }
}

// The DC GramJS sends account calls to: 2 at the start, what a *_MIGRATE_N switched it to after
// (_switchDC sets the session's DC).
function mainDc() {
  return client.session.dcId
}

const steps = {
  async connect() {
    const ok = await client.connect()
    if (!ok) throw new Error('connect() returned false')
    const config = await client.invoke(new Api.help.GetConfig())
    for (const o of config.dcOptions) {
      if (!o.ipv6 && !o.mediaOnly && !learned[o.id]) learned[o.id] = [o.ipAddress, o.port]
    }
    return { layer: LAYER, dc: config.thisDc, dc_options: config.dcOptions.length, fingerprint }
  },

  async 'signin-user'() {
    if (!opts.phone) throw new Error('signin-user needs --phone')
    const { user, twoFa } = await signInWithCode(client)
    return { user_id: String(user.id), bot: Boolean(user.bot), two_fa: twoFa }
  },

  // A new account through GramJS's signInUser: auth.sendCode (on DC 2: 303 NETWORK_MIGRATE_1,
  // which invoke() follows with _switchDC(1) and the same request again), the code, auth.signIn,
  // which answers auth.authorizationSignUpRequired, so signInUser asks firstAndLastNames and calls
  // auth.signUp. Then getMe must be the new account.
  async 'signup-user'() {
    if (!opts.phone) throw new Error('signup-user needs --phone (a number without an account)')
    const dcBefore = mainDc()
    let error = null
    let signUp = false
    const user = await client.signInUser(credentials, {
      phoneNumber: opts.phone,
      phoneCode: () => readCode(opts),
      password: async () => { throw new Error('SESSION_PASSWORD_NEEDED for a new account') },
      firstAndLastNames: async () => {
        signUp = true
        return [opts['first-name'], '']
      },
      onError: async (err) => {
        error = err
        return true // stop
      },
    }).catch((err) => { throw error ?? err })
    if (!signUp) throw new Error(`signInUser signed in user ${user.id} without signing up: the number has an account`)
    const me = await client.getMe()
    if (String(me.id) !== String(user.id) || phoneDigits(me.phone) !== phoneDigits(opts.phone) || me.firstName !== opts['first-name']) {
      throw new Error(`getMe is ${JSON.stringify({ id: String(me.id), phone: me.phone, first_name: me.firstName })}, signed up ${user.id} as ${opts.phone} ${opts['first-name']}`)
    }
    return { user_id: String(me.id), phone: me.phone, first_name: me.firstName, dc_before: dcBefore, dc: mainDc(), signed_up: true }
  },

  // The sign-up fallback: only GramJS's sendCode for a new number, which must follow
  // NETWORK_MIGRATE and get a sentCode on the new DC (the code must appear in the code file).
  async 'sendcode-only'() {
    if (!opts.phone) throw new Error('sendcode-only needs --phone (a number without an account)')
    const dcBefore = mainDc()
    const sent = await client.sendCode(credentials, opts.phone)
    await readCode(opts)
    return { phone: phoneDigits(opts.phone), dc_before: dcBefore, dc: mainDc(), code_via_app: sent.isCodeViaApp }
  },

  // QR login: a second client signs in as --phone with a code; this one runs GramJS's
  // signInUserWithQrCode (auth.exportLoginToken, updateLoginToken, exportLoginToken again), and
  // the second one accepts the token (as the tg://login URL carries it) with auth.acceptLoginToken.
  async 'signin-qr'() {
    if (!opts.phone) throw new Error('signin-qr needs --phone (the account to log in as)')
    scanner = makeClient()
    if (!(await scanner.connect())) throw new Error('second client: connect() returned false')
    const { user: scannerUser } = await signInWithCode(scanner)
    let url = null
    let error = null
    let twoFa = false
    let rejectAccept
    const acceptFailed = new Promise((_, reject) => { rejectAccept = reject })
    const user = await Promise.race([
      client.signInUserWithQrCode(credentials, {
        qrCode: async ({ token }) => {
          if (url !== null) return // a second token: the first expired; the run fails on time
          url = tokenUrl(token)
          try {
            await scanner.invoke(new Api.auth.AcceptLoginToken({ token: tokenFromUrl(url) }))
          } catch (e) {
            rejectAccept(new Error(`auth.acceptLoginToken: ${e.errorMessage ?? e.message ?? e}`))
          }
        },
        password: async () => {
          twoFa = true
          if (!opts.password) throw new Error('SESSION_PASSWORD_NEEDED and no --password')
          return opts.password
        },
        onError: async (err) => {
          error = err
          return true // stop
        },
      }).catch((err) => { throw error ?? err }),
      acceptFailed,
    ])
    const me = await client.getMe()
    if (String(me.id) !== String(scannerUser.id) || String(user.id) !== String(scannerUser.id)) {
      throw new Error(`QR login gave user ${user.id} (getMe ${me.id}), the scanner is ${scannerUser.id}`)
    }
    return { user_id: String(me.id), url, two_fa: twoFa }
  },

  // The runner drops every connection while this waits; then a call that needs the signed-in
  // key must get through on a new connection.
  async reconnect() {
    const waited = await awaitDrop(opts)
    const t0 = Date.now()
    const [me] = await client.invoke(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }))
    if (!(me instanceof Api.User)) throw new Error(`users.getUsers(self) gave ${me?.className}`)
    return { user_id: String(me.id), waited_ms: waited, call_ms: Date.now() - t0 }
  },

  async 'signin-bot'() {
    if (!opts['bot-token']) throw new Error('signin-bot needs --bot-token')
    const user = await client.signInBot(credentials, { botAuthToken: opts['bot-token'] })
    return { user_id: String(user.id), bot: Boolean(user.bot) }
  },

  async 'send-and-get'() {
    const text = messageText(CLIENT, opts.transport)
    const sent = await client.sendMessage(opts.peer, { message: text })
    const [got] = await client.getMessages(opts.peer, { ids: [sent.id] })
    if (!got) throw new Error(`message ${sent.id} not found by getMessages`)
    if (got.id !== sent.id || got.message !== text) {
      throw new Error(`read back ${JSON.stringify({ id: got.id, text: got.message })}, sent ${JSON.stringify({ id: sent.id, text })}`)
    }
    return { peer: opts.peer, message_id: sent.id }
  },

  async members() {
    if (!opts.channel) throw new Error('members needs --channel')
    const users = await client.getParticipants(opts.channel, {})
    const ids = users.map((u) => String(u.id))
    const min = Number(opts['min-members'])
    if (ids.length < min) throw new Error(`${ids.length} members, expected at least ${min}`)
    return { channel: opts.channel, count: ids.length, unique: new Set(ids).size, total: users.total }
  },

  async file() {
    const data = makeFile(opts.fileSize)
    const want = sha256hex(data)
    const t0 = Date.now()
    const sent = await client.sendFile(opts.peer, {
      file: new CustomFile('interop.bin', data.length, '', data),
      forceDocument: true,
      workers: 4,
    })
    const t1 = Date.now()
    const [msg] = await client.getMessages(opts.peer, { ids: [sent.id] })
    if (!msg || !msg.media) throw new Error(`message ${sent.id} with the file not found`)
    const got = await client.downloadMedia(msg, {})
    const t2 = Date.now()
    if (!Buffer.isBuffer(got)) throw new Error(`downloadMedia returned ${typeof got}`)
    const have = sha256hex(got)
    if (got.length !== data.length || have !== want) {
      throw new Error(`downloaded ${got.length} bytes sha256 ${have}, uploaded ${data.length} bytes sha256 ${want}`)
    }
    return { size: data.length, sha256: want, message_id: sent.id, upload_ms: t1 - t0, download_ms: t2 - t1 }
  },
}

const code = await runSteps(CLIENT, opts, steps, () => Promise.all([client.destroy(), scanner?.destroy()]))
process.exit(code)

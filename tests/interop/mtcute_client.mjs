#!/usr/bin/env node
// Interop driver for mtcute (npm @mtcute/node, pinned in package.json; it declares layer 227).
// Points the client at a local server (tests/fakedc) through mtcute's public options, trusts the
// server's RSA key, and runs the steps given by --scenario; see common.mjs for the options and the
// output format, and `--help`.
//
// Transports: mtcute has TCP with the intermediate codec (its default), the padded intermediate
// codec, and the obfuscated2 wrapper over either; MTProxy secrets (plain = obfuscated intermediate,
// dd = obfuscated padded intermediate, ee = fake TLS around obfuscated padded intermediate).
// It has no abridged and no full codec (node_modules/@mtcute/core/network/transports/).
import {
  BotInline,
  BotInlineMessage,
  BotKeyboard,
  InputMedia,
  IntermediatePacketCodec,
  MemoryStorage,
  MtProxyTcpTransport,
  MtUnsupportedError,
  ObfuscatedPacketCodec,
  PaddedIntermediatePacketCodec,
  TcpTransport,
  TelegramClient,
} from '@mtcute/node'
import { addPublicKey, NodeCryptoProvider, parsePublicKey } from '@mtcute/node/utils.js'

import {
  auditDeliveries,
  awaitDrop,
  errorText,
  makeFile,
  messageText,
  parseOptions,
  phoneDigits,
  readCode,
  runSteps,
  sha256hex,
  tokenFromUrl,
  updateIndex,
  updateText,
} from './common.mjs'

const CLIENT = 'mtcute'

// A TCP transport whose codec is built by `codec()`; connecting is TcpTransport's.
class CodecTransport extends TcpTransport {
  constructor(codec) {
    super()
    this._makeCodec = codec
  }

  packetCodec() {
    return this._makeCodec()
  }
}

function mtproxy(opts, prefix) {
  let secret = prefix + opts['mtproxy-secret']
  if (prefix === 'ee') secret += Buffer.from(opts['mtproxy-domain']).toString('hex')
  return new MtProxyTcpTransport({ host: opts.host, port: opts.port, secret })
}

const TRANSPORTS = {
  'intermediate': {
    about: 'TCP, intermediate codec (0xeeeeeeee); mtcute\'s default',
    make: () => new TcpTransport(),
  },
  'padded': {
    about: 'TCP, padded intermediate codec (0xdddddddd)',
    make: () => new CodecTransport(() => new PaddedIntermediatePacketCodec()),
  },
  'obfuscated-intermediate': {
    about: 'obfuscated2 over intermediate',
    make: () => new CodecTransport(() => new ObfuscatedPacketCodec(new IntermediatePacketCodec())),
  },
  'obfuscated-padded': {
    about: 'obfuscated2 over padded intermediate',
    make: () => new CodecTransport(() => new ObfuscatedPacketCodec(new PaddedIntermediatePacketCodec())),
  },
  'mtproxy-intermediate': {
    about: 'MTProxy, plain secret: obfuscated2 (key mixed with the secret, DC id in the header) over intermediate',
    make: (opts) => mtproxy(opts, ''),
  },
  'mtproxy-padded': {
    about: 'MTProxy, dd secret: as above over padded intermediate',
    make: (opts) => mtproxy(opts, 'dd'),
  },
  'mtproxy-faketls': {
    about: 'MTProxy, ee secret: fake TLS 1.3 records around obfuscated2 padded intermediate',
    make: (opts) => mtproxy(opts, 'ee'),
  },
}

const opts = parseOptions(CLIENT, TRANSPORTS, 'intermediate')
const crypto = new NodeCryptoProvider()

// mtcute looks a key up by the fingerprint printed without leading zeros, so a key whose
// fingerprint starts with a 0 digit is never found: say so instead of failing obscurely.
const parsed = parsePublicKey(crypto, opts.rsaPem)
if (parsed.fingerprint.startsWith('0')) {
  console.error(`mtcute: the key's fingerprint ${parsed.fingerprint} starts with 0; mtcute cannot find such a key`)
}
addPublicKey(crypto, opts.rsaPem)

const mainDc = { id: opts.dc, ipAddress: opts.host, port: opts.port }
function makeClient({ updates = !opts['no-updates'] } = {}) {
  return new TelegramClient({
    apiId: opts.apiId,
    apiHash: opts['api-hash'],
    storage: new MemoryStorage(),
    crypto,
    transport: TRANSPORTS[opts.transport].make(opts),
    defaultDcs: { main: mainDc, media: { ...mainDc, mediaOnly: true } },
    testMode: false,
    disableUpdates: !updates,
    // After a disconnect(), the updates loop starts again from the state it had (getDifference)
    // instead of from a new updates.getState (receive-updates --disconnect-midway).
    ...(opts['disconnect-midway'] ? { updates: { catchUp: true } } : {}),
    logLevel: opts.verbose ? 5 : 1,
  })
}
const tg = makeClient()
// signin-qr: the client that is signed in with a code and accepts the QR login token.
let scanner = null
// receive-updates: the bot that sends the messages (its own updates off).
let sender = null

// auth.sendCode, the code, auth.signIn (and auth.checkPassword with --password on 2FA).
async function signInWithCode(client) {
  const sent = await client.sendCode({ phone: opts.phone })
  if (sent.phoneCodeHash === undefined) return { user: sent, twoFa: false, already: true }
  const code = await readCode(opts)
  try {
    return { user: await client.signIn({ phone: opts.phone, phoneCodeHash: sent.phoneCodeHash, phoneCode: code }), twoFa: false }
  } catch (e) {
    if (!(e.is?.('SESSION_PASSWORD_NEEDED') || e.text === 'SESSION_PASSWORD_NEEDED')) throw e
    if (!opts.password) throw new Error('SESSION_PASSWORD_NEEDED and no --password')
    return { user: await client.checkPassword(opts.password), twoFa: true }
  }
}

let self = null

// The DC mtcute sends account calls to (its primary DC): 2 at the start, what a *_MIGRATE_N moved
// it to after.
function primaryDc() {
  return (tg.mt ?? tg._client?.mt).network.getPrimaryDcId()
}

// mtcute's sendCode for a number that must not have an account yet. Against fakedc with
// --network_dc=1 the first auth.sendCode (on DC 2) gets 303 NETWORK_MIGRATE_1, which mtcute follows
// inside the call (NetworkManager: changePrimaryDc(1), then the same request again).
async function sendCodeForNewNumber() {
  if (!opts.phone) throw new Error('needs --phone (a number without an account)')
  const dcBefore = primaryDc()
  const sent = await tg.sendCode({ phone: opts.phone })
  if (sent.phoneCodeHash === undefined) {
    throw new Error(`auth.sendCode signed in user ${sent.id} at once: the number has an account`)
  }
  return { sent, dcBefore, dc: primaryDc() }
}

const steps = {
  async connect() {
    await tg.connect()
    const config = await tg.call({ _: 'help.getConfig' })
    return { layer: (tg.mt ?? tg._client?.mt)?._layer, dc: config.thisDc, dc_options: config.dcOptions.length, fingerprint: parsed.fingerprint }
  },

  async 'signin-user'() {
    if (!opts.phone) throw new Error('signin-user needs --phone')
    const { user, twoFa, already } = await signInWithCode(tg)
    self = user
    return { user_id: user.id, bot: user.isBot, two_fa: twoFa, ...(already ? { already } : {}) }
  },

  // A new account through the library's own calls: sendCode, the code, signIn, which answers
  // auth.authorizationSignUpRequired. mtcute 0.30.3 cannot go on from there: it has no signUp
  // method, and signIn's NetworkManager.notifyLoggedIn throws MtUnsupportedError ("Signup is no
  // longer supported by Telegram for non-official clients") on authorizationSignUpRequired. So
  // this step fails with that error; the runner's network scenario runs sendcode-only for mtcute.
  async 'signup-user'() {
    const { sent } = await sendCodeForNewNumber()
    const code = await readCode(opts)
    let user
    try {
      user = await tg.signIn({ phone: opts.phone, phoneCodeHash: sent.phoneCodeHash, phoneCode: code })
    } catch (e) {
      if (e instanceof MtUnsupportedError) throw new Error(`mtcute refuses sign-up: signIn threw ${errorText(e)}`)
      throw e
    }
    throw new Error(`auth.signIn signed in user ${user.id}: the number has an account`)
  },

  // The sign-up fallback: only the library's sendCode for a new number, which must follow
  // NETWORK_MIGRATE and get a sentCode on the new DC (the code must appear in the code file).
  async 'sendcode-only'() {
    const { sent, dcBefore, dc } = await sendCodeForNewNumber()
    const code = await readCode(opts)
    if (sent.length && code.length !== sent.length) {
      throw new Error(`sentCode says ${sent.length} digits, the code file has ${code.length}`)
    }
    return { phone: phoneDigits(opts.phone), dc_before: dcBefore, dc, code_type: sent.type, code_length: sent.length }
  },

  // QR login: a second client signs in as --phone with a code; this one runs mtcute's QR flow
  // (auth.exportLoginToken, the tg://login URL, updateLoginToken, exportLoginToken again), and the
  // second one accepts the URL's token with auth.acceptLoginToken.
  async 'signin-qr'() {
    if (!opts.phone) throw new Error('signin-qr needs --phone (the account to log in as)')
    scanner = makeClient()
    await scanner.connect()
    const { user: scannerUser } = await signInWithCode(scanner)
    const abort = new AbortController()
    let url = null
    let accepted = null
    let scanned = false
    const failed = new Promise((_, reject) => { abort.signal.addEventListener('abort', () => reject(abort.signal.reason)) })
    const user = await Promise.race([
      tg.signInQr({
        abortSignal: abort.signal,
        password: opts.password,
        onQrScanned: () => { scanned = true },
        onUrlUpdated: (u) => {
          if (url !== null) return // a second URL: the first token expired; the run fails on time
          url = u
          accepted = Promise.resolve()
            .then(() => scanner.call({ _: 'auth.acceptLoginToken', token: tokenFromUrl(u) }))
            .catch((e) => { abort.abort(new Error(`auth.acceptLoginToken: ${e.message ?? e}`)) })
        },
      }),
      failed,
    ])
    await accepted
    // Without updateLoginToken mtcute would export again only when the token expires (30 s).
    if (!scanned) throw new Error('signed in without updateLoginToken')
    const me = await tg.getMe()
    if (me.id !== scannerUser.id || user.id !== scannerUser.id) {
      throw new Error(`QR login gave user ${user.id} (getMe ${me.id}), the scanner is ${scannerUser.id}`)
    }
    self = me
    return { user_id: me.id, url }
  },

  // The runner drops every connection while this waits; then a call that needs the signed-in
  // key must get through on a new connection.
  async reconnect() {
    const waited = await awaitDrop(opts)
    const t0 = Date.now()
    const [me] = await tg.call({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] })
    if (!me || me._ !== 'user') throw new Error(`users.getUsers(self) gave ${me?._}`)
    return { user_id: me.id, waited_ms: waited, call_ms: Date.now() - t0 }
  },

  // This client (signed in as a user) receives --count messages that a second client, signed in as
  // the bot of --bot-token, sends it one after the other; mtcute's own update engine (its pts
  // checks, getDifference, updatesTooLong handling) must deliver each through onNewMessage once
  // and in order, whatever fakedc loses on the way (--update_gaps, --updates_too_long). With
  // --disconnect-midway this client disconnects halfway through (disconnect(), which stops the
  // updates loop and keeps its state), the bot sends a quarter of the messages, whose pushes reach
  // no connection and are never sent again, then it connects and starts its updates loop again:
  // only mtcute's catching up (the client's catchUp option: getDifference from the state it
  // kept) can bring those.
  async 'receive-updates'() {
    if (!opts['bot-token']) throw new Error('receive-updates needs --bot-token (the sender)')
    const count = Number(opts.count)
    const deadline = Date.now() + opts.timeoutMs - 3000
    const tag = `${process.pid}-${Date.now()}`
    const arrived = []
    const unique = new Set()
    let allArrived
    const all = new Promise((resolve) => { allArrived = resolve })
    tg.onNewMessage.add((msg) => {
      const i = updateIndex(tag, msg.text)
      if (i < 0) return
      arrived.push(i)
      unique.add(i)
      if (unique.size >= count) allArrived()
    })
    // Signing in started mtcute's updates loop, which fetches its starting state (updates.getState)
    // first: wait for it before anything is sent. (Not startUpdatesLoop(): while the first start is
    // still fetching, a second one passes its "already running" check and runs a second loop,
    // which then fetches every difference twice and delivers it twice.)
    const updates = tg.updates ?? tg._client?.updates
    while (!updates?.updatesLoopActive) {
      if (Date.now() > deadline) throw new Error('the updates loop did not start')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    sender = makeClient({ updates: false })
    await sender.connect()
    await sender.signInBot(opts['bot-token'])
    const away = opts['disconnect-midway'] ? [Math.floor(count / 2), Math.floor((3 * count) / 4)] : null
    const t0 = Date.now()
    for (let i = 0; i < count; i++) {
      if (away && i === away[0]) {
        // Idle first: what was sent so far is in (the loop is not stopped halfway through one).
        while (unique.size < i && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
        await tg.disconnect()
      }
      if (away && i === away[1]) {
        await tg.connect()
        await tg.startUpdatesLoop()
      }
      await sender.sendText(opts.peer, updateText(tag, i))
    }
    const sendMs = Date.now() - t0
    let timer
    await Promise.race([all, new Promise((resolve) => { timer = setTimeout(resolve, Math.max(0, deadline - Date.now())) })])
    clearTimeout(timer)
    // Late duplicates, if any, have a second to show up.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const audit = auditDeliveries(count, arrived)
    const detail = { ...audit, send_ms: sendMs, all_ms: Date.now() - t0 - 1000, ...(away ? { sent_while_away: away[1] - away[0] } : {}) }
    if (!audit.ok) throw new Error(`receive-updates ${JSON.stringify(detail)}`)
    return detail
  },

  async 'signin-bot'() {
    if (!opts['bot-token']) throw new Error('signin-bot needs --bot-token')
    const user = await tg.signInBot(opts['bot-token'])
    self = user
    return { user_id: user.id, bot: user.isBot }
  },

  // As a bot (signin-bot first), for tgrpc's polyglot test: every private message a user sends
  // gets a dice back with one callback button, data "ping:<the bot's id of that message>", every
  // press of such a button is answered with an alert "pong:<data>", and every inline query "q"
  // with one article "mtcute: q" that sends "mtcute says q", until --count presses and --count
  // inline queries were answered (or the timeout). The dice, not a text: sendMedia is not
  // flood-limited there.
  async 'answer-buttons'() {
    const count = Number(opts.count)
    const deadline = Date.now() + opts.timeoutMs - 3000
    let answered = 0
    let offered = 0
    let done
    const all = new Promise((resolve) => { done = resolve })
    tg.onNewMessage.add(async (msg) => {
      if (msg.isOutgoing || msg.chat.type !== 'user') return
      try {
        await tg.sendMedia(msg.chat.id, InputMedia.dice('🎲', {}), {
          replyMarkup: BotKeyboard.inline([[BotKeyboard.callback('Ping', `ping:${msg.id}`)]]),
        })
        offered++
      } catch (e) {
        console.error(`mtcute: cannot offer a button: ${errorText(e)}`)
      }
    })
    let inline = 0
    tg.onCallbackQuery.add(async (query) => {
      await tg.answerCallbackQuery(query, { text: `pong:${query.dataStr}`, alert: true })
      if (++answered >= count && inline >= count) done()
    })
    tg.onInlineQuery.add(async (query) => {
      await tg.answerInlineQuery(query, [BotInline.article('m1', {
        title: `mtcute: ${query.query}`,
        description: 'an article from mtcute',
        message: BotInlineMessage.text(`mtcute says ${query.query}`),
      })], { cacheTime: 0 })
      if (++inline >= count && answered >= count) done()
    })
    // Ready: the runner starts the callers once this line is out.
    process.stderr.write('mtcute: answering buttons\n')
    let timer
    await Promise.race([all, new Promise((resolve) => { timer = setTimeout(resolve, Math.max(0, deadline - Date.now())) })])
    clearTimeout(timer)
    if (answered < count || inline < count) {
      throw new Error(`answered ${answered} presses and ${inline} inline queries of ${count} each (${offered} buttons offered)`)
    }
    return { answered, inline, offered }
  },

  async 'send-and-get'() {
    const text = messageText(CLIENT, opts.transport)
    const sent = await tg.sendText(opts.peer, text)
    const [got] = await tg.getMessages(opts.peer, [sent.id])
    if (!got) throw new Error(`message ${sent.id} not found by getMessages`)
    if (got.id !== sent.id || got.text !== text) {
      throw new Error(`read back ${JSON.stringify({ id: got.id, text: got.text })}, sent ${JSON.stringify({ id: sent.id, text })}`)
    }
    return { peer: opts.peer, message_id: sent.id }
  },

  async members() {
    if (!opts.channel) throw new Error('members needs --channel')
    const ids = []
    for await (const m of tg.iterChatMembers(opts.channel)) ids.push(m.user.id)
    const min = Number(opts['min-members'])
    if (ids.length < min) throw new Error(`${ids.length} members, expected at least ${min}`)
    return { channel: opts.channel, count: ids.length, unique: new Set(ids).size }
  },

  async file() {
    const data = makeFile(opts.fileSize)
    const want = sha256hex(data)
    const t0 = Date.now()
    const sent = await tg.sendMedia(opts.peer, {
      type: 'document',
      file: data,
      fileName: 'interop.bin',
      fileMime: 'application/octet-stream',
      fileSize: data.length,
    })
    const t1 = Date.now()
    const [msg] = await tg.getMessages(opts.peer, [sent.id])
    if (!msg || !msg.media) throw new Error(`message ${sent.id} with the file not found`)
    const got = await tg.downloadAsBuffer(msg.media)
    const t2 = Date.now()
    const have = sha256hex(got)
    if (got.length !== data.length || have !== want) {
      throw new Error(`downloaded ${got.length} bytes sha256 ${have}, uploaded ${data.length} bytes sha256 ${want}`)
    }
    return { size: data.length, sha256: want, message_id: sent.id, upload_ms: t1 - t0, download_ms: t2 - t1 }
  },
}

const code = await runSteps(CLIENT, opts, steps, () => Promise.all([tg.destroy(), scanner?.destroy(), sender?.destroy()]))
process.exit(code)

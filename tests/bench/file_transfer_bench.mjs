#!/usr/bin/env node
// The library side of file_transfer_bench: mtcute or GramJS (the interop clients, from
// tests/interop/node_modules) upload a file from disk and download it back from a fakedc, each
// in the library's own way, with its default transport; the download is hashed as it arrives
// (SHA-256), never kept whole.
//
// Driven by file_transfer_bench over stdin/stdout so that it can read this process's CPU time and
// peak resident set between phases: each phase starts when a line "go" arrives on stdin and ends
// with one JSON line on stdout ({"event": ..., "ms": ...}): ready (connected and signed in),
// uploaded (the library's uploadFile), sent (the upload sent to saved messages as a document and
// read back), downloaded (with the SHA-256 and whether it matches --sha256). Library logs go to
// stderr (common.mjs).
//
//   node tests/bench/file_transfer_bench.mjs --client mtcute|gramjs --dcs '{"2":["127.0.0.1",p]}'
//       --rsa-key server.pem --phone +15550000001 --code-file codes/{phone} --file bench.bin
//       --sha256 HEX
import { createHash, createPublicKey } from 'node:crypto'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { readFileSync, statSync } from 'node:fs'

import { errorText, readCode } from '../interop/common.mjs'

const { values: opts } = parseArgs({
  options: {
    'client': { type: 'string' },
    'dcs': { type: 'string' },
    'dc': { type: 'string', default: '2' },
    'rsa-key': { type: 'string' },
    'phone': { type: 'string' },
    'code-file': { type: 'string' },
    'file': { type: 'string' },
    'sha256': { type: 'string' },
    'api-id': { type: 'string', default: '17349' },
    'api-hash': { type: 'string', default: '344583e45741c457fe1862106095a5eb' },
    'gramjs-workers': { type: 'string', default: '4' },
  },
  strict: true,
})
const dcs = Object.fromEntries(Object.entries(JSON.parse(opts.dcs)).map(([id, a]) => [Number(id), a]))
const mainDc = Number(opts.dc)
const pem = readFileSync(opts['rsa-key'], 'utf8')
const size = statSync(opts.file).size
const apiId = Number(opts['api-id'])
const apiHash = opts['api-hash']
const interop = new URL('../interop/', import.meta.url)

const stdin = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
async function awaitGo() {
  const { value, done } = await stdin.next()
  if (done || value.trim() !== 'go') throw new Error(`expected "go" on stdin, got ${done ? 'EOF' : value}`)
}
function say(event, detail) {
  process.stdout.write(JSON.stringify({ event, ...detail }) + '\n')
}
async function timed(event, work) {
  await awaitGo()
  const started = performance.now()
  const detail = await work()
  say(event, { ms: performance.now() - started, ...detail })
}

// Each library behind the same four calls.
async function mtcute() {
  const { MemoryStorage, TelegramClient } = await import(new URL('node_modules/@mtcute/node/index.js', interop))
  const { addPublicKey, NodeCryptoProvider } = await import(new URL('node_modules/@mtcute/node/utils.js', interop))
  const crypto = new NodeCryptoProvider()
  addPublicKey(crypto, pem)
  const [host, port] = dcs[mainDc]
  const dc = { id: mainDc, ipAddress: host, port }
  const tg = new TelegramClient({
    apiId, apiHash, crypto,
    storage: new MemoryStorage(),
    defaultDcs: { main: dc, media: { ...dc, mediaOnly: true } },
    testMode: false,
    disableUpdates: true,
    logLevel: 1,
  })
  let uploaded = null
  let media = null
  return {
    async signIn() {
      await tg.connect()
      const sent = await tg.sendCode({ phone: opts.phone })
      const code = await readCode({ 'code-file': opts['code-file'], phone: opts.phone })
      const user = await tg.signIn({ phone: opts.phone, phoneCodeHash: sent.phoneCodeHash, phoneCode: code })
      return { user_id: user.id, transport: 'intermediate (default)' }
    },
    async upload() {
      uploaded = await tg.uploadFile({ file: opts.file, fileSize: size, fileName: 'bench.bin', fileMime: 'application/octet-stream' })
      return { parts: uploaded.inputFile.parts }
    },
    async send() {
      const sent = await tg.sendMedia('me', { type: 'document', file: uploaded, fileName: 'bench.bin', fileMime: 'application/octet-stream' })
      const [msg] = await tg.getMessages('me', [sent.id])
      media = msg.media
      return { message_id: sent.id }
    },
    async download(hash) {
      let bytes = 0
      for await (const chunk of tg.downloadAsIterable(media)) {
        hash.update(chunk)
        bytes += chunk.length
      }
      return bytes
    },
    close: () => tg.destroy(),
  }
}

async function gramjs() {
  const require = createRequire(new URL('package.json', interop))
  const { TelegramClient, Api } = require('telegram')
  const { MemorySession } = require('telegram/sessions')
  const { Logger, LogLevel } = require('telegram/extensions/Logger')
  const { ConnectionTCPFull } = require('telegram/network/connection')
  const { CustomFile } = require('telegram/client/uploads')
  const { readBigIntFromBuffer } = require('telegram/Helpers')
  const { _serverKeys } = require('telegram/crypto/RSA')
  // Trust the server's key: GramJS keys {n, e} by the fingerprint as a signed decimal string.
  const tlBytes = (b) => {
    const head = b.length < 254 ? Buffer.from([b.length]) : Buffer.from([254, b.length & 255, (b.length >> 8) & 255, b.length >> 16])
    return Buffer.concat([head, b, Buffer.alloc((4 - ((head.length + b.length) % 4)) % 4)])
  }
  const jwk = createPublicKey({ key: pem, format: 'pem' }).export({ format: 'jwk' })
  const n = Buffer.from(jwk.n, 'base64url')
  const e = Buffer.from(jwk.e, 'base64url')
  const sha = createHash('sha1').update(Buffer.concat([tlBytes(n), tlBytes(e)])).digest()
  _serverKeys.set(sha.subarray(12, 20).readBigInt64LE(0).toString(), { n: readBigIntFromBuffer(n, false, false), e: e.readUIntBE(0, e.length) })
  // GramJS dials port 80/443 whatever the session says: dial the port given for the DC.
  class Dialing extends ConnectionTCPFull {
    constructor(params) {
      const [ip, port] = dcs[params.dcId] ?? dcs[mainDc]
      super({ ...params, ip, port })
    }
  }
  const session = new MemorySession()
  session.setDC(mainDc, dcs[mainDc][0], dcs[mainDc][1])
  const client = new TelegramClient(session, apiId, apiHash, {
    connection: Dialing,
    baseLogger: new Logger(LogLevel.ERROR),
    connectionRetries: 3,
  })
  let input = null
  let doc = null
  return {
    async signIn() {
      if (!(await client.connect())) throw new Error('connect() returned false')
      let error = null
      const user = await client.signInUser({ apiId, apiHash }, {
        phoneNumber: opts.phone,
        phoneCode: () => readCode({ 'code-file': opts['code-file'], phone: opts.phone }),
        password: async () => { throw new Error('SESSION_PASSWORD_NEEDED') },
        onError: async (err) => { error = err; return true },
      }).catch((err) => { throw error ?? err })
      return { user_id: String(user.id), transport: 'full (default)' }
    },
    async upload() {
      // As the interop driver's file step: workers = 4 (sendFile's default is 1).
      const workers = Number(opts['gramjs-workers'])
      input = await client.uploadFile({ file: new CustomFile('bench.bin', size, opts.file), workers })
      return { parts: input.parts, workers }
    },
    async send() {
      const sent = await client.sendFile('me', { file: input, forceDocument: true })
      const [msg] = await client.getMessages('me', { ids: [sent.id] })
      doc = msg.media.document
      return { message_id: sent.id }
    },
    async download(hash) {
      // What downloadMedia does for a document (downloadFileV2: iterDownload in 512 KiB requests
      // for a big file), with the chunks hashed instead of written.
      const location = new Api.InputDocumentFileLocation({ id: doc.id, accessHash: doc.accessHash, fileReference: doc.fileReference, thumbSize: '' })
      let bytes = 0
      for await (const chunk of client.iterDownload({ file: location, requestSize: 512 * 1024, dcId: doc.dcId })) {
        hash.update(chunk)
        bytes += chunk.length
      }
      return bytes
    },
    close: () => client.destroy(),
  }
}

let lib = null
try {
  lib = opts.client === 'mtcute' ? await mtcute() : opts.client === 'gramjs' ? await gramjs() : null
  if (!lib) throw new Error(`--client must be mtcute or gramjs, not ${opts.client}`)
  say('ready', { ...(await lib.signIn()), size })
  await timed('uploaded', () => lib.upload())
  await timed('sent', () => lib.send())
  await timed('downloaded', async () => {
    const hash = createHash('sha256')
    const bytes = await lib.download(hash)
    const sha256 = hash.digest('hex')
    return { bytes, sha256, ok: bytes === size && sha256 === opts.sha256 }
  })
  await awaitGo()
} catch (e) {
  say('failed', { error: errorText(e) })
  process.exitCode = 1
}
try {
  await Promise.race([lib?.close(), new Promise((r) => setTimeout(r, 3000))])
} catch { /* the result is already out */ }
process.exit(process.exitCode ?? 0)

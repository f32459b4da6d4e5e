// A Node.js caller of tgrpcd's raw API (tgrpc.raw.v1, one RPC per TL method) with @grpc/grpc-js,
// its stubs loaded at run time by @grpc/proto-loader from the .proto files of the tar that
// `bazel build //proto/raw:raw_api` leaves (no code generation), each answer compared with what
// the typed API (tgrpc.v1, loaded from proto/) says about the same data. It signs in its own
// account (a member of fakedc_big) and prints one line per check, `polyglot raw-node <tl method>
// PASSED|FAILED[: why]`; exits 1 if any failed. `--list-checks` prints the check names (the
// runner counts those it never saw as failed).
//
//   node raw_node.mjs --target 127.0.0.1:50051 --token TOKEN --codes-dir DIR \
//     --raw-tar bazel-bin/proto/raw/raw_api_proto.tar [--phone +16660000006] [--account raw-node-6]
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import grpc from '@grpc/grpc-js'
import protoLoader from '@grpc/proto-loader'
import protobuf from 'protobufjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const { values: args } = parseArgs({
  options: {
    target: { type: 'string', default: '127.0.0.1:50051' },
    token: { type: 'string', default: '' },
    'codes-dir': { type: 'string', default: '' },
    // A member of fakedc_big no other client signs in.
    phone: { type: 'string', default: '+16660000006' },
    account: { type: 'string', default: 'raw-node-6' },
    client: { type: 'string', default: 'raw-node' },
    'big-group': { type: 'string', default: 'fakedc_big' },
    'contact-phone': { type: 'string', default: '15550000002' }, // bob
    'raw-tar': {
      type: 'string',
      default: path.join(here, '..', '..', 'bazel-bin', 'proto', 'raw', 'raw_api_proto.tar'),
    },
    'proto-dir': { type: 'string', default: path.join(here, '..', '..', 'proto') },
    'list-checks': { type: 'boolean', default: false },
  },
})

const CHANNEL_BASE = 1000000000000n // a channel's marked id is -(CHANNEL_BASE + id)
const checks = [] // [name, body], in run order
const check = (name, body) => checks.push([name, body])

function expect(condition, what) {
  if (!condition) throw new Error(what)
}
const show = (value) => JSON.stringify(value)?.slice(0, 200)
const randomLong = () => BigInt.asUintN(63, BigInt(Math.floor(Math.random() * 2 ** 52)) << 11n).toString()

// --- the checks: each returns a note for its PASSED line ----------------------------------------

check('signin', async (c) => {
  await c.typed('AccountService', 'CreateAccount', {
    account: { phone_number: args.phone, display_name: 'polyglot raw node' },
    account_id: args.account,
    request_id: `create-${args.account}`,
  })
  let login = await c.typed('AccountService', 'StartLogin', { name: c.account })
  expect(login.step === 'CODE_SENT', `StartLogin ${login.step}`)
  login = await c.typed('AccountService', 'SubmitCode', { name: c.account, code: await readCode(args.phone) })
  expect(login.step === 'SIGNED_IN', `SubmitCode ${login.step}`)
  c.me = await c.getMe()
  c.homeDc = (await c.typed('AccountService', 'GetAccount', { name: c.account })).home_dc
  return `${c.me.first_name} (user ${c.me.id}, DC ${c.homeDc})`
})

check('help.getNearestDc', async (c) => {
  const nearest = (await c.raw('help', 'GetNearestDc', {})).nearest_dc
  expect(nearest.this_dc === c.homeDc, `this_dc ${nearest.this_dc} vs Account.home_dc ${c.homeDc}`)
  return `this_dc ${nearest.this_dc} = Account.home_dc`
})

check('help.getConfig', async (c) => {
  const config = (await c.raw('help', 'GetConfig', {})).config
  const dcs = new Set(config.dc_options.map((o) => o.dc_option.id))
  expect(config.this_dc === c.homeDc && dcs.has(c.homeDc), `this_dc ${config.this_dc}, DCs ${[...dcs]}`)
  return `this_dc ${config.this_dc} = Account.home_dc, listed among DCs ${[...dcs].sort()}`
})

check('users.getUsers', async (c) => {
  const users = (await c.raw('users', 'GetUsers', {
    id: [{ input_user_self: {} }, { ref: '@bob_example' }],
  })).items
  const bob = await c.typed('UserService', 'GetUser', { name: `${c.account}/users/bob_example` })
  const got = users.map((u) => [u.user.id, u.user.first_name, u.user.access_hash])
  const want = [[c.me.id, c.me.first_name, c.me.access_hash], [bob.id, bob.first_name, bob.access_hash]]
  expect(show(got) === show(want), `raw ${show(got)} vs typed ${show(want)}`)
  c.bob = bob
  return 'self and @bob_example: ids, names, access hashes = GetMe / GetUser'
})

check('account.updateProfile', async (c) => {
  c.about = `raw node about ${c.tag}`
  const user = (await c.raw('account', 'UpdateProfile', { about: c.about })).user
  const me = await c.getMe()
  expect(user.id === me.id && me.full?.about === c.about, `GetMe.full.about ${show(me.full)}`)
  return 'about as GetMe reads it'
})

check('users.getFullUser', async (c) => {
  const full = (await c.raw('users', 'GetFullUser', { id: { ref: 'me' } })).users_user_full
  const me = await c.getMe()
  expect(full.full_user.user_full.id === me.id && full.full_user.user_full.about === me.full?.about,
    `raw ${show(full.full_user)} vs GetMe ${show(me.full)}`)
  return 'id and about = GetMe'
})

check('contacts.resolveUsername', async (c) => {
  const resolved = (await c.raw('contacts', 'ResolveUsername', { username: args['big-group'] }))
    .contacts_resolved_peer
  const typed = (await c.typed('ChatService', 'ResolvePeer', {
    account: c.account, query: args['big-group'],
  })).chat
  const channelId = resolved.peer.peer_channel.channel_id
  const channel = resolved.chats.find((x) => x.channel?.id === channelId)?.channel
  expect(channelId === typed.raw_id && BigInt(typed.id) === -(CHANNEL_BASE + BigInt(channelId)),
    `channel ${channelId} vs ResolvePeer ${typed.raw_id} / ${typed.id}`)
  expect(channel?.access_hash === typed.access_hash && channel.title === typed.title,
    `channel ${show(channel)}`)
  c.big = typed
  return `channel ${channelId}, access_hash, title = ResolvePeer`
})

check('contacts.importContacts', async (c) => {
  const imported = (await c.raw('contacts', 'ImportContacts', {
    contacts: [{ input_phone_contact: { client_id: '7', phone: args['contact-phone'], first_name: 'Bob' } }],
  })).contacts_imported_contacts
  const got = imported.imported.map((i) => [i.imported_contact.client_id, i.imported_contact.user_id])
  expect(show(got) === show([['7', c.bob.id]]), `imported ${show(got)}, want bob ${c.bob.id}`)
  expect((await c.contactIds()).includes(c.bob.id), 'ListContacts lacks bob')
  return 'bob imported, listed by ListContacts'
})

check('contacts.getContacts', async (c) => {
  const contacts = (await c.raw('contacts', 'GetContacts', { hash: '0' })).contacts_contacts
  const raw = contacts.contacts.map((x) => x.contact.user_id).sort()
  const typed = (await c.contactIds()).sort()
  expect(show(raw) === show(typed) && contacts.saved_count === typed.length,
    `raw ${show(raw)} vs ListContacts ${show(typed)}`)
  return `${raw.length} contact(s) = ListContacts`
})

check('updates.getState', async (c) => {
  const state = (await c.raw('updates', 'GetState', {})).updates_state
  let typed
  for (let i = 0; i < 100; i++) { // tgrpcd applies updates asynchronously: its pts catches up
    typed = (await c.typed('UpdateService', 'GetUpdateState', { account: c.account })).pts
    if (typed === state.pts) break
    await sleep(50)
  }
  expect(typed === state.pts, `pts ${state.pts}, GetUpdateState.pts ${typed}`)
  return `pts ${state.pts} = GetUpdateState.pts`
})

check('messages.sendMessage', async (c) => {
  c.text = `raw node hello ${c.tag}`
  const randomId = randomLong()
  const updates = await c.raw('messages', 'SendMessage', {
    peer: { input_peer_self: {} }, message: c.text, random_id: randomId,
  })
  const idUpdate = updatesOf(updates).find((u) => u.update_message_id?.random_id === randomId)
  expect(idUpdate, `no updateMessageID for ${randomId}: ${show(updates)}`)
  c.sent = idUpdate.update_message_id.id
  const typed = await c.typedMessages('me', [c.sent])
  expect(typed.messages?.length === 1 && typed.messages[0].text === c.text && typed.messages[0].outgoing,
    `GetMessages ${show(typed)}`)
  return `message ${c.sent}, read by GetMessages`
})

check('messages.getMessages', async (c) => {
  const got = await c.raw('messages', 'GetMessages', { id: [{ input_message_id: { id: c.sent } }] })
  const typed = (await c.typedMessages('me', [c.sent])).messages[0]
  const raw = messagesOf(got).map((m) => [m.id, m.message, String(m.date)])
  expect(show(raw) === show([[typed.id, typed.text, typed.date.seconds]]),
    `raw ${show(raw)} vs GetMessages ${show(typed)}`)
  return 'id, text, date = GetMessages'
})

check('messages.getHistory', async (c) => {
  const got = await c.raw('messages', 'GetHistory', { peer: { input_peer_self: {} }, limit: 20 })
  const raw = messagesOf(got).map((m) => [m.id, m.message])
  const typed = (await c.typedHistory('me', 20)).map((m) => [m.id, m.text ?? ''])
  expect(raw.length && show(raw) === show(typed), `raw ${show(raw)} vs ListMessages ${show(typed)}`)
  return `${raw.length} message(s), ids and texts = ListMessages`
})

check('messages.search', async (c) => {
  const got = await c.raw('messages', 'Search', {
    peer: { input_peer_self: {} }, q: c.tag, limit: 20, filter: { input_messages_filter_empty: {} },
  })
  const raw = messagesOf(got).map((m) => m.id)
  const typed = await c.typed('MessageService', 'SearchMessages', {
    account: c.account, chat: `${c.account}/chats/me`, query: c.tag,
  })
  const typedIds = (typed.messages ?? []).map((m) => m.id)
  expect(show(raw) === show(typedIds) && show(raw) === show([c.sent]),
    `raw ${show(raw)} vs SearchMessages ${show(typedIds)}`)
  return `${c.tag} finds message ${c.sent}, as SearchMessages`
})

check('messages.editMessage', async (c) => {
  c.text = `raw node edited ${c.tag}`
  const updates = await c.raw('messages', 'EditMessage', {
    peer: { input_peer_self: {} }, id: c.sent, message: c.text,
  })
  const edited = updatesOf(updates).map((u) => u.update_edit_message?.message?.message).find(Boolean)
  expect(edited?.message === c.text, `answer ${show(updates)}`)
  const typed = (await c.typedMessages('me', [c.sent])).messages[0]
  // (fakedc sets no edit_date: compared as given, absent on both sides there)
  expect(typed.text === c.text && String(edited.edit_date ?? '') === (typed.edit_date?.seconds ?? ''),
    `GetMessages ${show(typed)} vs raw edit_date ${edited.edit_date}`)
  return 'text and edit_date as GetMessages reads them'
})

check('messages.sendMedia', async (c) => {
  const point = { lat: 59.3293, long: 18.0686 }
  const updates = await c.raw('messages', 'SendMedia', {
    peer: { input_peer_self: {} }, random_id: randomLong(),
    media: { input_media_geo_point: { geo_point: { input_geo_point: point } } },
  })
  const sent = updatesOf(updates).map((u) => u.update_new_message?.message?.message).find(Boolean)
  expect(sent, `no new message in ${show(updates)}`)
  const typed = (await c.typedMessages('me', [sent.id])).messages[0]
  expect(typed.media?.type === 'geo' && typed.media.latitude === point.lat &&
    typed.media.longitude === point.long,
    `GetMessages media ${show(typed.media)}`)
  c.geo = sent.id
  return `geo message ${sent.id}: GetMessages media geo at the same point`
})

check('messages.deleteMessages', async (c) => {
  const affected = (await c.raw('messages', 'DeleteMessages', { id: [c.geo], revoke: true }))
    .messages_affected_messages
  const typed = await c.typedMessages('me', [c.geo])
  expect(affected.pts_count === 1 && show(typed.missing) === show([c.geo]),
    `pts_count ${affected.pts_count}, missing ${show(typed.missing)}`)
  return `GetMessages has ${c.geo} missing`
})

check('messages.getDialogs', async (c) => {
  const got = await c.raw('messages', 'GetDialogs', { offset_peer: { input_peer_empty: {} }, limit: 100 })
  const raw = got[got.value].dialogs.map((d) => [markedId(d.dialog.peer), d.dialog.top_message ?? 0]).sort()
  const listed = await c.typed('ChatService', 'ListChats', { account: c.account, page_size: 100 })
  const typed = (listed.dialogs ?? []).map((d) => [d.chat.id, d.top_message_id ?? 0]).sort()
  expect(raw.length && show(raw) === show(typed), `raw ${show(raw)} vs ListChats ${show(typed)}`)
  return `${raw.length} dialog(s): peers and top messages = ListChats`
})

check('channels.getFullChannel', async (c) => {
  const full = (await c.raw('channels', 'GetFullChannel', { channel: { ref: `@${args['big-group']}` } }))
    .messages_chat_full
  const channelFull = full.full_chat.channel_full
  const typed = await c.typed('ChatService', 'GetChat', { name: `${c.account}/chats/${c.big.id}` })
  expect(channelFull.id === typed.raw_id && channelFull.participants_count === typed.members_count,
    `raw ${channelFull.id} ${channelFull.participants_count} vs GetChat ${typed.raw_id} ` +
    `${typed.members_count}`)
  return `${channelFull.participants_count} participants = GetChat`
})

check('channels.getParticipants', async (c) => {
  const got = (await c.raw('channels', 'GetParticipants', {
    channel: { ref: c.big.id }, offset: 0, limit: 50, hash: '0', filter: { channel_participants_recent: {} },
  })).channels_channel_participants
  const raw = got.participants.map((p) => p[p.value].user_id)
  const typed = await c.typed('ChatService', 'ListChatMembers', {
    parent: `${c.account}/chats/${c.big.id}`, page_size: 50,
  })
  const typedIds = typed.members.map((m) => m.user.id)
  expect(got.count === typed.total_size && show(raw) === show(typedIds),
    `raw ${got.count} ${show(raw.slice(0, 5))} vs ListChatMembers ${typed.total_size} ` +
    `${show(typedIds.slice(0, 5))}`)
  return `count ${got.count} and the first ${raw.length} ids = ListChatMembers`
})

check('ref_peer', async (c) => {
  // A post in the big group addressed by marked id, then its history by marked id and by
  // @username: the same as the typed API's.
  const updates = await c.raw('messages', 'SendMedia', {
    peer: { ref: c.big.id }, random_id: randomLong(),
    media: { input_media_geo_point: { geo_point: { input_geo_point: { lat: 1, long: 2 } } } },
  })
  const post = updatesOf(updates).map((u) => u.update_new_channel_message?.message?.message).find(Boolean)
  expect(post, `no new channel message in ${show(updates)}`)
  const history = async (ref) =>
    messagesOf(await c.raw('messages', 'GetHistory', { peer: { ref }, limit: 10 })).map((m) => m.id)
  const byId = await history(c.big.id)
  const byName = await history(`@${args['big-group']}`)
  const typed = (await c.typedHistory(c.big.id, 10)).map((m) => m.id)
  expect(show(byId) === show(typed) && show(byName) === show(typed) && typed.includes(post.id),
    `post ${post.id}; by id ${show(byId)}, by name ${show(byName)}, ListMessages ${show(typed)}`)
  const user = (await c.raw('users', 'GetUsers', { id: [{ ref: c.bob.id }] })).items[0].user
  expect(user.id === c.bob.id && user.access_hash === c.bob.access_hash, `bob by id ${show(user)}`)
  return `post ${post.id} sent to ${c.big.id}; its history by id and @${args['big-group']} = ` +
    'ListMessages; bob by id'
})

check('bad_input', async (c) => {
  const d = await c.failing('messages', 'GetHistory', { limit: 1 }) // no peer
  expect(d.code === grpc.status.INVALID_ARGUMENT && (d.message.includes('peer') ||
    d.badRequest?.field_violations?.some((v) => v.field.endsWith('peer'))), `missing peer: ${show(d)}`)
  const ok = (await c.raw('help', 'GetNearestDc', {})).nearest_dc
  expect(ok.this_dc === c.homeDc, 'not serving afterwards')
  return `no peer: INVALID_ARGUMENT ${JSON.stringify(d.message)}`
})

check('invoke_json', async (c) => {
  const answer = await c.typed('RawService', 'InvokeJson', {
    account: c.account, query_json: JSON.stringify({ _: 'users.getFullUser', id: { _: 'inputUserSelf' } }),
  })
  const result = JSON.parse(answer.result_json)
  const me = await c.getMe()
  expect(answer.method === 'users.getFullUser' && result.full_user.id === me.id &&
    result.full_user.about === me.full?.about,
    `${answer.method}: ${answer.result_json.slice(0, 200)}`)
  return 'users.getFullUser as JSON: id and about = GetMe'
})

// --- plumbing -------------------------------------------------------------------------------------

if (args['list-checks']) {
  console.log(checks.map(([name]) => name).join('\n'))
  process.exit(0)
}

const statusName = (code) => Object.keys(grpc.status).find((k) => grpc.status[k] === code) ?? code
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function readCode(phone) {
  const file = path.join(args['codes-dir'], phone.replace(/\D/g, ''))
  for (let i = 0; i < 100; i++) {
    if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim()
    await sleep(100)
  }
  throw new Error(`no sign-in code in ${file}`)
}

function markedId(peer) {
  if (peer.peer_user) return peer.peer_user.user_id
  if (peer.peer_chat) return String(-BigInt(peer.peer_chat.chat_id))
  return String(-(CHANNEL_BASE + BigInt(peer.peer_channel.channel_id)))
}

function updatesOf(updates) {
  const box = updates.updates ?? updates.updates_combined
  if (box) return box.updates
  return updates.update_short ? [updates.update_short.update] : []
}

function messagesOf(answer) {
  return answer[answer.value].messages.map((m) => m.message ?? m.message_service).filter(Boolean)
}

const began = Date.now()
const protoDir = path.resolve(args['proto-dir'])
const rawDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tgrpc-raw-node-'))
process.on('exit', () => fs.rmSync(rawDir, { recursive: true, force: true }))
execFileSync('tar', ['-xf', path.resolve(args['raw-tar']), '-C', rawDir])
const rawFiles = fs.readdirSync(path.join(rawDir, 'tgrpc', 'raw', 'v1')).filter((f) => f.endsWith('.proto'))
// arrays: empty repeated fields as [] (proto3 does not send them)
const options = { keepCase: true, longs: String, enums: String, defaults: false, arrays: true, oneofs: true }
const raw = grpc.loadPackageDefinition(protoLoader.loadSync(rawFiles.map((f) => `tgrpc/raw/v1/${f}`),
  { ...options, includeDirs: [rawDir] })).tgrpc.raw.v1
const v1 = grpc.loadPackageDefinition(protoLoader.loadSync(
  ['account', 'chat', 'message', 'raw', 'update', 'user'].map((f) => `tgrpc/v1/${f}.proto`),
  { ...options, includeDirs: [protoDir, '/usr/include'] })).tgrpc.v1
console.log(`${args.client}: ${rawFiles.length} raw .proto files loaded by proto-loader in ` +
  `${Date.now() - began} ms`)

// google.rpc.Status and its details, to decode grpc-status-details-bin.
const rpcRoot = new protobuf.Root()
rpcRoot.resolvePath = (origin, target) => [protoDir, '/usr/include'].map((d) => path.join(d, target))
  .find((p) => fs.existsSync(p)) ?? protobuf.util.path.resolve(origin, target)
rpcRoot.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true })
const Status = rpcRoot.lookupType('google.rpc.Status')

const credentials = grpc.credentials.createInsecure()
const clients = new Map()
function client(pkg, service) {
  const key = `${pkg === raw ? 'raw' : 'v1'}.${service}`
  if (!clients.has(key)) clients.set(key, new pkg[service](args.target, credentials))
  return clients.get(key)
}

function invoke(stub, method, request) {
  const metadata = new grpc.Metadata()
  metadata.set('authorization', `Bearer ${args.token}`)
  return new Promise((resolve, reject) => {
    stub[method](request, metadata, { deadline: Date.now() + 30000 }, (error, response) =>
      error ? reject(error) : resolve(response))
  })
}

function details(error) {
  const out = { code: error.code, message: error.details }
  const bytes = error.metadata?.get('grpc-status-details-bin') ?? []
  if (bytes.length === 0) return out
  for (const any of Status.decode(bytes[0]).details) {
    const typeName = any.type_url.slice(any.type_url.lastIndexOf('/') + 1)
    const type = rpcRoot.lookupType(typeName)
    const value = type.toObject(type.decode(any.value), { defaults: true })
    if (typeName === 'google.rpc.ErrorInfo') out.errorInfo = value
    if (typeName === 'google.rpc.BadRequest') out.badRequest = value
  }
  return out
}

const c = {
  account: `accounts/${args.account}`,
  tag: `n${Math.floor(Math.random() * 1e6)}`,
  // A raw call: `namespace` is the TL namespace (messages -> MessagesService).
  raw(namespace, method, request) {
    const service = `${namespace[0].toUpperCase()}${namespace.slice(1)}Service`
    return invoke(client(raw, service), method, { account: this.account, ...request })
  },
  typed(service, method, request) {
    return invoke(client(v1, service), method, request)
  },
  async failing(namespace, method, request) {
    try {
      const response = await this.raw(namespace, method, request)
      throw new Error(`succeeded: ${show(response)}`)
    } catch (error) {
      if (error.code === undefined) throw error
      return details(error)
    }
  },
  getMe() {
    return this.typed('UserService', 'GetMe', { account: this.account })
  },
  typedMessages(chat, ids) {
    return this.typed('MessageService', 'GetMessages', { parent: `${this.account}/chats/${chat}`, ids })
  },
  async typedHistory(chat, size) {
    const listed = await this.typed('MessageService', 'ListMessages', {
      parent: `${this.account}/chats/${chat}`, page_size: size,
    })
    return listed.messages ?? []
  },
  async contactIds() {
    const listed = await this.typed('UserService', 'ListContacts', { account: this.account })
    return (listed.contacts ?? []).map((u) => u.id)
  },
}

let failures = 0
for (const [name, body] of checks) {
  try {
    const note = await body(c)
    console.log(`polyglot ${args.client} ${name} PASSED${note ? `: ${note}` : ''}`)
  } catch (error) {
    failures++
    const why = error.code !== undefined ? `${statusName(error.code)}: ${error.details}`
      : (error.message ?? error)
    console.log(`polyglot ${args.client} ${name} FAILED: ${why}`)
  }
}
for (const stub of clients.values()) stub.close()
process.exit(failures === 0 ? 0 : 1)

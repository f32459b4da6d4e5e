// A Node.js caller of tgrpcd, as a service written in JavaScript would be: @grpc/grpc-js with
// stubs loaded at run time from proto/ by @grpc/proto-loader (no code generation). It signs an
// account in, sends and reads messages, reacts to one and rolls a dice, pages the big group's
// members and decodes the google.rpc.Status details (grpc-status-details-bin) of the errors it
// provokes. One line per check: `polyglot node <check> PASSED|FAILED[: why]`; exits 1 if any
// failed.
//
//   node node_client.mjs --target 127.0.0.1:50051 --token TOKEN --codes-dir DIR \
//     --phone +15550000001 --account node-alice [--client node] [--big-group fakedc_big]
//
// The fakedc under tgrpcd must limit messages.sendMessage to 1 call a minute
// (--flood=messages.sendMessage:1/60): the second message this client sends gets FLOOD_WAIT.
import fs from 'node:fs'
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
    phone: { type: 'string', default: '+15550000001' },
    account: { type: 'string', default: 'node-alice' },
    client: { type: 'string', default: 'node' },
  'bot-token': { type: 'string', default: '1000000:AAFakeDcBotTokenForTests' },
    'big-group': { type: 'string', default: 'fakedc_big' },
    // A registered number the account imports as a contact (fakedc's seeded carol).
    'contact-phone': { type: 'string', default: '+15550000003' },
    'proto-dir': { type: 'string', default: path.join(here, '..', '..', 'proto') },
  },
})
const protoDir = path.resolve(args['proto-dir'])
const includeDirs = [protoDir, '/usr/include']

// The services, from the .proto files as they are.
const definition = protoLoader.loadSync(
  ['tgrpc/v1/account.proto', 'tgrpc/v1/bot.proto', 'tgrpc/v1/chat.proto', 'tgrpc/v1/message.proto',
    'tgrpc/v1/user.proto'],
  { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true, includeDirs },
)
const v1 = grpc.loadPackageDefinition(definition).tgrpc.v1
const credentials = grpc.credentials.createInsecure()
const accounts = new v1.AccountService(args.target, credentials)
const chats = new v1.ChatService(args.target, credentials)
const messages = new v1.MessageService(args.target, credentials)
const users = new v1.UserService(args.target, credentials)
const bots = new v1.BotService(args.target, credentials)

// google.rpc.Status and the detail messages, to decode grpc-status-details-bin.
const rpcRoot = new protobuf.Root()
rpcRoot.resolvePath = (origin, target) => {
  for (const dir of includeDirs) {
    const candidate = path.join(dir, target)
    if (fs.existsSync(candidate)) return candidate
  }
  return protobuf.util.path.resolve(origin, target)
}
rpcRoot.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true })
const Status = rpcRoot.lookupType('google.rpc.Status')

// The details of a failed call: { code, message, errorInfo, retryInfo, badRequest, types }.
function details(error) {
  const out = { code: error.code, message: error.details, types: [] }
  const raw = error.metadata?.get('grpc-status-details-bin') ?? []
  if (raw.length === 0) return out
  const status = Status.decode(raw[0])
  out.statusCode = status.code
  for (const any of status.details) {
    const typeName = any.type_url.slice(any.type_url.lastIndexOf('/') + 1)
    out.types.push(typeName)
    const type = rpcRoot.lookupType(typeName)
    const value = type.toObject(type.decode(any.value), { longs: Number, defaults: true })
    if (typeName === 'google.rpc.ErrorInfo') out.errorInfo = value
    if (typeName === 'google.rpc.RetryInfo') out.retryInfo = value
    if (typeName === 'google.rpc.BadRequest') out.badRequest = value
  }
  return out
}

function call(client, method, request, { token = args.token, timeoutMs = 30000 } = {}) {
  const metadata = new grpc.Metadata()
  if (token) metadata.set('authorization', `Bearer ${token}`)
  return new Promise((resolve, reject) => {
    client[method](request, metadata, { deadline: Date.now() + timeoutMs }, (error, response) =>
      error ? reject(error) : resolve(response))
  })
}

// A call that must fail: resolves to its decoded details.
async function failing(client, method, request, options) {
  try {
    const response = await call(client, method, request, options)
    throw new Error(`${method} succeeded: ${JSON.stringify(response).slice(0, 200)}`)
  } catch (error) {
    if (error.code === undefined) throw error
    return details(error)
  }
}

function expect(condition, what) {
  if (!condition) throw new Error(what)
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const account = `accounts/${args.account}`
let failures = 0

async function check(name, body) {
  try {
    const note = await body()
    console.log(`polyglot ${args.client} ${name} PASSED${note ? `: ${note}` : ''}`)
  } catch (error) {
    failures++
    console.log(`polyglot ${args.client} ${name} FAILED: ${error.message ?? error}`)
  }
}

async function readCode(phone) {
  const file = path.join(args['codes-dir'], phone.replace(/\D/g, ''))
  for (let i = 0; i < 100; i++) {
    if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim()
    await sleep(100)
  }
  throw new Error(`no sign-in code in ${file}`)
}

const state = {}

await check('auth', async () => {
  // No token: UNAUTHENTICATED with tgrpc's own ErrorInfo.
  const d = await failing(accounts, 'ListAccounts', {}, { token: '' })
  expect(d.code === grpc.status.UNAUTHENTICATED, `code ${d.code}, want UNAUTHENTICATED`)
  expect(d.errorInfo?.reason === 'TOKEN_MISSING' && d.errorInfo.domain === 'tgrpc.dev',
    `ErrorInfo ${JSON.stringify(d.errorInfo)}`)
  const bad = await failing(accounts, 'ListAccounts', {}, { token: 'not-the-token-at-all' })
  expect(bad.code === grpc.status.UNAUTHENTICATED && bad.errorInfo?.reason === 'TOKEN_INVALID',
    `a wrong token: ${JSON.stringify(bad)}`)
  return 'TOKEN_MISSING, TOKEN_INVALID'
})

await check('signin', async () => {
  const created = await call(accounts, 'CreateAccount', {
    account: { phone_number: args.phone, display_name: 'polyglot node' },
    account_id: args.account,
    request_id: `create-${args.account}`,
  })
  expect(created.name === account && created.state === 'LOGGED_OUT', `created ${JSON.stringify(created)}`)
  let login = await call(accounts, 'StartLogin', { name: account, method: 'PHONE_CODE' })
  expect(login.step === 'CODE_SENT', `StartLogin: ${login.step}`)
  const code = await readCode(args.phone)
  login = await call(accounts, 'SubmitCode', { name: account, code })
  expect(login.step === 'SIGNED_IN', `SubmitCode: ${login.step}`)
  const me = await call(users, 'GetMe', { account })
  expect(me.is_self && me.name === `${account}/users/${me.id}`, `GetMe ${JSON.stringify(me)}`)
  const got = await call(accounts, 'GetAccount', { name: account })
  expect(got.state === 'SIGNED_IN' && got.user?.id === me.id, `GetAccount ${got.state}`)
  state.me = me
  return `${me.first_name} (user ${me.id}, DC ${got.home_dc})`
})

await check('messages', async () => {
  const chat = `${account}/chats/me`
  const request = {
    parent: chat,
    text: 'hello from **node**',
    parse_mode: 'MARKDOWN',
    request_id: `node-hello-${args.account}`,
  }
  const sent = await call(messages, 'SendMessage', request)
  expect(sent.text === 'hello from node', `text ${JSON.stringify(sent.text)}`)
  expect(sent.entities?.length === 1 && sent.entities[0].type === 'bold' &&
    sent.entities[0].offset === 11 && sent.entities[0].length === 4,
  `entities ${JSON.stringify(sent.entities)}`)
  // The same request_id again: the first answer, not a second message.
  const again = await call(messages, 'SendMessage', request)
  expect(again.id === sent.id, `a retried request_id sent again: ${again.id} != ${sent.id}`)
  const parent = sent.name.slice(0, sent.name.indexOf('/messages/'))
  const got = await call(messages, 'GetMessages', { parent, ids: [sent.id, 999999] })
  expect(got.messages?.length === 1 && got.messages[0].text === sent.text,
    `GetMessages ${JSON.stringify(got.messages)}`)
  expect(got.missing?.length === 1 && got.missing[0] === 999999, `missing ${JSON.stringify(got.missing)}`)
  const history = await call(messages, 'ListMessages', { parent: chat, page_size: 10 })
  expect(history.messages?.[0]?.id === sent.id && history.messages[0].text === sent.text,
    `ListMessages ${JSON.stringify(history.messages?.[0])}`)
  state.sent = sent
  return `sent ${sent.name}, read back by id and in history`
})

await check('reactions', async () => {
  const sent = state.sent
  expect(sent, 'no message from the messages check')
  const reacted = await call(messages, 'SetReaction', { name: sent.name, reactions: ['👍'] })
  const r = reacted.reactions?.[0]
  expect(reacted.reactions?.length === 1 && r.reaction === '👍' && r.count === 1 && r.chosen,
    `SetReaction ${JSON.stringify(reacted)}`)
  const listed = await call(messages, 'ListReactions', { name: sent.name })
  expect(listed.total_size === 1 && listed.reactors?.length === 1 && listed.reactors[0].own &&
    listed.reactors[0].reaction === '👍', `ListReactions ${JSON.stringify(listed)}`)
  const refused = await failing(messages, 'SetReaction', { name: sent.name, reactions: ['🍕'] })
  expect(refused.code === grpc.status.INVALID_ARGUMENT && refused.errorInfo?.reason === 'REACTION_INVALID',
    `a reaction the chat refuses: ${JSON.stringify(refused)}`)
  const dice = await call(messages, 'SendDice', { parent: `${account}/chats/me` })
  expect(dice.media?.type === 'dice' && dice.media.value >= 1 && dice.media.value <= 6,
    `SendDice ${JSON.stringify(dice.media)}`)
  return `👍 on ${sent.name}, listed; REACTION_INVALID; dice rolled ${dice.media.value}`
})

await check('members', async () => {
  const resolved = await call(chats, 'ResolvePeer', { account, query: args['big-group'] })
  const chat = resolved.chat
  expect(chat?.type === 'SUPERGROUP' && BigInt(chat.id) < -1000000000000n, `ResolvePeer ${JSON.stringify(chat)}`)
  const seen = new Set()
  let pageToken = ''
  let pages = 0
  let total = 0
  do {
    const page = await call(chats, 'ListChatMembers', { parent: chat.name, page_size: 200, page_token: pageToken })
    for (const member of page.members ?? []) seen.add(member.user.id)
    total = page.total_size
    pageToken = page.next_page_token ?? ''
    pages++
  } while (pageToken && pages < 200)
  expect(seen.size === total && total === chat.members_count, `${seen.size} members seen, total_size ${total}, members_count ${chat.members_count}`)
  expect(pages >= 2, `${pages} page(s)`)
  return `${seen.size} members of ${chat.name} in ${pages} pages`
})

await check('contacts', async () => {
  const imported = await call(users, 'ImportContacts', {
    account,
    contacts: [
      { phone_number: args['contact-phone'], first_name: 'Polyglot' },
      { phone_number: '+1 555 999 0000', first_name: 'Nobody' }, // no account: no user
    ],
  })
  const [found, nobody] = imported.results ?? []
  expect(imported.results?.length === 2 && found.user?.is_contact && !nobody.user,
    `ImportContacts ${JSON.stringify(imported)}`)
  const seen = []
  let pageToken = ''
  let pages = 0
  let total = 0
  do {
    const page = await call(users, 'ListContacts', { account, page_size: 1, page_token: pageToken })
    for (const contact of page.contacts ?? []) seen.push(contact.id)
    total = page.total_size
    pageToken = page.next_page_token ?? ''
    pages++
  } while (pageToken && pages < 100)
  expect(seen.includes(found.user.id) && seen.length === total && new Set(seen).size === total,
    `ListContacts ${JSON.stringify(seen)}, total_size ${total}`)
  return `imported ${found.user.name}, listed among ${total} contact(s) in ${pages} page(s)`
})

await check('not_found', async () => {
  // A user id the account never saw: NOT_FOUND (PEER_ID_INVALID) before any Telegram call.
  const unseen = await failing(messages, 'SendMessage', { parent: `${account}/chats/987654321`, text: 'hi' })
  expect(unseen.code === grpc.status.NOT_FOUND, `code ${unseen.code}, want NOT_FOUND`)
  let note = ''
  if (unseen.errorInfo) {
    expect(unseen.errorInfo.reason === 'PEER_ID_INVALID', `ErrorInfo ${JSON.stringify(unseen.errorInfo)}`)
    note = 'PEER_ID_INVALID in ErrorInfo'
  } else {
    // tgrpcd's peer cache answers without ErrorInfo (reported); the reason is in the message.
    expect(unseen.message.startsWith('PEER_ID_INVALID'), `message ${unseen.message}`)
    note = 'PEER_ID_INVALID in the message only (no ErrorInfo)'
  }
  // A username nobody has: Telegram's error, with the whole ErrorInfo.
  const nobody = await failing(messages, 'SendMessage', { parent: `${account}/chats/nobody_here_at_all`, text: 'hi' })
  const info = nobody.errorInfo
  expect(nobody.code === grpc.status.NOT_FOUND, `code ${nobody.code}, want NOT_FOUND`)
  expect(info?.reason === 'USERNAME_NOT_OCCUPIED' && info.domain === 'telegram.org' &&
    info.metadata?.code === '400' && info.metadata?.message === 'USERNAME_NOT_OCCUPIED' &&
    info.metadata?.description, `ErrorInfo ${JSON.stringify(info)}`)
  return `${note}; USERNAME_NOT_OCCUPIED (telegram.org, code 400)`
})

await check('bad_request', async () => {
  const d = await failing(messages, 'SendMessage', { parent: 'chats/1', text: 'hi' })
  expect(d.code === grpc.status.INVALID_ARGUMENT, `code ${d.code}, want INVALID_ARGUMENT`)
  const violation = d.badRequest?.field_violations?.[0]
  expect(violation?.field === 'parent' && violation.description, `BadRequest ${JSON.stringify(d.badRequest)}`)
  return `BadRequest field ${violation.field}`
})

await check('flood_wait', async () => {
  // fakedc allows one messages.sendMessage a minute: this second message waits ~60 s, more than
  // tgrpcd's --flood_wait_threshold, so it comes back as RESOURCE_EXHAUSTED with RetryInfo.
  const d = await failing(messages, 'SendMessage', { parent: `${account}/chats/me`, text: 'too soon' })
  expect(d.code === grpc.status.RESOURCE_EXHAUSTED, `code ${d.code} (${d.message}), want RESOURCE_EXHAUSTED`)
  const info = d.errorInfo
  expect(info?.reason === 'FLOOD_WAIT' && info.domain === 'telegram.org' && info.metadata?.code === '420',
    `ErrorInfo ${JSON.stringify(info)}`)
  const seconds = Number(d.retryInfo?.retry_delay?.seconds ?? 0)
  expect(seconds > 10 && seconds <= 60, `RetryInfo ${JSON.stringify(d.retryInfo)}`)
  expect(info.metadata?.argument === String(seconds), `argument ${info.metadata?.argument} vs ${seconds}`)
  const status = await call(accounts, 'GetAccountStatus', { name: account })
  expect(status.flood_waits?.some((w) => w.method === 'messages.sendMessage'),
    `GetAccountStatus flood_waits ${JSON.stringify(status.flood_waits)}`)
  return `FLOOD_WAIT (telegram.org, 420), retry in ${seconds}s`
})

await check('forum', async () => {
  const made = await call(chats, 'CreateChat', {
    account, type: 'SUPERGROUP', title: `Forum of ${args.client}`, request_id: `forum-${args.account}`,
  })
  expect(made.type === 'SUPERGROUP' && !made.is_forum, `CreateChat ${JSON.stringify(made)}`)
  const turned = await call(chats, 'UpdateChat', {
    chat: { name: made.name }, update_mask: { paths: ['topics'] }, topics: true,
  })
  expect(turned.is_forum === true, `UpdateChat topics: ${JSON.stringify(turned)}`)
  const topic = await call(chats, 'CreateForumTopic', {
    parent: made.name, title: 'Releases', icon_color: 0xCB86DB, request_id: `topic-${args.account}`,
  })
  expect(topic.title === 'Releases' && topic.topic_id > 0 && topic.my &&
    topic.name === `${made.name}/topics/${topic.topic_id}` && topic.icon_color === 0xCB86DB,
  `CreateForumTopic ${JSON.stringify(topic)}`)
  const listed = async () => {
    const page = await call(chats, 'ListForumTopics', { parent: made.name })
    return new Map((page.topics ?? []).map((t) => [t.topic_id, t]))
  }
  let found = await listed()
  expect(found.get(topic.topic_id)?.title === 'Releases', `ListForumTopics ${JSON.stringify([...found.values()])}`)
  const renamed = await call(chats, 'UpdateForumTopic', {
    topic: { name: topic.name, title: 'Release notes' }, update_mask: { paths: ['title'] },
  })
  expect(renamed.title === 'Release notes' && !renamed.closed, `UpdateForumTopic title: ${JSON.stringify(renamed)}`)
  const closed = await call(chats, 'UpdateForumTopic', {
    topic: { name: topic.name, closed: true }, update_mask: { paths: ['closed'] },
  })
  expect(closed.closed === true && closed.title === 'Release notes', `UpdateForumTopic closed: ${JSON.stringify(closed)}`)
  found = await listed()
  expect(found.get(topic.topic_id)?.closed === true, `listed ${JSON.stringify([...found.values()])}`)
  await call(chats, 'DeleteForumTopic', { name: topic.name })
  found = await listed()
  expect(!found.has(topic.topic_id), 'the deleted topic is still listed')
  const gone = await failing(chats, 'DeleteForumTopic', { name: topic.name })
  expect(gone.code === grpc.status.INVALID_ARGUMENT && gone.errorInfo?.reason === 'TOPIC_ID_INVALID',
    `deleted twice: ${JSON.stringify(gone)}`)
  // CreateChat's forum: topics on from the start.
  const born = await call(chats, 'CreateChat', {
    account, type: 'SUPERGROUP', forum: true, title: `Born a forum (${args.client})`,
  })
  expect(born.is_forum === true, `CreateChat forum: ${JSON.stringify(born)}`)
  return `${made.name} made a forum; topic ${topic.topic_id} created, listed, renamed, closed, ` +
    `deleted (then TOPIC_ID_INVALID); CreateChat forum ${born.name}`
})

await check('bot_commands', async () => {
  // A bot account (fakedc's seeded bot) publishes commands for its own language code, so the
  // callers that share the bot do not see each other's lists.
  const bot = `accounts/${args.account}-bot`
  const created = await call(accounts, 'CreateAccount', {
    account: { bot_token: args['bot-token'] }, account_id: `${args.account}-bot`,
  })
  expect(created.state === 'SIGNED_IN' && created.kind === 'BOT', `CreateAccount ${created.state} ${created.kind}`)
  const language = 'nd'
  await call(bots, 'SetCommands', {
    account: bot, language_code: language,
    commands: [{ command: 'start', description: 'from node' }, { command: 'help', description: 'help' }],
  })
  const got = await call(bots, 'GetCommands', { account: bot, language_code: language })
  expect(got.commands?.length === 2 && got.commands[0].description === 'from node',
    `GetCommands ${JSON.stringify(got.commands)}`)
  // The user account is refused before Telegram is asked.
  const d = await failing(bots, 'GetCommands', { account })
  expect(d.code === grpc.status.FAILED_PRECONDITION && d.errorInfo?.reason === 'BOT_ACCOUNT_REQUIRED',
    `a user account: ${JSON.stringify(d)}`)
  return `SetCommands, GetCommands (${got.commands.length}), BOT_ACCOUNT_REQUIRED`
})

for (const client of [accounts, bots, chats, messages, users]) client.close()
process.exit(failures === 0 ? 0 : 1)

#!/usr/bin/python3
"""A Python caller of tgrpcd, as a service written in Python would be: Debian's python3-grpcio.

The stubs come one of two ways (--stubs):
  protoc      generated now, into a temporary directory, by Debian's python3-grpc-tools
              (`python3 -m grpc_tools.protoc`) from proto/;
  descriptor  no generated code: the messages are built at run time from the descriptor set
              (`bazel build //proto:tgrpc_v1_descriptor_set`, bazel-bin/proto/tgrpc_v1.binpb) with
              google.protobuf's descriptor_pool and message factory, and each method is a
              channel.unary_unary with their serializers;
  auto        protoc when grpc_tools imports, else descriptor (the default).

It signs an account in, sends and reads messages, reacts to one and rolls a dice, pages the big
group's members and decodes the google.rpc.Status details (grpc-status-details-bin) of the errors
it provokes. One line per check: `polyglot <client> <check> PASSED|FAILED[: why]`; exits 1 if any
failed. The fakedc under tgrpcd must limit messages.sendMessage to one call a minute
(--flood=messages.sendMessage:1/60).

  /usr/bin/python3 python_client.py --target 127.0.0.1:50051 --token TOKEN --codes-dir DIR \\
      --phone +15550000002 --account py-bob [--stubs auto] [--client python]
"""
import argparse
import base64
import importlib
import importlib.util
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
V1_FILES = ["account", "bot", "chat", "file", "message", "update", "user"]
RPC_FILES = ["status", "error_details"]


class Api:
    """Message classes by full name and stubs by service name, whichever way they were made."""

    def __init__(self, classes, stub_factory):
        self._classes = classes
        self._stub_factory = stub_factory

    def __getattr__(self, name):  # api.SendMessageRequest -> tgrpc.v1.SendMessageRequest
        return self._classes["tgrpc.v1." + name]

    def rpc(self, full_name):  # api.rpc("google.rpc.ErrorInfo")
        return self._classes[full_name]

    def stub(self, service, channel):
        return self._stub_factory(service, channel)


def _message_classes(file_descriptors, get_class):
    classes = {}

    def walk(descriptor):
        classes[descriptor.full_name] = get_class(descriptor)
        for nested in descriptor.nested_types:
            walk(nested)

    for fd in file_descriptors:
        for descriptor in fd.message_types_by_name.values():
            walk(descriptor)
    return classes


def load_protoc(proto_dir):
    """Generates the _pb2 / _pb2_grpc modules with grpc_tools.protoc and imports them."""
    from grpc_tools import protoc  # Debian's python3-grpc-tools

    out = tempfile.mkdtemp(prefix="tgrpc-py-stubs-")
    files = [f"tgrpc/v1/{f}.proto" for f in V1_FILES] + [f"google/rpc/{f}.proto" for f in RPC_FILES]
    includes = [f"-I{proto_dir}", "-I/usr/include"]
    well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    if os.path.isdir(well_known):
        includes.append(f"-I{well_known}")
    rc = protoc.main(["grpc_tools.protoc", *includes, f"--python_out={out}",
                      f"--grpc_python_out={out}", *files])
    if rc != 0:
        raise RuntimeError(f"grpc_tools.protoc failed ({rc})")
    sys.path.insert(0, out)
    modules = {f: importlib.import_module(f"tgrpc.v1.{f}_pb2") for f in V1_FILES}
    grpc_modules = {f: importlib.import_module(f"tgrpc.v1.{f}_pb2_grpc") for f in V1_FILES}
    rpc_modules = [importlib.import_module(f"google.rpc.{f}_pb2") for f in RPC_FILES]

    by_file = {m.DESCRIPTOR.name: m for m in list(modules.values()) + rpc_modules}

    def get_class(descriptor):
        cls = by_file[descriptor.file.name]
        for part in descriptor.full_name[len(descriptor.file.package) + 1:].split("."):
            cls = getattr(cls, part)
        return cls

    classes = _message_classes([m.DESCRIPTOR for m in list(modules.values()) + rpc_modules],
                               get_class)

    def stub(service, channel):
        for module in grpc_modules.values():
            if hasattr(module, service + "Stub"):
                return getattr(module, service + "Stub")(channel)
        raise KeyError(service)

    return Api(classes, stub), f"grpc_tools.protoc (grpcio-tools {protoc_version()})"


def protoc_version():
    try:
        from importlib import metadata
        return metadata.version("grpcio-tools")
    except Exception:  # noqa: BLE001 - only a label
        return "?"


def load_descriptor_set(path, proto_dir):
    """Builds the message classes and stubs at run time from a FileDescriptorSet."""
    with open(path, "rb") as f:
        file_set = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    shown = os.path.relpath(path, ROOT)
    how = f"descriptor set {path if shown.startswith('..') else shown}"
    names = {fp.name for fp in file_set.file}
    if "google/rpc/error_details.proto" not in names:
        # //proto:tgrpc_v1_descriptor_set holds the tgrpc.v1 files and their imports, and no
        # .proto of the API imports error_details.proto: describe it with Debian's protoc.
        out = os.path.join(tempfile.mkdtemp(prefix="tgrpc-py-desc-"), "error_details.binpb")
        subprocess.run(["protoc", f"-I{proto_dir}", "-I/usr/include", "--include_imports",
                        f"--descriptor_set_out={out}", "google/rpc/error_details.proto"],
                       check=True)
        with open(out, "rb") as f:
            extra = descriptor_pb2.FileDescriptorSet.FromString(f.read())
        file_set.file.extend(fp for fp in extra.file if fp.name not in names)
        how += " + protoc's for google/rpc/error_details.proto"
    pool = descriptor_pool.DescriptorPool()
    for file_proto in file_set.file:  # --include_imports lists dependencies first
        pool.Add(file_proto)
    files = [pool.FindFileByName(fp.name) for fp in file_set.file]
    if hasattr(message_factory, "GetMessageClass"):
        get_class = message_factory.GetMessageClass
    else:  # protobuf < 4.22 (Debian 12 has 4.21)
        get_class = message_factory.MessageFactory(pool).GetPrototype
    classes = _message_classes(files, get_class)

    class Stub:
        def __init__(self, service, channel):
            descriptor = pool.FindServiceByName("tgrpc.v1." + service)
            for method in descriptor.methods:
                request = classes[method.input_type.full_name]
                response = classes[method.output_type.full_name]
                path = f"/{descriptor.full_name}/{method.name}"
                streaming = method.server_streaming if hasattr(method, "server_streaming") else False
                make = channel.unary_stream if streaming else channel.unary_unary
                setattr(self, method.name, make(path, request_serializer=request.SerializeToString,
                                                response_deserializer=response.FromString))

    return Api(classes, Stub), how


class Failure(Exception):
    pass


def expect(condition, what):
    if not condition:
        raise Failure(what)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--token", default="")
    parser.add_argument("--codes-dir", default="")
    parser.add_argument("--phone", default="+15550000002")
    parser.add_argument("--account", default="py-bob")
    parser.add_argument("--client", default="python")
    parser.add_argument("--bot-token", default="1000000:AAFakeDcBotTokenForTests")
    parser.add_argument("--bot-username", default="fakedc_bot")
    parser.add_argument("--press-button", action="store_true",
                        help="check bot_button and bot_inline: an independent client (mtcute) is the bot")
    # A registered number the account imports as a contact (fakedc's seeded carol).
    parser.add_argument("--contact-phone", default="+15550000003")
    parser.add_argument("--big-group", default="fakedc_big")
    # join_request and join_link: Telethon (tests/interop/telethon_client.py, an independent
    # MTProto client) as two seeded users who join the caller's supergroup by its links.
    parser.add_argument("--telethon-dcs", help='fakedc\'s DCs for Telethon, JSON '
                        '{"1": ["127.0.0.1", port], ...}; the join checks run only with it')
    parser.add_argument("--telethon-rsa-key", help="fakedc's public key, PKCS#1 PEM")
    parser.add_argument("--telethon-phones", default="+16660000007,+16660000008",
                        help="the users who join: by request, then by a plain link")
    parser.add_argument("--stubs", choices=["auto", "protoc", "descriptor"], default="auto")
    parser.add_argument("--proto-dir", default=os.path.join(ROOT, "proto"))
    parser.add_argument("--descriptor-set", default=os.path.join(ROOT, "bazel-bin", "proto",
                                                                "tgrpc_v1.binpb"))
    args = parser.parse_args()

    stubs = args.stubs
    if stubs == "auto":
        stubs = "protoc" if importlib.util.find_spec("grpc_tools") else "descriptor"
    api, how = (load_protoc(args.proto_dir) if stubs == "protoc"
                else load_descriptor_set(args.descriptor_set, args.proto_dir))
    print(f"{args.client}: grpcio {grpc.__version__}, stubs from {how}", flush=True)

    channel = grpc.insecure_channel(args.target)
    accounts = api.stub("AccountService", channel)
    chats = api.stub("ChatService", channel)
    messages = api.stub("MessageService", channel)
    users = api.stub("UserService", channel)
    bots = api.stub("BotService", channel)
    Status = api.rpc("google.rpc.Status")
    detail_types = {name: api.rpc(name) for name in
                    ("google.rpc.ErrorInfo", "google.rpc.RetryInfo", "google.rpc.BadRequest")}

    def call(method, request, token=args.token):
        metadata = [("authorization", f"Bearer {token}")] if token else []
        return method(request, metadata=metadata, timeout=30)

    def details(error):
        """The decoded details of a failed call: code, message and the detail messages."""
        out = {"code": error.code(), "message": error.details(), "types": []}
        trailers = dict(error.trailing_metadata() or ())
        raw = trailers.get("grpc-status-details-bin")
        if raw is None:
            return out
        status = Status.FromString(raw)
        expect(status.code == error.code().value[0], f"Status.code {status.code} vs {error.code()}")
        for any_detail in status.details:
            name = any_detail.type_url.rsplit("/", 1)[-1]
            out["types"].append(name)
            if name in detail_types:
                value = detail_types[name]()
                expect(any_detail.Unpack(value), f"cannot unpack {name}")
                out[name.rsplit(".", 1)[-1]] = value
        return out

    def failing(method, request, token=args.token):
        try:
            response = call(method, request, token)
        except grpc.RpcError as error:
            return details(error)
        raise Failure("succeeded: " + " ".join(str(response).split())[:200])

    account = f"accounts/{args.account}"
    failures = 0
    state = {}

    def check(name, body):
        nonlocal failures
        try:
            note = body()
            print(f"polyglot {args.client} {name} PASSED" + (f": {note}" if note else ""), flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported as the check's
            failures += 1
            text = str(error) if isinstance(error, Failure) else f"{type(error).__name__}: {error}"
            print(f"polyglot {args.client} {name} FAILED: {text}", flush=True)

    def auth():
        d = failing(accounts.ListAccounts, api.ListAccountsRequest(), token="")
        expect(d["code"] == grpc.StatusCode.UNAUTHENTICATED, f"code {d['code']}")
        info = d.get("ErrorInfo")
        expect(info is not None and info.reason == "TOKEN_MISSING" and info.domain == "tgrpc.dev",
               f"ErrorInfo {info}")
        d = failing(accounts.ListAccounts, api.ListAccountsRequest(), token="not-the-token-at-all")
        expect(d["code"] == grpc.StatusCode.UNAUTHENTICATED and
               d.get("ErrorInfo") is not None and d["ErrorInfo"].reason == "TOKEN_INVALID",
               f"a wrong token: {d}")
        return "TOKEN_MISSING, TOKEN_INVALID"

    def read_code(phone):
        path = os.path.join(args.codes_dir, re.sub(r"\D", "", phone))
        for _ in range(100):
            if os.path.exists(path):
                with open(path) as f:
                    return f.read().strip()
            time.sleep(0.1)
        raise Failure(f"no sign-in code in {path}")

    def signin():
        created = call(accounts.CreateAccount, api.CreateAccountRequest(
            account=api.Account(phone_number=args.phone, display_name="polyglot python"),
            account_id=args.account, request_id=f"create-{args.account}"))
        expect(created.name == account and created.state == api.Account.LOGGED_OUT, f"{created}")
        login = call(accounts.StartLogin, api.StartLoginRequest(name=account))
        expect(login.step == api.LoginState.CODE_SENT, f"StartLogin: {login}")
        login = call(accounts.SubmitCode, api.SubmitCodeRequest(name=account,
                                                                code=read_code(args.phone)))
        expect(login.step == api.LoginState.SIGNED_IN, f"SubmitCode: {login}")
        me = call(users.GetMe, api.GetMeRequest(account=account))
        expect(me.is_self and me.name == f"{account}/users/{me.id}", f"GetMe {me}")
        got = call(accounts.GetAccount, api.GetAccountRequest(name=account))
        expect(got.state == api.Account.SIGNED_IN and got.user.id == me.id, f"GetAccount {got}")
        return f"{me.first_name} (user {me.id}, DC {got.home_dc})"

    def send_and_read():
        chat = f"{account}/chats/me"
        request = api.SendMessageRequest(parent=chat, text="hello from <b>python</b>",
                                         parse_mode=api.SendMessageRequest.HTML,
                                         request_id=f"py-hello-{args.account}")
        sent = call(messages.SendMessage, request)
        expect(sent.text == "hello from python", f"text {sent.text!r}")
        expect(len(sent.entities) == 1 and sent.entities[0].type == "bold" and
               (sent.entities[0].offset, sent.entities[0].length) == (11, 6),
               f"entities {list(sent.entities)}")
        again = call(messages.SendMessage, request)  # the same request_id: the first answer
        expect(again.id == sent.id, f"a retried request_id sent again: {again.id} != {sent.id}")
        parent = sent.name[:sent.name.index("/messages/")]
        got = call(messages.GetMessages, api.GetMessagesRequest(parent=parent,
                                                                ids=[sent.id, 999999]))
        expect([m.text for m in got.messages] == [sent.text], f"GetMessages {got.messages}")
        expect(list(got.missing) == [999999], f"missing {got.missing}")
        history = call(messages.ListMessages, api.ListMessagesRequest(parent=chat, page_size=10))
        expect(history.messages and history.messages[0].id == sent.id and
               history.messages[0].text == sent.text, f"ListMessages {history.messages[:1]}")
        state["sent"] = sent
        return f"sent {sent.name}, read back by id and in history"

    def reactions():
        sent = state["sent"]
        reacted = call(messages.SetReaction, api.SetReactionRequest(name=sent.name, reactions=["👍"]))
        expect([(r.reaction, r.count, r.chosen) for r in reacted.reactions] == [("👍", 1, True)],
               f"SetReaction {list(reacted.reactions)}")
        listed = call(messages.ListReactions, api.ListReactionsRequest(name=sent.name))
        expect(listed.total_size == 1 and len(listed.reactors) == 1 and listed.reactors[0].own and
               listed.reactors[0].reaction == "👍", f"ListReactions {listed}")
        d = failing(messages.SetReaction, api.SetReactionRequest(name=sent.name, reactions=["🍕"]))
        expect(d["code"] == grpc.StatusCode.INVALID_ARGUMENT and d.get("ErrorInfo") is not None and
               d["ErrorInfo"].reason == "REACTION_INVALID", f"a reaction the chat refuses: {d}")
        dice = call(messages.SendDice, api.SendDiceRequest(parent=f"{account}/chats/me"))
        expect(dice.media.type == "dice" and 1 <= dice.media.value <= 6, f"SendDice {dice.media}")
        return f"👍 on {sent.name}, listed; REACTION_INVALID; dice rolled {dice.media.value}"

    def members():
        resolved = call(chats.ResolvePeer, api.ResolvePeerRequest(account=account,
                                                                  query=args.big_group))
        chat = resolved.chat
        expect(chat.type == api.Chat.SUPERGROUP and chat.id < -1000000000000,
               f"ResolvePeer {chat}")
        seen, token, pages, total = set(), "", 0, 0
        while True:
            page = call(chats.ListChatMembers, api.ListChatMembersRequest(
                parent=chat.name, page_size=200, page_token=token))
            seen.update(m.user.id for m in page.members)
            total, token, pages = page.total_size, page.next_page_token, pages + 1
            if not token or pages >= 200:
                break
        expect(len(seen) == total == chat.members_count,
               f"{len(seen)} seen, total_size {total}, members_count {chat.members_count}")
        expect(pages >= 2, f"{pages} page(s)")
        return f"{len(seen)} members of {chat.name} in {pages} pages"

    def contacts():
        request = api.ImportContactsRequest(account=account)
        request.contacts.add(phone_number=args.contact_phone, first_name="Polyglot")
        request.contacts.add(phone_number="+1 555 999 0000", first_name="Nobody")  # no account
        imported = call(users.ImportContacts, request)
        results = list(imported.results)
        expect(len(results) == 2 and results[0].HasField("user") and results[0].user.is_contact
               and not results[1].HasField("user"), f"ImportContacts {imported}")
        user = results[0].user
        seen, token, pages, total = [], "", 0, 0
        while True:
            page = call(users.ListContacts, api.ListContactsRequest(account=account, page_size=1,
                                                                    page_token=token))
            seen += [c.id for c in page.contacts]
            total, token, pages = page.total_size, page.next_page_token, pages + 1
            if not token or pages >= 100:
                break
        expect(user.id in seen and len(seen) == total and len(set(seen)) == total,
               f"ListContacts: {seen}, total_size {total}")
        return f"imported {user.name}, listed among {total} contact(s) in {pages} page(s)"

    def not_found():
        d = failing(messages.SendMessage, api.SendMessageRequest(
            parent=f"{account}/chats/987654321", text="hi"))
        expect(d["code"] == grpc.StatusCode.NOT_FOUND, f"code {d['code']}, want NOT_FOUND")
        if "ErrorInfo" in d:
            expect(d["ErrorInfo"].reason == "PEER_ID_INVALID", f"ErrorInfo {d['ErrorInfo']}")
            note = "PEER_ID_INVALID in ErrorInfo"
        else:  # tgrpcd's peer cache answers without ErrorInfo (reported)
            expect(d["message"].startswith("PEER_ID_INVALID"), f"message {d['message']}")
            note = "PEER_ID_INVALID in the message only (no ErrorInfo)"
        d = failing(messages.SendMessage, api.SendMessageRequest(
            parent=f"{account}/chats/nobody_here_at_all", text="hi"))
        info = d.get("ErrorInfo")
        expect(d["code"] == grpc.StatusCode.NOT_FOUND, f"code {d['code']}, want NOT_FOUND")
        expect(info is not None and info.reason == "USERNAME_NOT_OCCUPIED" and
               info.domain == "telegram.org" and info.metadata.get("code") == "400" and
               info.metadata.get("description"), f"ErrorInfo {info}")
        return f"{note}; USERNAME_NOT_OCCUPIED (telegram.org, code 400)"

    def bad_request():
        d = failing(messages.SendMessage, api.SendMessageRequest(parent="chats/1", text="hi"))
        expect(d["code"] == grpc.StatusCode.INVALID_ARGUMENT, f"code {d['code']}")
        bad = d.get("BadRequest")
        expect(bad is not None and bad.field_violations and
               bad.field_violations[0].field == "parent" and bad.field_violations[0].description,
               f"BadRequest {bad}")
        return "BadRequest field parent"

    def flood_wait():
        d = failing(messages.SendMessage, api.SendMessageRequest(parent=f"{account}/chats/me",
                                                                 text="too soon"))
        expect(d["code"] == grpc.StatusCode.RESOURCE_EXHAUSTED,
               f"code {d['code']} ({d['message']}), want RESOURCE_EXHAUSTED")
        info, retry = d.get("ErrorInfo"), d.get("RetryInfo")
        expect(info is not None and info.reason == "FLOOD_WAIT" and info.domain == "telegram.org"
               and info.metadata.get("code") == "420", f"ErrorInfo {info}")
        expect(retry is not None and 10 < retry.retry_delay.seconds <= 60, f"RetryInfo {retry}")
        expect(info.metadata.get("argument") == str(retry.retry_delay.seconds),
               f"argument {info.metadata.get('argument')} vs {retry.retry_delay.seconds}")
        status = call(accounts.GetAccountStatus, api.GetAccountStatusRequest(name=account))
        expect(any(w.method == "messages.sendMessage" for w in status.flood_waits),
               f"flood_waits {list(status.flood_waits)}")
        return f"FLOOD_WAIT (telegram.org, 420), retry in {retry.retry_delay.seconds}s"

    def bot_commands():
        bot = f"{account}-bot"
        created = call(accounts.CreateAccount, api.CreateAccountRequest(
            account=api.Account(bot_token=args.bot_token), account_id=f"{args.account}-bot"))
        expect(created.state == api.Account.SIGNED_IN and created.kind == api.Account.BOT,
               f"CreateAccount {created}")
        # Each caller its own language: they share fakedc's bot.
        language = "pd" if args.client == "python-dynamic" else "py"
        call(bots.SetCommands, api.SetCommandsRequest(
            account=bot, language_code=language,
            commands=[api.BotCommand(command="start", description=f"from {args.client}")]))
        got = call(bots.GetCommands, api.GetCommandsRequest(account=bot, language_code=language))
        expect([c.command for c in got.commands] == ["start"] and
               got.commands[0].description == f"from {args.client}", f"GetCommands {got}")
        info = call(bots.GetBotInfo, api.GetBotInfoRequest(account=bot))
        expect(info.name != "", f"GetBotInfo {info}")
        d = failing(bots.GetCommands, api.GetCommandsRequest(account=account))
        expect(d["code"] == grpc.StatusCode.FAILED_PRECONDITION and
               d.get("ErrorInfo") is not None and d["ErrorInfo"].reason == "BOT_ACCOUNT_REQUIRED",
               f"a user account: {d}")
        return f"SetCommands, GetCommands, GetBotInfo ({info.name}), BOT_ACCOUNT_REQUIRED"

    def bot_button():
        # The bot is mtcute (tests/interop/mtcute_client.mjs answer-buttons): any message to it
        # gets a dice back with a callback button, and a press gets the alert "pong:<data>".
        chat = f"{account}/chats/{args.bot_username}"
        said = call(messages.SendDice, api.SendDiceRequest(parent=chat))
        offer = None
        for _ in range(100):
            page = call(messages.ListMessages, api.ListMessagesRequest(parent=chat, page_size=1))
            if page.messages and page.messages[0].id != said.id and \
                    "keyboardButtonCallback" in page.messages[0].reply_markup_json:
                offer = page.messages[0]
                break
            time.sleep(0.1)
        expect(offer is not None, "the bot offered no button")
        # Its data as the bot made it: "ping:<the bot's id of our message>" (private chats
        # number messages per side), bytes in base64 in the markup's TL JSON.
        button = json.loads(offer.reply_markup_json)["rows"][0]["buttons"][0]
        data = base64.b64decode(button["data"]).decode()
        expect(data.startswith("ping:"), f"button {offer.reply_markup_json}")
        answer = call(messages.PressButton, api.PressButtonRequest(name=offer.name,
                                                                   data=data.encode()))
        expect(answer.text == f"pong:{data}" and answer.alert, f"PressButton {answer}")
        return f"mtcute answered {answer.text!r} (alert)"

    def bot_inline():
        # mtcute's bot answers "@fakedc_bot hello" with one article; tgrpcd sends it.
        chat = f"{account}/chats/me"
        found = call(messages.QueryInlineBot, api.QueryInlineBotRequest(
            parent=chat, bot=f"{account}/users/{args.bot_username}", query="hello"))
        expect(len(found.results) == 1 and found.results[0].title == "mtcute: hello" and
               found.results[0].type == "article", f"QueryInlineBot {found}")
        sent = call(messages.SendInlineResult, api.SendInlineResultRequest(
            parent=chat, query_id=found.query_id, result_id=found.results[0].id))
        expect(sent.text == "mtcute says hello" and sent.via_bot_id != 0,
               f"SendInlineResult {sent}")
        return f"{found.results[0].title!r}, sent as message {sent.id} via bot {sent.via_bot_id}"

    def forum():
        made = call(chats.CreateChat, api.CreateChatRequest(
            account=account, type=api.Chat.SUPERGROUP, title=f"Forum of {args.client}",
            request_id=f"forum-{args.account}"))
        expect(made.type == api.Chat.SUPERGROUP and not made.is_forum, f"CreateChat {made}")
        update = api.UpdateChatRequest(chat=api.Chat(name=made.name), topics=True)
        update.update_mask.paths.append("topics")
        turned = call(chats.UpdateChat, update)
        expect(turned.is_forum, f"UpdateChat topics: {turned}")
        topic = call(chats.CreateForumTopic, api.CreateForumTopicRequest(
            parent=made.name, title="Releases", icon_color=0xFFD67E,
            request_id=f"topic-{args.account}"))
        expect(topic.title == "Releases" and topic.topic_id > 0 and topic.my and
               topic.name == f"{made.name}/topics/{topic.topic_id}" and
               topic.icon_color == 0xFFD67E, f"CreateForumTopic {topic}")

        def listed():
            page = call(chats.ListForumTopics, api.ListForumTopicsRequest(parent=made.name))
            return {t.topic_id: t for t in page.topics}

        found = listed()
        expect(topic.topic_id in found and found[topic.topic_id].title == "Releases",
               f"ListForumTopics {list(found.values())}")
        rename = api.UpdateForumTopicRequest(topic=api.ForumTopic(name=topic.name,
                                                                  title="Release notes"))
        rename.update_mask.paths.append("title")
        renamed = call(chats.UpdateForumTopic, rename)
        expect(renamed.title == "Release notes" and not renamed.closed,
               f"UpdateForumTopic title: {renamed}")
        close = api.UpdateForumTopicRequest(topic=api.ForumTopic(name=topic.name, closed=True))
        close.update_mask.paths.append("closed")
        closed = call(chats.UpdateForumTopic, close)
        expect(closed.closed and closed.title == "Release notes",
               f"UpdateForumTopic closed: {closed}")
        found = listed()
        expect(topic.topic_id in found and found[topic.topic_id].closed and
               found[topic.topic_id].title == "Release notes", f"listed {list(found.values())}")
        call(chats.DeleteForumTopic, api.DeleteForumTopicRequest(name=topic.name))
        expect(topic.topic_id not in listed(), "the deleted topic is still listed")
        d = failing(chats.DeleteForumTopic, api.DeleteForumTopicRequest(name=topic.name))
        expect(d["code"] == grpc.StatusCode.INVALID_ARGUMENT and d.get("ErrorInfo") is not None
               and d["ErrorInfo"].reason == "TOPIC_ID_INVALID", f"deleted twice: {d}")
        return (f"{made.name} made a forum; topic {topic.topic_id} created, listed, renamed, "
                f"closed, deleted (then TOPIC_ID_INVALID)")

    telethon_phones = args.telethon_phones.split(",")

    def telethon(phone, scenario, link, title, sync_dir=None):
        """tests/interop/telethon_client.py signed in as `phone`, running `scenario` on `link`;
        its JSON lines (one per step) come through the returned queue as they are printed."""
        argv = [sys.executable, os.path.join(ROOT, "tests", "interop", "telethon_client.py"),
                "--dcs", args.telethon_dcs, "--dc", "2", "--rsa-key", args.telethon_rsa_key,
                "--phone", phone, "--code-file", os.path.join(args.codes_dir, "{phone}"),
                "--scenario", scenario, "--invite", link, "--chat-title", title,
                "--timeout", "30"]
        if sync_dir:
            argv += ["--sync-dir", sync_dir]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = queue.Queue()

        def pump():
            for line in proc.stdout:
                try:
                    lines.put(json.loads(line))
                except ValueError:
                    pass
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        return proc, lines

    def telethon_step(proc, lines, step):
        """The JSON line of `step` (the ones before it must have passed)."""
        while True:
            try:
                record = lines.get(timeout=60)
            except queue.Empty:
                proc.kill()
                raise Failure(f"Telethon printed no {step} line in 60 s")
            if record is None:
                err = proc.stderr.read()[-500:] if proc.stderr else ""
                raise Failure(f"Telethon exited {proc.wait()} before {step}: {err}")
            if not record.get("ok"):
                raise Failure(f"Telethon {record.get('step')}: {record.get('detail')}")
            if record.get("step") == step:
                return record["detail"]

    def telethon_done(proc):
        """Lets the Telethon process end (10 s), then kills it."""
        if proc.poll() is None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

    def member_ids(chat_name):
        seen, token = set(), ""
        while True:
            page = call(chats.ListChatMembers, api.ListChatMembersRequest(
                parent=chat_name, page_size=100, page_token=token))
            seen.update(m.user.id for m in page.members)
            token = page.next_page_token
            if not token:
                return seen

    def join_group():
        if "group" not in state:
            state["group"] = call(chats.CreateChat, api.CreateChatRequest(
                account=account, type=api.Chat.SUPERGROUP, title="Joined by Telethon",
                request_id=f"join-group-{args.account}"))
        return state["group"]

    def join_request():
        group = join_group()
        link = call(chats.CreateInviteLink, api.CreateInviteLinkRequest(
            parent=group.name, request_needed=True, title="approval"))
        expect(link.request_needed and link.link.startswith("https://t.me/+"),
               f"CreateInviteLink {link}")
        sync_dir = tempfile.mkdtemp(prefix="tgrpc-join-")
        proc, lines = telethon(telethon_phones[0], "connect,signin-user,join-request,join-approved",
                               link.link, group.title, sync_dir)
        try:
            asked = telethon_step(proc, lines, "join-request")
            user_id = asked["user_id"]
            pending = call(chats.ListJoinRequests, api.ListJoinRequestsRequest(parent=group.name))
            expect([r.user.id for r in pending.requests] == [user_id] and pending.total_size == 1,
                   f"ListJoinRequests {pending}, Telethon is user {user_id}")
            expect(user_id not in member_ids(group.name), "a member before approval")
            call(chats.ApproveJoinRequest, api.ApproveJoinRequestRequest(
                parent=group.name, user=f"{account}/users/{user_id}",
                request_id=f"approve-{args.account}"))
            with open(os.path.join(sync_dir, "approved"), "w"):
                pass
            joined = telethon_step(proc, lines, "join-approved")
        finally:
            telethon_done(proc)
        expect(joined["channel_id"] == group.raw_id and joined["user_id"] == user_id,
               f"Telethon joined {joined}, the group is {group.raw_id}")
        expect(user_id in member_ids(group.name), "tgrpcd does not list the approved user")
        left = call(chats.ListJoinRequests, api.ListJoinRequestsRequest(parent=group.name))
        expect(not left.requests, f"requests left after approval: {left}")
        state["requester"] = user_id
        return (f"Telethon user {user_id}: INVITE_REQUEST_SENT, listed, approved, then a member "
                f"(checkChatInvite, dialogs, {joined['participants']} participants)")

    def join_link():
        group = join_group()
        link = call(chats.CreateInviteLink, api.CreateInviteLinkRequest(
            parent=group.name, usage_limit=5, title="open"))
        expect(not link.request_needed and link.usage_limit == 5, f"CreateInviteLink {link}")
        proc, lines = telethon(telethon_phones[1], "connect,signin-user,join-link", link.link,
                               group.title)
        try:
            joined = telethon_step(proc, lines, "join-link")
        finally:
            telethon_done(proc)
        expect(joined["channel_id"] == group.raw_id, f"Telethon joined {joined}, "
               f"the group is {group.raw_id}")
        expect(joined["user_id"] in member_ids(group.name), "tgrpcd does not list the new member")
        links = call(chats.ListInviteLinks, api.ListInviteLinksRequest(parent=group.name))
        used = [x for x in links.links if x.link == link.link]
        expect(len(used) == 1 and used[0].usage_count == 1, f"ListInviteLinks {links}")
        return (f"Telethon user {joined['user_id']} joined directly; the link's usage_count is 1, "
                f"{joined['participants']} participants")

    check("auth", auth)
    check("signin", signin)
    check("messages", send_and_read)
    check("reactions", reactions)
    check("members", members)
    check("contacts", contacts)
    check("not_found", not_found)
    check("bad_request", bad_request)
    check("flood_wait", flood_wait)
    check("forum", forum)
    check("bot_commands", bot_commands)
    if args.press_button:
        check("bot_button", bot_button)
        check("bot_inline", bot_inline)
    if args.telethon_dcs:
        check("join_request", join_request)
        check("join_link", join_link)
    channel.close()
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""A Python caller of tgrpcd's raw API (tgrpc.raw.v1, one RPC per TL method), checked against the
typed API (tgrpc.v1) on the same data.

The stubs are made now, as a caller would make them: the raw .proto files come from the tar
`bazel build //proto/raw:raw_api` leaves (bazel-bin/proto/raw/raw_api_proto.tar), the typed ones
from proto/, and Debian's protoc 3.21 with grpc's Python plugin (/usr/bin/grpc_python_plugin)
generates the _pb2 / _pb2_grpc modules into a temporary directory. (python3-grpc-tools is
grpcio-tools 1.14, whose protoc 3.6 refuses the proto3 `optional` the raw files use.)

It signs in carol (fakedc's seeded user with a 2FA password) and a helper account (a member of
fakedc_big) that writes to her, then calls 57 TL methods that fakedc implements, one check line
each, `polyglot raw-python <tl method> PASSED|FAILED[: why]`, comparing each answer with what the
typed API says about the same data where it has a counterpart; then checks the `ref` peer fill-in,
bad input on the raw surface, a method fakedc does not implement, RawService.InvokeJson and server
reflection (with `buf curl`, tests/polyglot's npm package: Debian's python3-grpcio has no
grpc_reflection). Exits 1 if any check failed. `--list-checks` prints the check names (the runner
counts those it never saw as failed).

  /usr/bin/python3 raw_python.py --target 127.0.0.1:50051 --token TOKEN --codes-dir DIR \\
      --raw-tar bazel-bin/proto/raw/raw_api_proto.tar [--account raw-python-3]
"""
import argparse
import atexit
import hashlib
import importlib
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CHANNEL_BASE = 1000000000000  # a channel's marked id is -(CHANNEL_BASE + id)

CHECKS = []  # (name, function), in run order; --list-checks prints the names


def check(name):
    def register(function):
        CHECKS.append((name, function))
        return function
    return register


class Failure(Exception):
    pass


def expect(condition, what):
    if not condition:
        raise Failure(what)


def short(message, limit=160):
    return " ".join(str(message).split())[:limit]


# --- stubs -------------------------------------------------------------------------------------

class Classes:
    """Message classes by name (raw.InputPeerSelf, typed.GetMeRequest) and stubs by service."""

    def __init__(self, modules, grpc_modules):
        self._classes = {}
        self._grpc = grpc_modules
        for module in modules:
            for name in module.DESCRIPTOR.message_types_by_name:
                self._classes[name] = getattr(module, name)

    def __getattr__(self, name):
        try:
            return self._classes[name]
        except KeyError:
            raise AttributeError(name) from None

    def stub(self, service, channel):
        for module in self._grpc:
            if hasattr(module, service + "Stub"):
                return getattr(module, service + "Stub")(channel)
        raise KeyError(service)


def make_stubs(raw_tar, proto_dir):
    """Extracts the raw .proto files and generates both APIs' Python modules with protoc."""
    work = tempfile.mkdtemp(prefix="tgrpc-raw-py-")
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    raw_dir, out = os.path.join(work, "proto"), os.path.join(work, "py")
    os.makedirs(out)
    with tarfile.open(raw_tar) as tar:
        tar.extractall(raw_dir)
    raw_files = sorted(os.path.relpath(os.path.join(d, f), raw_dir)
                       for d, _, files in os.walk(raw_dir) for f in files if f.endswith(".proto"))
    v1_files = sorted(f"tgrpc/v1/{f}" for f in os.listdir(os.path.join(proto_dir, "tgrpc", "v1"))
                      if f.endswith(".proto"))
    rpc_files = ["google/rpc/status.proto", "google/rpc/error_details.proto"]
    subprocess.run(["protoc", f"-I{raw_dir}", f"-I{proto_dir}", "-I/usr/include",
                    f"--python_out={out}", f"--grpc_python_out={out}",
                    "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
                    *raw_files, *v1_files, *rpc_files], check=True)
    sys.path.insert(0, out)

    def load(files):
        names = [f[:-len(".proto")].replace("/", ".") for f in files]
        return ([importlib.import_module(n + "_pb2") for n in names],
                [importlib.import_module(n + "_pb2_grpc") for n in names])

    raw_modules = load(raw_files)
    services = {s.full_name for m in raw_modules[0] for s in m.DESCRIPTOR.services_by_name.values()}
    raw, typed, rpc = Classes(*raw_modules), Classes(*load(v1_files)), Classes(*load(rpc_files))
    return raw, typed, rpc, services, len(raw_files)


# --- test data ---------------------------------------------------------------------------------

def png(width, height, seed):
    """A small valid PNG (fakedc reads its IHDR for the photo's size)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + bytes((seed + x * 7 + y * 3) % 256 for x in range(width * 3))
                    for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) +
            chunk(b"IEND", b""))


# --- the checks --------------------------------------------------------------------------------
# Each takes the context `c` (Context below) and returns a note for the PASSED line.

@check("signin")
def signin(c):
    c.me, hint = c.sign_in(c.account, c.args.phone, c.args.password)
    c.password_hint = hint
    c.helper, _ = c.sign_in(c.helper_account, c.args.helper_phone, None)
    c.home_dc = c.typed_call("AccountService", "GetAccount",
                             c.T.GetAccountRequest(name=c.account)).home_dc
    return f"{c.me.first_name} (user {c.me.id}, 2FA hint {hint!r}) and helper {c.helper.id}"


@check("help.getConfig")
def help_get_config(c):
    config = c.raw("help", "GetConfig", c.R.HelpGetConfigRequest()).config
    dcs = {o.dc_option.id for o in config.dc_options if not o.dc_option.media_only}
    expect(config.this_dc == c.home_dc, f"this_dc {config.this_dc}, typed home_dc {c.home_dc}")
    expect({1, 2, 3} <= dcs, f"dc_options name DCs {sorted(dcs)}")
    return f"this_dc {config.this_dc} = Account.home_dc; DCs {sorted(dcs)}"


@check("help.getNearestDc")
def help_get_nearest_dc(c):
    nearest = c.raw("help", "GetNearestDc", c.R.HelpGetNearestDcRequest()).nearest_dc
    expect(nearest.this_dc == c.home_dc, f"this_dc {nearest.this_dc} vs home_dc {c.home_dc}")
    return f"this_dc {nearest.this_dc} = Account.home_dc"


@check("account.getPassword")
def account_get_password(c):
    password = c.raw("account", "GetPassword", c.R.AccountGetPasswordRequest()).account_password
    expect(password.has_password and password.srp_id and password.srp_b,
           f"has_password {password.has_password}, srp_id {password.srp_id}")
    expect(password.hint == c.password_hint, f"hint {password.hint!r} vs LoginState "
           f"{c.password_hint!r}")
    return f"has_password, hint {password.hint!r} = LoginState.password_hint"


@check("account.updateProfile")
def account_update_profile(c):
    about = f"raw about {c.tag}"
    user = c.raw("account", "UpdateProfile", c.R.AccountUpdateProfileRequest(
        last_name="Rawson", about=about)).user
    me = c.get_me()
    expect(user.id == me.id and user.last_name == "Rawson" == me.last_name,
           f"answer {user.last_name!r}, GetMe {me.last_name!r}")
    expect(me.full.about == about, f"GetMe.full.about {me.full.about!r}")
    return "last_name and about as GetMe reads them"


@check("account.updateUsername")
def account_update_username(c):
    c.username = f"carol_raw_{c.tag}"
    user = c.raw("account", "UpdateUsername",
                 c.R.AccountUpdateUsernameRequest(username=c.username)).user
    me = c.get_me()
    expect(user.username == c.username == me.username, f"answer {user.username!r}, GetMe "
           f"{me.username!r}")
    return f"@{c.username} = GetMe.username"


@check("users.getFullUser")
def users_get_full_user(c):
    full = c.raw("users", "GetFullUser", c.R.UsersGetFullUserRequest(id=c.uref("me")))
    full = full.users_user_full
    me = c.get_me()
    user = c.user_in(full.users, me.id)
    expect(full.full_user.user_full.id == me.id, f"id {full.full_user.user_full.id} vs {me.id}")
    expect(full.full_user.user_full.about == me.full.about, f"about "
           f"{full.full_user.user_full.about!r} vs GetMe {me.full.about!r}")
    expect(user.first_name == me.first_name and user.username == me.username and
           user.access_hash == me.access_hash, f"user {short(user)}")
    return "id, about, names, access_hash = GetMe"


@check("users.getUsers")
def users_get_users(c):
    users = c.raw("users", "GetUsers", c.R.UsersGetUsersRequest(id=[
        c.R.TypeInputUser(input_user_self=c.R.InputUserSelf()), c.uref("@alice_example")])).items
    alice = c.typed_call("UserService", "GetUser",
                         c.T.GetUserRequest(name=f"{c.account}/users/alice_example"))
    got = [(u.user.id, u.user.first_name, u.user.access_hash) for u in users]
    want = [(c.me.id, c.me.first_name, c.me.access_hash),
            (alice.id, alice.first_name, alice.access_hash)]
    expect(got == want, f"raw {got} vs typed {want}")
    c.alice = alice
    return "self and @alice_example: ids, names, access hashes = GetMe / GetUser"


@check("contacts.resolveUsername")
def contacts_resolve_username(c):
    resolved = c.raw("contacts", "ResolveUsername", c.R.ContactsResolveUsernameRequest(
        username=c.args.big_group)).contacts_resolved_peer
    typed = c.typed_call("ChatService", "ResolvePeer", c.T.ResolvePeerRequest(
        account=c.account, query=c.args.big_group)).chat
    channel_id = resolved.peer.peer_channel.channel_id
    channel = c.chat_in(resolved.chats, channel_id)
    expect(channel_id == typed.raw_id and typed.id == -(CHANNEL_BASE + channel_id),
           f"channel {channel_id} vs ResolvePeer raw_id {typed.raw_id}, id {typed.id}")
    expect(channel.access_hash == typed.access_hash and channel.title == typed.title,
           f"access_hash / title {channel.title!r} vs {typed.title!r}")
    c.big = typed
    return f"channel {channel_id}, access_hash, title = ResolvePeer"


@check("contacts.importContacts")
def contacts_import_contacts(c):
    imported = c.raw("contacts", "ImportContacts", c.R.ContactsImportContactsRequest(contacts=[
        c.R.TypeInputContact(input_phone_contact=c.R.InputPhoneContact(
            client_id=1, phone=c.args.alice_phone, first_name="Alice")),
        c.R.TypeInputContact(input_phone_contact=c.R.InputPhoneContact(
            client_id=2, phone="15559990000", first_name="Nobody"))])).contacts_imported_contacts
    got = [(i.imported_contact.client_id, i.imported_contact.user_id) for i in imported.imported]
    expect(got == [(1, c.alice.id)], f"imported {got}, want alice {c.alice.id} only")
    expect(c.user_in(imported.users, c.alice.id).contact, "the user is not a contact")
    expect(c.alice.id in c.contact_ids(), "typed ListContacts lacks alice")
    return "alice imported (the unregistered number not), listed by ListContacts"


@check("contacts.getContacts")
def contacts_get_contacts(c):
    contacts = c.raw("contacts", "GetContacts", c.R.ContactsGetContactsRequest()).contacts_contacts
    ids = sorted(x.contact.user_id for x in contacts.contacts)
    typed = sorted(c.contact_ids())
    expect(ids == typed and contacts.saved_count == len(typed),
           f"raw {ids} (saved_count {contacts.saved_count}) vs ListContacts {typed}")
    return f"{len(ids)} contact(s) = ListContacts"


@check("contacts.deleteContacts")
def contacts_delete_contacts(c):
    updates = c.raw("contacts", "DeleteContacts", c.R.ContactsDeleteContactsRequest(
        id=[c.uref("@alice_example")]))
    users = c.updates_users(updates)
    expect(c.alice.id in users and not users[c.alice.id].contact, f"answer's users {users}")
    expect(c.alice.id not in c.contact_ids(), "ListContacts still has alice")
    return "alice no longer a contact in the answer and in ListContacts"


@check("contacts.deleteByPhones")
def contacts_delete_by_phones(c):
    request = c.T.ImportContactsRequest(account=c.account)
    request.contacts.add(phone_number="+" + c.args.bob_phone, first_name="Bob")
    bob = c.typed_call("UserService", "ImportContacts", request).results[0].user
    expect(bob.id in c.contact_ids(), "typed ImportContacts did not add bob")
    done = c.raw("contacts", "DeleteByPhones", c.R.ContactsDeleteByPhonesRequest(
        phones=[c.args.bob_phone]))
    expect(done.value, "answered false")
    expect(bob.id not in c.contact_ids(), "ListContacts still has bob")
    c.bob = bob
    return "bob (imported by the typed API) removed by phone, as ListContacts shows"


@check("contacts.block")
def contacts_block(c):
    done = c.raw("contacts", "Block", c.R.ContactsBlockRequest(id=c.ref("@bob_example")))
    expect(done.value, "answered false")
    expect(c.user_full("bob_example").full.blocked, "GetUser(bob).full.blocked is false")
    return "GetUser(bob).full.blocked"


@check("contacts.getBlocked")
def contacts_get_blocked(c):
    blocked = c.raw("contacts", "GetBlocked", c.R.ContactsGetBlockedRequest(limit=100))
    which = blocked.WhichOneof("value")
    listed = getattr(blocked, which)
    ids = [b.peer_blocked.peer_id.peer_user.user_id for b in listed.blocked]
    expect(ids == [c.bob.id], f"{which}: {ids}, want bob {c.bob.id}")
    expect(c.user_in(listed.users, c.bob.id).id == c.user_full("bob_example").id, "users")
    return "bob, as GetUser says"


@check("contacts.unblock")
def contacts_unblock(c):
    done = c.raw("contacts", "Unblock", c.R.ContactsUnblockRequest(id=c.ref("@bob_example")))
    expect(done.value, "answered false")
    expect(not c.user_full("bob_example").full.blocked, "GetUser(bob).full.blocked still true")
    return "GetUser(bob).full.blocked false again"


@check("updates.getState")
def updates_get_state(c):
    state = c.raw("updates", "GetState", c.R.UpdatesGetStateRequest()).updates_state
    typed = c.wait_typed_pts(state.pts)
    expect(typed == state.pts, f"pts {state.pts}, GetUpdateState.pts {typed}")
    c.state0 = state
    return f"pts {state.pts} = GetUpdateState.pts"


@check("messages.sendMessage")
def messages_send_message(c):
    c.text = f"raw hello {c.tag} from python"
    random_id = random.getrandbits(63)
    updates = c.raw("messages", "SendMessage", c.R.MessagesSendMessageRequest(
        peer=c.self_peer, message=c.text, random_id=random_id))
    ids = c.sent_ids(updates)
    expect(random_id in ids, f"no updateMessageID for random_id {random_id}: {short(updates)}")
    c.sent = ids[random_id]
    typed = c.typed_messages("me", [c.sent])
    expect(len(typed.messages) == 1 and typed.messages[0].text == c.text and
           typed.messages[0].outgoing, f"GetMessages {short(typed)}")
    # The raw call's Updates went into the update log, as a typed call's do: the account's
    # stream (from the oldest retained event) has the message.
    stream = c.typed_call("UpdateService", "StreamUpdates", c.T.StreamUpdatesRequest(
        accounts=[c.account], oldest=True, filter=c.T.UpdateFilter(kinds=["new_message"])))
    logged = False
    try:
        for event in stream:
            if event.new_message.id == c.sent and event.new_message.text == c.text:
                logged = True
                break
    except Exception as error:  # noqa: BLE001 - the deadline ends a stream that lacks it
        expect(False, f"StreamUpdates ended before message {c.sent}: {error}")
    finally:
        stream.cancel()
    expect(logged, f"message {c.sent} not in the update log")
    return f"message {c.sent}, read by GetMessages and in StreamUpdates (the update log)"


@check("messages.getMessages")
def messages_get_messages(c):
    got = c.raw("messages", "GetMessages", c.R.MessagesGetMessagesRequest(id=[
        c.R.TypeInputMessage(input_message_id=c.R.InputMessageID(id=c.sent))]))
    messages = c.messages_of(got)
    typed = c.typed_messages("me", [c.sent]).messages[0]
    expect([(m.id, m.message, m.date) for m in messages] ==
           [(typed.id, typed.text, typed.date.seconds)], f"raw {short(messages)} vs {short(typed)}")
    return "id, text, date = GetMessages"


@check("messages.getHistory")
def messages_get_history(c):
    got = c.raw("messages", "GetHistory", c.R.MessagesGetHistoryRequest(peer=c.self_peer,
                                                                     limit=20))
    raw = [(m.id, m.message) for m in c.messages_of(got)]
    typed = [(m.id, m.text) for m in c.typed_history("me", 20)]
    expect(raw == typed and raw, f"raw {raw} vs ListMessages {typed}")
    return f"{len(raw)} message(s), ids and texts = ListMessages"


@check("messages.search")
def messages_search(c):
    got = c.raw("messages", "Search", c.R.MessagesSearchRequest(
        peer=c.self_peer, q=c.tag, limit=20,
        filter=c.R.TypeMessagesFilter(input_messages_filter_empty=c.R.InputMessagesFilterEmpty())))
    raw = [m.id for m in c.messages_of(got)]
    typed = c.typed_call("MessageService", "SearchMessages", c.T.SearchMessagesRequest(
        account=c.account, chat=f"{c.account}/chats/me", query=c.tag, page_size=20))
    expect(raw == [m.id for m in typed.messages] == [c.sent],
           f"raw {raw} vs SearchMessages {[m.id for m in typed.messages]}")
    return f"{c.tag!r} finds message {c.sent}, as SearchMessages"


@check("messages.editMessage")
def messages_edit_message(c):
    c.text = f"raw edited {c.tag}"
    updates = c.raw("messages", "EditMessage", c.R.MessagesEditMessageRequest(
        peer=c.self_peer, id=c.sent, message=c.text))
    edited = c.updates_messages(updates)
    expect([m.message for m in edited] == [c.text], f"answer {short(updates)}")
    typed = c.typed_messages("me", [c.sent]).messages[0]
    # (fakedc sets no edit_date: compared as given, absent on both sides there)
    expect(typed.text == c.text and typed.edit_date.seconds == edited[0].edit_date,
           f"GetMessages {typed.text!r}, edit_date {typed.edit_date.seconds} vs "
           f"{edited[0].edit_date}")
    return "text and edit_date as GetMessages reads them"


@check("messages.sendMedia")
def messages_send_media(c):
    point = c.R.InputGeoPoint(lat=48.8584, long=2.2945)
    updates = c.raw("messages", "SendMedia", c.R.MessagesSendMediaRequest(
        peer=c.self_peer, random_id=random.getrandbits(63),
        media=c.R.TypeInputMedia(input_media_geo_point=c.R.InputMediaGeoPoint(
            geo_point=c.R.TypeInputGeoPoint(input_geo_point=point)))))
    (sent,) = c.updates_messages(updates)
    typed = c.typed_messages("me", [sent.id]).messages[0]
    geo = sent.media.message_media_geo.geo.geo_point
    expect((geo.lat, geo.long) == (point.lat, point.long) and typed.media.type == "geo" and
           (typed.media.latitude, typed.media.longitude) == (point.lat, point.long),
           f"raw {short(geo)}, typed {short(typed.media)}")
    c.geo = sent.id
    return f"geo message {sent.id}: GetMessages media geo at the same point"


@check("messages.forwardMessages")
def messages_forward_messages(c):
    random_id = random.getrandbits(63)
    updates = c.raw("messages", "ForwardMessages", c.R.MessagesForwardMessagesRequest(
        from_peer=c.self_peer, to_peer=c.self_peer, id=[c.sent], random_id=[random_id]))
    c.forwarded = c.sent_ids(updates)[random_id]
    typed = c.typed_messages("me", [c.forwarded]).messages
    expect(len(typed) == 1 and typed[0].text == c.text, f"GetMessages {short(typed)}")
    return f"copy {c.forwarded} with the text, as GetMessages reads it"


@check("messages.sendReaction")
def messages_send_reaction(c):
    updates = c.raw("messages", "SendReaction", c.R.MessagesSendReactionRequest(
        peer=c.self_peer, msg_id=c.sent, reaction=[c.emoji("👍")]))
    expect(updates.WhichOneof("value"), "no Updates")
    typed = c.typed_call("MessageService", "ListReactions", c.T.ListReactionsRequest(
        name=f"{c.account}/chats/me/messages/{c.sent}"))
    expect(typed.total_size == 1 and typed.reactors[0].reaction == "👍" and typed.reactors[0].own,
           f"ListReactions {short(typed)}")
    return "👍, own, as ListReactions lists it"


@check("messages.getMessageReactionsList")
def messages_get_message_reactions_list(c):
    got = c.raw("messages", "GetMessageReactionsList", c.R.MessagesGetMessageReactionsListRequest(
        peer=c.self_peer, id=c.sent, limit=50)).messages_message_reactions_list
    typed = c.typed_call("MessageService", "ListReactions", c.T.ListReactionsRequest(
        name=f"{c.account}/chats/me/messages/{c.sent}"))
    raw = [(r.message_peer_reaction.peer_id.peer_user.user_id,
            r.message_peer_reaction.reaction.reaction_emoji.emoticon) for r in got.reactions]
    expect(got.count == typed.total_size and
           raw == [(r.peer_id, r.reaction) for r in typed.reactors],
           f"raw {got.count} {raw} vs ListReactions {short(typed)}")
    return f"count {got.count} and reactors = ListReactions"


@check("messages.updatePinnedMessage")
def messages_update_pinned_message(c):
    c.raw("messages", "UpdatePinnedMessage", c.R.MessagesUpdatePinnedMessageRequest(
        peer=c.self_peer, id=c.sent))
    expect(c.typed_messages("me", [c.sent]).messages[0].pinned, "GetMessages: not pinned")
    return "GetMessages says pinned"


@check("messages.unpinAllMessages")
def messages_unpin_all_messages(c):
    history = c.raw("messages", "UnpinAllMessages", c.R.MessagesUnpinAllMessagesRequest(
        peer=c.self_peer)).messages_affected_history
    expect(history.offset == 0, f"offset {history.offset}")
    expect(not c.typed_messages("me", [c.sent]).messages[0].pinned, "GetMessages: still pinned")
    return f"pts {history.pts}; GetMessages says not pinned"


@check("messages.deleteMessages")
def messages_delete_messages(c):
    affected = c.raw("messages", "DeleteMessages", c.R.MessagesDeleteMessagesRequest(
        id=[c.forwarded], revoke=True)).messages_affected_messages
    typed = c.typed_messages("me", [c.forwarded])
    expect(affected.pts_count == 1 and list(typed.missing) == [c.forwarded],
           f"pts_count {affected.pts_count}, GetMessages missing {list(typed.missing)}")
    return f"pts_count 1; GetMessages has {c.forwarded} missing"


@check("messages.getDialogs")
def messages_get_dialogs(c):
    # The helper writes to carol (typed SendMessage to her new username), so a dialog has an
    # unread message.
    sent = c.typed_call("MessageService", "SendMessage", c.T.SendMessageRequest(
        parent=f"{c.helper_account}/chats/{c.username}", text=f"ping {c.tag}"))
    # Carol's copy has an id of her own.
    copies = [m for m in c.typed_history(str(c.helper.id), 5) if m.text == sent.text]
    expect(len(copies) == 1 and not copies[0].outgoing, f"carol's copy: {short(copies)}")
    c.incoming = copies[0]
    got = c.raw("messages", "GetDialogs", c.R.MessagesGetDialogsRequest(
        offset_peer=c.R.TypeInputPeer(input_peer_empty=c.R.InputPeerEmpty()), limit=100))
    dialogs = getattr(got, got.WhichOneof("value")).dialogs
    raw = {c.marked(d.dialog.peer): (d.dialog.top_message, d.dialog.unread_count) for d in dialogs}
    typed = {d.chat.id: (d.top_message_id, d.unread_count) for d in c.typed_call(
        "ChatService", "ListChats", c.T.ListChatsRequest(account=c.account, page_size=100)).dialogs}
    expect(raw == typed, f"raw {raw} vs ListChats {typed}")
    expect(raw.get(c.helper.id, (0, 0))[1] >= 1, "no unread dialog with the helper")
    return f"{len(raw)} dialogs: peers, top messages, unread counts = ListChats"


@check("messages.readHistory")
def messages_read_history(c):
    expect(c.unread(c.helper.id) == 1, f"ListChats unread_count {c.unread(c.helper.id)}")
    c.raw("messages", "ReadHistory", c.R.MessagesReadHistoryRequest(
        peer=c.ref(str(c.helper.id)), max_id=c.incoming_id()))
    expect(c.unread(c.helper.id) == 0, f"ListChats unread_count {c.unread(c.helper.id)}")
    return "the helper's message read: ListChats unread_count 1 -> 0"


@check("messages.readMentions")
def messages_read_mentions(c):
    history = c.raw("messages", "ReadMentions", c.R.MessagesReadMentionsRequest(
        peer=c.ref(str(c.helper.id)))).messages_affected_history
    expect(history.offset == 0 and history.pts_count == 0,
           f"offset {history.offset}, pts_count {history.pts_count} (no mentions to read)")
    return "nothing left to read (offset 0, pts_count 0)"


@check("messages.setTyping")
def messages_set_typing(c):
    done = c.raw("messages", "SetTyping", c.R.MessagesSetTypingRequest(
        peer=c.ref(str(c.helper.id)), action=c.R.TypeSendMessageAction(
            send_message_typing_action=c.R.SendMessageTypingAction())))
    expect(done.value, "answered false")
    return "true"


@check("messages.createChat")
def messages_create_chat(c):
    c.group_title = f"raw group {c.tag}"
    invited = c.raw("messages", "CreateChat", c.R.MessagesCreateChatRequest(
        title=c.group_title, users=[c.uref("@alice_example")])).messages_invited_users
    chats = [x.chat for x in c.updates_chats(invited.updates) if x.WhichOneof("value") == "chat"]
    expect(len(chats) == 1 and chats[0].title == c.group_title, f"chats {short(chats)}")
    c.group = chats[0].id
    typed = c.typed_chat(-c.group)
    expect(typed.type == c.T.Chat.BASIC_GROUP and typed.title == c.group_title and
           typed.raw_id == c.group, f"GetChat {short(typed)}")
    return f"chat {c.group}: GetChat says a basic group with the title"


@check("messages.getChats")
def messages_get_chats(c):
    chats = c.raw("messages", "GetChats", c.R.MessagesGetChatsRequest(id=[c.group])).messages_chats
    typed = c.typed_chat(-c.group)
    got = [(x.chat.id, x.chat.title, x.chat.participants_count) for x in chats.chats]
    expect(got == [(typed.raw_id, typed.title, typed.members_count)],
           f"raw {got} vs GetChat {typed.raw_id, typed.title, typed.members_count}")
    return "id, title, participants = GetChat"


@check("messages.editChatTitle")
def messages_edit_chat_title(c):
    c.group_title += " renamed"
    c.raw("messages", "EditChatTitle", c.R.MessagesEditChatTitleRequest(
        chat_id=c.group, title=c.group_title))
    typed = c.typed_chat(-c.group)
    expect(typed.title == c.group_title, f"GetChat title {typed.title!r}")
    return "GetChat has the new title"


@check("messages.addChatUser")
def messages_add_chat_user(c):
    c.raw("messages", "AddChatUser", c.R.MessagesAddChatUserRequest(
        chat_id=c.group, user_id=c.uref("@bob_example"), fwd_limit=10))
    members = c.member_ids(-c.group)
    expect(c.bob.id in members, f"ListChatMembers {members} lacks bob")
    return f"ListChatMembers: {len(members)} members with bob"


@check("messages.getFullChat")
def messages_get_full_chat(c):
    full = c.raw("messages", "GetFullChat", c.R.MessagesGetFullChatRequest(
        chat_id=c.group)).messages_chat_full.full_chat.chat_full
    raw = sorted(getattr(p, p.WhichOneof("value")).user_id
                 for p in full.participants.chat_participants.participants)
    typed = sorted(c.member_ids(-c.group))
    expect(full.id == c.group and raw == typed, f"raw {raw} vs ListChatMembers {typed}")
    return f"participants {raw} = ListChatMembers"


@check("messages.deleteChatUser")
def messages_delete_chat_user(c):
    c.raw("messages", "DeleteChatUser", c.R.MessagesDeleteChatUserRequest(
        chat_id=c.group, user_id=c.uref("@bob_example")))
    members = c.member_ids(-c.group)
    expect(c.bob.id not in members, f"ListChatMembers {members} still has bob")
    return "bob gone from ListChatMembers"


@check("channels.createChannel")
def channels_create_channel(c):
    c.channel_title = f"raw supergroup {c.tag}"
    updates = c.raw("channels", "CreateChannel", c.R.ChannelsCreateChannelRequest(
        megagroup=True, title=c.channel_title, about="made through the raw API"))
    channels = [x.channel for x in c.updates_chats(updates) if x.WhichOneof("value") == "channel"]
    expect(len(channels) == 1 and channels[0].megagroup, f"chats {short(channels)}")
    c.supergroup = channels[0]
    typed = c.typed_chat(c.channel_marked())
    # (fakedc keeps no channel about: not compared)
    expect(typed.type == c.T.Chat.SUPERGROUP and typed.title == c.channel_title and
           typed.is_creator and typed.members_count == 1, f"GetChat {short(typed)}")
    return f"supergroup {c.supergroup.id}: GetChat has the title, is_creator, 1 member"


@check("channels.getChannels")
def channels_get_channels(c):
    chats = c.raw("channels", "GetChannels", c.R.ChannelsGetChannelsRequest(
        id=[c.cref(str(c.channel_marked()))])).messages_chats.chats
    typed = c.typed_chat(c.channel_marked())
    got = [(x.channel.id, x.channel.title, x.channel.access_hash) for x in chats]
    expect(got == [(typed.raw_id, typed.title, typed.access_hash)], f"raw {got} vs GetChat")
    return "id, title, access_hash = GetChat"


@check("channels.inviteToChannel")
def channels_invite_to_channel(c):
    c.raw("channels", "InviteToChannel", c.R.ChannelsInviteToChannelRequest(
        channel=c.cref(str(c.channel_marked())), users=[c.uref("@alice_example")]))
    members = c.member_ids(c.channel_marked())
    expect(c.alice.id in members and c.me.id in members, f"ListChatMembers {members}")
    return f"ListChatMembers has alice ({len(members)} members)"


@check("channels.getMessages")
def channels_get_messages(c):
    point = c.R.InputGeoPoint(lat=-33.8568, long=151.2153)
    updates = c.raw("messages", "SendMedia", c.R.MessagesSendMediaRequest(
        peer=c.ref(str(c.channel_marked())), random_id=random.getrandbits(63),
        media=c.R.TypeInputMedia(input_media_geo_point=c.R.InputMediaGeoPoint(
            geo_point=c.R.TypeInputGeoPoint(input_geo_point=point)))))
    c.channel_post = c.updates_messages(updates)[0].id
    got = c.raw("channels", "GetMessages", c.R.ChannelsGetMessagesRequest(
        channel=c.cref(str(c.channel_marked())),
        id=[c.R.TypeInputMessage(input_message_id=c.R.InputMessageID(id=c.channel_post))]))
    raw = [(m.id, m.media.message_media_geo.geo.geo_point.lat) for m in c.messages_of(got)]
    typed = c.typed_messages(str(c.channel_marked()), [c.channel_post]).messages
    expect(raw == [(t.id, t.media.latitude) for t in typed] == [(c.channel_post, point.lat)],
           f"raw {raw} vs GetMessages {short(typed)}")
    return f"post {c.channel_post} (geo) = GetMessages"


@check("updates.getChannelDifference")
def updates_get_channel_difference(c):
    got = c.raw("updates", "GetChannelDifference", c.R.UpdatesGetChannelDifferenceRequest(
        channel=c.cref(str(c.channel_marked())), pts=1, limit=100,
        filter=c.R.TypeChannelMessagesFilter(
            channel_messages_filter_empty=c.R.ChannelMessagesFilterEmpty())))
    which = got.WhichOneof("value")
    expect(which == "updates_channel_difference", f"{which}: {short(got)}")
    raw = sorted(m.message.id or m.message_service.id
                 for m in got.updates_channel_difference.new_messages)
    typed = sorted(m.id for m in c.typed_history(str(c.channel_marked()), 50))
    expect(raw == typed and c.channel_post in raw, f"raw {raw} vs ListMessages {typed}")
    return f"new messages since pts 1 {raw} = ListMessages"


@check("channels.deleteMessages")
def channels_delete_messages(c):
    affected = c.raw("channels", "DeleteMessages", c.R.ChannelsDeleteMessagesRequest(
        channel=c.cref(str(c.channel_marked())), id=[c.channel_post])).messages_affected_messages
    typed = c.typed_messages(str(c.channel_marked()), [c.channel_post])
    expect(affected.pts_count == 1 and list(typed.missing) == [c.channel_post],
           f"pts_count {affected.pts_count}, GetMessages missing {list(typed.missing)}")
    return f"GetMessages has {c.channel_post} missing"


@check("channels.getFullChannel")
def channels_get_full_channel(c):
    full = c.raw("channels", "GetFullChannel", c.R.ChannelsGetFullChannelRequest(
        channel=c.cref("@" + c.args.big_group))).messages_chat_full
    channel_full = full.full_chat.channel_full
    typed = c.typed_chat(c.big.id)
    expect(channel_full.id == typed.raw_id and
           channel_full.participants_count == typed.full.members_count == typed.members_count,
           f"raw {channel_full.id} {channel_full.participants_count} vs GetChat "
           f"{typed.raw_id} {typed.full.members_count}/{typed.members_count}")
    return f"{channel_full.participants_count} participants = GetChat"


@check("channels.getParticipants")
def channels_get_participants(c):
    got = c.raw("channels", "GetParticipants", c.R.ChannelsGetParticipantsRequest(
        channel=c.cref("@" + c.args.big_group), offset=0, limit=100,
        filter=c.R.TypeChannelParticipantsFilter(
            channel_participants_recent=c.R.ChannelParticipantsRecent())))
    got = got.channels_channel_participants
    raw = [getattr(p, p.WhichOneof("value")).user_id for p in got.participants]
    typed = c.typed_call("ChatService", "ListChatMembers", c.T.ListChatMembersRequest(
        parent=f"{c.account}/chats/{c.big.id}", page_size=100))
    expect(got.count == typed.total_size and raw == [m.user.id for m in typed.members],
           f"raw count {got.count}, {raw[:5]}... vs ListChatMembers {typed.total_size}, "
           f"{[m.user.id for m in typed.members][:5]}...")
    return f"count {got.count} and the first {len(raw)} ids = ListChatMembers"


@check("channels.joinChannel")
def channels_join_channel(c):
    before = c.typed_chat(c.big.id)
    expect(before.has_left, "carol is already in the big group")
    c.raw("channels", "JoinChannel", c.R.ChannelsJoinChannelRequest(
        channel=c.cref("@" + c.args.big_group)))
    after = c.typed_chat(c.big.id)
    expect(not after.has_left and after.members_count == before.members_count + 1,
           f"GetChat has_left {after.has_left}, members {before.members_count} -> "
           f"{after.members_count}")
    return f"GetChat: joined, {after.members_count} members"


@check("channels.readHistory")
def channels_read_history(c):
    # The helper (a member) posts in the big group, which carol has joined: one unread message.
    # It resolves the group first: the push of carol's join, which also shows the group to the
    # helper's account, may not be handled yet (a chat the account never saw is PEER_ID_INVALID).
    c.typed_call("ChatService", "ResolvePeer", c.T.ResolvePeerRequest(
        account=c.helper_account, query=c.args.big_group))
    post = c.typed_call("MessageService", "SendLocation", c.T.SendLocationRequest(
        parent=f"{c.helper_account}/chats/{c.big.id}", latitude=1.5, longitude=2.5))
    before = c.unread(c.big.id)
    expect(before >= 1, f"ListChats unread_count {before} after the helper's post")
    done = c.raw("channels", "ReadHistory", c.R.ChannelsReadHistoryRequest(
        channel=c.cref("@" + c.args.big_group), max_id=post.id))
    expect(done.value, "answered false")
    after = c.unread(c.big.id)
    expect(after == 0, f"ListChats unread_count {after} after reading up to {post.id}")
    return f"the helper's post {post.id} read: ListChats unread_count {before} -> 0"


@check("channels.leaveChannel")
def channels_leave_channel(c):
    c.raw("channels", "LeaveChannel", c.R.ChannelsLeaveChannelRequest(
        channel=c.cref("@" + c.args.big_group)))
    expect(c.typed_chat(c.big.id).has_left, "GetChat: not left")
    return "GetChat says has_left"


@check("upload.saveFilePart")
def upload_save_file_part(c):
    data = os.urandom(3000)
    file_id = random.getrandbits(62)
    for part in range(3):
        done = c.raw("upload", "SaveFilePart", c.R.UploadSaveFilePartRequest(
            file_id=file_id, file_part=part, bytes=data[part * 1024:(part + 1) * 1024]))
        expect(done.value, f"part {part}: false")
    message = c.send_document(c.R.TypeInputFile(input_file=c.R.InputFile(
        id=file_id, parts=3, name="raw.bin", md5_checksum=hashlib.md5(data).hexdigest())))
    downloaded = c.download(f"{c.account}/chats/me/messages/{message.id}")
    expect(downloaded == data, f"DownloadFile gave {len(downloaded)} bytes, not the 3000 sent")
    return f"3 parts, sent as document {message.id}: DownloadFile gives the bytes back"


@check("upload.saveBigFilePart")
def upload_save_big_file_part(c):
    data = os.urandom(1024 + 500)
    file_id = random.getrandbits(62)
    for part in range(2):
        done = c.raw("upload", "SaveBigFilePart", c.R.UploadSaveBigFilePartRequest(
            file_id=file_id, file_part=part, file_total_parts=2,
            bytes=data[part * 1024:(part + 1) * 1024]))
        expect(done.value, f"part {part}: false")
    message = c.send_document(c.R.TypeInputFile(input_file_big=c.R.InputFileBig(
        id=file_id, parts=2, name="raw-big.bin")))
    downloaded = c.download(f"{c.account}/chats/me/messages/{message.id}")
    expect(downloaded == data, f"DownloadFile gave {len(downloaded)} bytes, not the 1524 sent")
    return f"2 big parts, document {message.id}: DownloadFile gives the bytes back"


@check("photos.uploadProfilePhoto")
def photos_upload_profile_photo(c):
    c.photo_bytes = png(64, 48, seed=7)
    file_id = random.getrandbits(62)
    c.raw("upload", "SaveFilePart", c.R.UploadSaveFilePartRequest(
        file_id=file_id, file_part=0, bytes=c.photo_bytes))
    photo = c.raw("photos", "UploadProfilePhoto", c.R.PhotosUploadProfilePhotoRequest(
        file=c.R.TypeInputFile(input_file=c.R.InputFile(
            id=file_id, parts=1, name="me.png",
            md5_checksum=hashlib.md5(c.photo_bytes).hexdigest())))).photos_photo.photo.photo
    me = c.get_me()
    listed = c.typed_call("UserService", "ListProfilePhotos", c.T.ListProfilePhotosRequest(
        parent=f"{c.account}/users/me"))
    expect(photo.id == me.photo_id == listed.photos[0].id,
           f"photo {photo.id}, GetMe.photo_id {me.photo_id}, ListProfilePhotos "
           f"{[p.id for p in listed.photos]}")
    c.photo = photo
    return f"photo {photo.id} = GetMe.photo_id = ListProfilePhotos' first"


@check("photos.getUserPhotos")
def photos_get_user_photos(c):
    got = c.raw("photos", "GetUserPhotos", c.R.PhotosGetUserPhotosRequest(
        user_id=c.uref("me"), limit=10))
    photos = getattr(got, got.WhichOneof("value"))
    raw = [p.photo.id for p in photos.photos]
    listed = c.typed_call("UserService", "ListProfilePhotos", c.T.ListProfilePhotosRequest(
        parent=f"{c.account}/users/me"))
    expect(raw == [p.id for p in listed.photos] and len(raw) == listed.total_size,
           f"raw {raw} vs ListProfilePhotos {[p.id for p in listed.photos]} "
           f"(total {listed.total_size})")
    return f"{raw} = ListProfilePhotos"


@check("upload.getFile")
def upload_get_file(c):
    size = c.photo.sizes[-1].photo_size
    got = c.raw("upload", "GetFile", c.R.UploadGetFileRequest(
        location=c.R.TypeInputFileLocation(input_photo_file_location=c.R.InputPhotoFileLocation(
            id=c.photo.id, access_hash=c.photo.access_hash, file_reference=c.photo.file_reference,
            thumb_size=size.type)), offset=0, limit=512 * 1024)).upload_file
    typed = c.download(None, c.T.DownloadFileRequest(peer_photo=f"{c.account}/users/me", big=True))
    expect(got.bytes == c.photo_bytes == typed,
           f"getFile {len(got.bytes)} bytes, DownloadFile {len(typed)}, uploaded "
           f"{len(c.photo_bytes)}")
    return f"{len(got.bytes)} bytes = the upload = DownloadFile(peer_photo)"


@check("updates.getDifference")
def updates_get_difference(c):
    got = c.raw("updates", "GetDifference", c.R.UpdatesGetDifferenceRequest(
        pts=c.state0.pts, date=c.state0.date, qts=0))
    which = got.WhichOneof("value")
    expect(which in ("updates_difference", "updates_difference_slice"), f"{which}")
    diff = getattr(got, which)
    saved = sorted(m.message.id for m in diff.new_messages
                   if m.message.peer_id.peer_user.user_id == c.me.id and m.message.id)
    typed = sorted(m.id for m in c.typed_history("me", 50) if m.id > 0 and
                   m.date.seconds >= c.state0.date)
    expect(saved == typed and c.sent in saved and c.forwarded not in saved,
           f"Saved Messages in the difference {saved} vs ListMessages {typed}")
    incoming = [m.message.id for m in diff.new_messages
                if m.message.peer_id.peer_user.user_id == c.helper.id]
    expect(incoming == [c.incoming_id()], f"the helper's message: {incoming}")
    return f"since pts {c.state0.pts}: {saved} = ListMessages, and the helper's message"


@check("auth.exportAuthorization")
def auth_export_authorization(c):
    exported = c.raw("auth", "ExportAuthorization", c.R.AuthExportAuthorizationRequest(
        dc_id=1 if c.home_dc != 1 else 3)).auth_exported_authorization
    expect(exported.id == c.me.id and len(exported.bytes) >= 8,
           f"id {exported.id} (me {c.me.id}), {len(exported.bytes)} bytes")
    return f"for user {exported.id} = GetMe.id, {len(exported.bytes)} bytes"


@check("auth.acceptLoginToken")
def auth_accept_login_token(c):
    d = c.failing("auth", "AcceptLoginToken", c.R.AuthAcceptLoginTokenRequest(token=b"not-a-token"))
    info = d.get("ErrorInfo")
    expect(d["code"] == "INVALID_ARGUMENT" and info is not None and
           info.reason == "AUTH_TOKEN_INVALID" and info.domain == "telegram.org",
           f"{d['code']} {d['message']!r} {info}")
    return "a made-up token: INVALID_ARGUMENT, ErrorInfo AUTH_TOKEN_INVALID (telegram.org)"


@check("ref_peer")
def ref_peer(c):
    # The same channel by marked id and by @username; a user by marked id (its hash from the
    # peer cache, which the typed GetUser filled).
    by_id = c.raw("channels", "GetFullChannel", c.R.ChannelsGetFullChannelRequest(
        channel=c.cref(str(c.big.id)))).messages_chat_full.full_chat.channel_full.id
    by_name = c.raw("channels", "GetFullChannel", c.R.ChannelsGetFullChannelRequest(
        channel=c.cref("@" + c.args.big_group))).messages_chat_full.full_chat.channel_full.id
    expect(by_id == by_name == c.big.raw_id, f"{by_id} / {by_name} vs {c.big.raw_id}")
    history_id = [(m.id, m.message) for m in c.messages_of(c.raw("messages", "GetHistory",
                  c.R.MessagesGetHistoryRequest(peer=c.ref(str(c.helper.id)), limit=10)))]
    history_name = [(m.id, m.message) for m in c.messages_of(c.raw("messages", "GetHistory",
                    c.R.MessagesGetHistoryRequest(peer=c.ref("me"), limit=10)))]
    typed = [(m.id, m.text) for m in c.typed_history(str(c.helper.id), 10)]
    expect(history_id == typed and history_id, f"helper by id {history_id} vs {typed}")
    expect(history_name == [(m.id, m.text) for m in c.typed_history("me", 10)], "'me'")
    d = c.failing("messages", "GetHistory", c.R.MessagesGetHistoryRequest(
        peer=c.ref("@nobody_has_this_name_zz"), limit=1))
    expect(d["code"] == "NOT_FOUND" and d.get("ErrorInfo") is not None and
           d["ErrorInfo"].reason == "USERNAME_NOT_OCCUPIED", f"unknown @username: {d}")
    return ("channel by marked id = by @username; user by marked id, 'me' = ListMessages; "
            "unknown @username NOT_FOUND (USERNAME_NOT_OCCUPIED)")


@check("invoke_json")
def invoke_json(c):
    answer = c.typed_call("RawService", "InvokeJson", c.T.InvokeJsonRequest(
        account=c.account, query_json=json.dumps(
            {"_": "messages.getHistory", "peer": {"_": "inputPeerSelf"}, "offset_id": 0,
             "offset_date": 0, "add_offset": 0, "limit": 20, "max_id": 0, "min_id": 0,
             "hash": "0"})))
    result = json.loads(answer.result_json)
    got = [(m["id"], m.get("message", "")) for m in result["messages"]]
    typed = [(m.id, m.text) for m in c.typed_history("me", 20)]
    expect(answer.method == "messages.getHistory" and got == typed,
           f"{answer.method}: {got} vs ListMessages {typed}")
    users = json.loads(c.typed_call("RawService", "InvokeJson", c.T.InvokeJsonRequest(
        account=c.account, query_json='{"_": "users.getUsers", "id": [{"_": "inputUserSelf"}]}'
    )).result_json)
    expect([(int(u["id"]), u.get("username")) for u in users] == [(c.me.id, c.username)],
           f"users.getUsers {users}")
    return f"messages.getHistory ({result['_']}) = ListMessages; users.getUsers = GetMe"


@check("bad_input")
def bad_input(c):
    # A TypeInputPeer with an oneof case no schema has (field 999), sent as bytes.
    def varint(n):
        out = b""
        while True:
            low, n = n & 0x7F, n >> 7
            if not n:
                return out + bytes([low])
            out += bytes([low | 0x80])
    peer = c.self_peer.SerializeToString() + varint(999 << 3) + varint(7)
    request = (c.R.MessagesGetHistoryRequest(account=c.account, limit=1).SerializeToString() +
               varint(2 << 3 | 2) + varint(len(peer)) + peer)
    get_history = c.channel.unary_unary("/tgrpc.raw.v1.MessagesService/GetHistory")
    d = c.failing_call(get_history, request)
    def names_peer(details):
        bad = details.get("BadRequest")
        return bad is not None and any(v.field == "peer" for v in bad.field_violations)
    expect(d["code"] == "INVALID_ARGUMENT" and "999" in d["message"] and names_peer(d),
           f"unknown case: {d['code']} {d['message']!r} (BadRequest naming peer wanted)")
    missing = c.failing("messages", "GetHistory", c.R.MessagesGetHistoryRequest(limit=1))
    expect(missing["code"] == "INVALID_ARGUMENT" and names_peer(missing),
           f"missing peer: {missing['code']} {missing['message']!r} (BadRequest naming peer wanted)")
    c.raw("help", "GetNearestDc", c.R.HelpGetNearestDcRequest())  # still serving
    return (f"unknown case: {d['message']!r}; no peer: {missing['message']!r}; both with "
            f"BadRequest field peer")


@check("unimplemented")
def unimplemented(c):
    # help.getAppConfig is in the schema (so tgrpcd sends it) but fakedc does not answer it.
    d = c.failing("help", "GetAppConfig", c.R.HelpGetAppConfigRequest(hash=0))
    info = d.get("ErrorInfo")
    expect(d["code"] in ("INVALID_ARGUMENT", "FAILED_PRECONDITION", "UNIMPLEMENTED") and
           info is not None and info.domain == "telegram.org" and info.metadata.get("code"),
           f"{d['code']} {d['message']!r} {info}")
    unknown = c.failing_call(c.channel.unary_unary("/tgrpc.raw.v1.HelpService/NoSuchMethod"), b"")
    expect(unknown["code"] == "UNIMPLEMENTED", f"an unknown RPC: {unknown['code']}")
    nearest = c.raw("help", "GetNearestDc", c.R.HelpGetNearestDcRequest()).nearest_dc
    expect(nearest.this_dc == c.home_dc, "tgrpcd does not answer after it")
    return (f"help.getAppConfig: {d['code']}, ErrorInfo {info.reason} (telegram.org, "
            f"{info.metadata.get('code')}); unknown RPC UNIMPLEMENTED; still serving")


@check("reflection")
def reflection(c):
    buf = os.path.join(HERE, "node_modules", ".bin", "buf")
    expect(os.path.exists(buf), f"no {buf} (deploy/polyglot_setup.sh)")
    base = [buf, "curl", "--protocol", "grpc", "--http2-prior-knowledge"]
    listed = subprocess.run([*base, "--list-services", f"http://{c.args.target}"],
                            capture_output=True, text=True, timeout=30)
    expect(listed.returncode == 0, f"buf curl --list-services: {listed.stderr.strip()[:200]}")
    raw = {s for s in listed.stdout.split() if s.startswith("tgrpc.raw.v1.")}
    expect(raw == c.raw_services, f"listed {len(raw)} raw services, the .proto files have "
           f"{len(c.raw_services)}: {sorted(raw ^ c.raw_services)[:5]}")
    # A raw call made only from what reflection describes.
    called = subprocess.run([*base, "-H", f"authorization: Bearer {c.args.token}", "-d",
                             json.dumps({"account": c.account}),
                             f"http://{c.args.target}/tgrpc.raw.v1.HelpService/GetNearestDc"],
                            capture_output=True, text=True, timeout=30)
    expect(called.returncode == 0, f"buf curl GetNearestDc: {called.stderr.strip()[:200]}")
    answer = json.loads(called.stdout)
    expect(answer.get("nearestDc", {}).get("thisDc") == c.home_dc, f"answer {answer}")
    return (f"{len(raw)} tgrpc.raw.v1 services listed (v1alpha, buf curl) = the tar's; "
            "HelpService/GetNearestDc called from reflected descriptors")


# --- calling -----------------------------------------------------------------------------------

class Context:
    """The channel, stubs and what the checks found so far."""

    def __init__(self, args, raw, typed, rpc, raw_services):
        self.args, self.R, self.T, self.rpc_types = args, raw, typed, rpc
        self.raw_services = raw_services
        self.channel = grpc.insecure_channel(args.target)
        self.account = f"accounts/{args.account}"
        self.helper_account = f"accounts/{args.account}-helper"
        self.metadata = [("authorization", f"Bearer {args.token}")]
        self.tag = f"t{random.randrange(10**6):06d}"
        self.self_peer = raw.TypeInputPeer(input_peer_self=raw.InputPeerSelf())
        self._stubs = {}

    def __getattr__(self, name):  # state a check needs that an earlier one did not leave
        raise Failure(f"needs {name}, which an earlier check did not set")

    # stubs and calls
    def _stub(self, service, classes):  # raw and typed both have an AccountService
        key = (id(classes), service)
        if key not in self._stubs:
            self._stubs[key] = classes.stub(service, self.channel)
        return self._stubs[key]

    def raw(self, namespace, method, request):
        request.account = self.account
        stub = self._stub(namespace.capitalize() + "Service", self.R)
        return getattr(stub, method)(request, metadata=self.metadata, timeout=30)

    def typed_call(self, service, method, request):
        return getattr(self._stub(service, self.T), method)(request, metadata=self.metadata,
                                                             timeout=30)

    def failing_call(self, method, request):
        try:
            response = method(request, metadata=self.metadata, timeout=30)
        except grpc.RpcError as error:
            return self.details(error)
        raise Failure("succeeded: " + short(response, 200))

    def failing(self, namespace, method, request):
        request.account = self.account
        stub = self._stub(namespace.capitalize() + "Service", self.R)
        return self.failing_call(getattr(stub, method), request)

    def details(self, error):
        out = {"code": error.code().name, "message": error.details()}
        raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
        if raw:
            for detail in self.rpc_types.Status.FromString(raw).details:
                name = detail.type_url.rsplit("/", 1)[-1].rsplit(".", 1)[-1]
                if name in ("ErrorInfo", "BadRequest", "RetryInfo"):
                    value = getattr(self.rpc_types, name)()
                    detail.Unpack(value)
                    out[name] = value
        return out

    # peers
    def ref(self, text):
        return self.R.TypeInputPeer(ref=text)

    def uref(self, text):
        return self.R.TypeInputUser(ref=text)

    def cref(self, text):
        return self.R.TypeInputChannel(ref=text)

    def channel_marked(self):  # the supergroup channels.createChannel made
        return -(CHANNEL_BASE + self.supergroup.id)

    @staticmethod
    def marked(peer):
        which = peer.WhichOneof("value")
        if which == "peer_user":
            return peer.peer_user.user_id
        if which == "peer_chat":
            return -peer.peer_chat.chat_id
        return -(CHANNEL_BASE + peer.peer_channel.channel_id)

    # raw answers
    @staticmethod
    def messages_of(answer):
        box = getattr(answer, answer.WhichOneof("value"))
        return [m.message if m.WhichOneof("value") == "message" else m.message_service
                for m in box.messages if m.WhichOneof("value") != "message_empty"]

    @staticmethod
    def _updates(updates):
        which = updates.WhichOneof("value")
        if which in ("updates", "updates_combined"):
            box = getattr(updates, which)
            return list(box.updates), list(box.users), list(box.chats)
        if which == "update_short":
            return [updates.update_short.update], [], []
        return [], [], []

    def sent_ids(self, updates):
        """random_id -> message id, from updateMessageID."""
        return {u.update_message_id.random_id: u.update_message_id.id
                for u in self._updates(updates)[0] if u.WhichOneof("value") == "update_message_id"}

    def updates_messages(self, updates):
        out = []
        for u in self._updates(updates)[0]:
            which = u.WhichOneof("value")
            if which in ("update_new_message", "update_new_channel_message", "update_edit_message",
                         "update_edit_channel_message"):
                message = getattr(u, which).message
                if message.WhichOneof("value") == "message":
                    out.append(message.message)
        return out

    def updates_users(self, updates):
        return {u.user.id: u.user for u in self._updates(updates)[1]}

    def updates_chats(self, updates):
        return self._updates(updates)[2]

    @staticmethod
    def user_in(users, user_id):
        for u in users:
            if u.WhichOneof("value") == "user" and u.user.id == user_id:
                return u.user
        raise Failure(f"user {user_id} not in the answer's users")

    @staticmethod
    def chat_in(chats, chat_id):
        for x in chats:
            value = getattr(x, x.WhichOneof("value"))
            if value.id == chat_id:
                return value
        raise Failure(f"chat {chat_id} not in the answer's chats")

    def emoji(self, emoticon):
        return self.R.TypeReaction(reaction_emoji=self.R.ReactionEmoji(emoticon=emoticon))

    def incoming_id(self):
        return self.incoming.id

    # the typed side
    def get_me(self):
        return self.typed_call("UserService", "GetMe", self.T.GetMeRequest(account=self.account))

    def user_full(self, user):
        return self.typed_call("UserService", "GetUser",
                               self.T.GetUserRequest(name=f"{self.account}/users/{user}"))

    def typed_chat(self, marked):
        return self.typed_call("ChatService", "GetChat",
                               self.T.GetChatRequest(name=f"{self.account}/chats/{marked}"))

    def typed_messages(self, chat, ids):
        return self.typed_call("MessageService", "GetMessages", self.T.GetMessagesRequest(
            parent=f"{self.account}/chats/{chat}", ids=ids))

    def typed_history(self, chat, size):
        return list(self.typed_call("MessageService", "ListMessages", self.T.ListMessagesRequest(
            parent=f"{self.account}/chats/{chat}", page_size=size)).messages)

    def unread(self, marked):
        dialogs = self.typed_call("ChatService", "ListChats", self.T.ListChatsRequest(
            account=self.account, page_size=100)).dialogs
        found = [d.unread_count for d in dialogs if d.chat.id == marked]
        expect(len(found) == 1, f"ListChats has no dialog {marked}")
        return found[0]

    def contact_ids(self):
        listed = self.typed_call("UserService", "ListContacts",
                                 self.T.ListContactsRequest(account=self.account))
        return [u.id for u in listed.contacts]

    def member_ids(self, marked):
        listed = self.typed_call("ChatService", "ListChatMembers", self.T.ListChatMembersRequest(
            parent=f"{self.account}/chats/{marked}"))
        return [m.user.id for m in listed.members]

    def wait_typed_pts(self, pts):
        """tgrpcd applies the account's updates asynchronously: its pts catches up shortly."""
        deadline = time.monotonic() + 5
        while True:
            typed = self.typed_call("UpdateService", "GetUpdateState", self.T.GetUpdateStateRequest(
                account=self.account)).pts
            if typed == pts or time.monotonic() > deadline:
                return typed
            time.sleep(0.05)

    def download(self, message, request=None):
        request = request or self.T.DownloadFileRequest(message=message)
        stream = self.typed_call("FileService", "DownloadFile", request)
        return b"".join(part.data for part in stream)

    def send_document(self, input_file):
        R = self.R
        document = R.InputMediaUploadedDocument(
            file=input_file, mime_type="application/octet-stream",
            attributes=[R.TypeDocumentAttribute(
                document_attribute_filename=R.DocumentAttributeFilename(file_name="raw.bin"))])
        updates = self.raw("messages", "SendMedia", R.MessagesSendMediaRequest(
            peer=self.self_peer, random_id=random.getrandbits(63),
            media=R.TypeInputMedia(input_media_uploaded_document=document)))
        (message,) = self.updates_messages(updates)
        expect(message.media.WhichOneof("value") == "message_media_document",
               f"media {short(message.media)}")
        return message

    def sign_in(self, account, phone, password):
        """CreateAccount, StartLogin, SubmitCode (the code from fakedc's codes/), SubmitPassword."""
        T = self.T
        name = account.split("/", 1)[1]
        self.typed_call("AccountService", "CreateAccount", T.CreateAccountRequest(
            account=T.Account(phone_number=phone, display_name="polyglot raw python"),
            account_id=name, request_id=f"create-{name}"))
        state = self.typed_call("AccountService", "StartLogin", T.StartLoginRequest(name=account))
        expect(state.step == T.LoginState.CODE_SENT, f"StartLogin {short(state)}")
        path = os.path.join(self.args.codes_dir, re.sub(r"\D", "", phone))
        for _ in range(100):
            if os.path.exists(path):
                break
            time.sleep(0.1)
        with open(path) as f:
            code = f.read().strip()
        state = self.typed_call("AccountService", "SubmitCode", T.SubmitCodeRequest(name=account,
                                                                                   code=code))
        hint = ""
        if state.step == T.LoginState.PASSWORD_NEEDED:
            hint = state.password_hint
            state = self.typed_call("AccountService", "SubmitPassword", T.SubmitPasswordRequest(
                name=account, password=password))
        expect(state.step == T.LoginState.SIGNED_IN, f"{account}: {short(state)}")
        return self.typed_call("UserService", "GetMe", T.GetMeRequest(account=account)), hint


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--token", default="")
    parser.add_argument("--codes-dir", default="")
    # carol: fakedc's seeded user with a 2FA password; the helper: a member of fakedc_big.
    parser.add_argument("--phone", default="+15550000003")
    parser.add_argument("--password", default="correct horse")
    parser.add_argument("--helper-phone", default="+16660000005")
    parser.add_argument("--alice-phone", default="15550000001")
    parser.add_argument("--bob-phone", default="15550000002")
    parser.add_argument("--account", default="raw-python-3")
    parser.add_argument("--client", default="raw-python")
    parser.add_argument("--big-group", default="fakedc_big")
    parser.add_argument("--raw-tar", default=os.path.join(ROOT, "bazel-bin", "proto", "raw",
                                                          "raw_api_proto.tar"))
    parser.add_argument("--proto-dir", default=os.path.join(ROOT, "proto"))
    parser.add_argument("--list-checks", action="store_true", help="print the checks and exit")
    args = parser.parse_args()
    if args.list_checks:
        print("\n".join(name for name, _ in CHECKS))
        return 0

    began = time.monotonic()
    raw, typed, rpc, services, files = make_stubs(args.raw_tar, args.proto_dir)
    print(f"{args.client}: stubs for {files} raw .proto files ({len(services)} services) by "
          f"protoc in {time.monotonic() - began:.1f} s", flush=True)
    c = Context(args, raw, typed, rpc, services)
    failures = 0
    for name, body in CHECKS:
        try:
            note = body(c)
            print(f"polyglot {args.client} {name} PASSED" + (f": {note}" if note else ""),
                  flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported as the check's
            failures += 1
            if isinstance(error, Failure):
                text = str(error)
            elif isinstance(error, grpc.RpcError):
                text = f"{error.code().name}: {error.details()}"
            else:
                text = f"{type(error).__name__}: {error}"
            print(f"polyglot {args.client} {name} FAILED: {text}", flush=True)
    c.channel.close()
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

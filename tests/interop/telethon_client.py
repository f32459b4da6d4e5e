#!/usr/bin/python3
"""Interop driver for Telethon (Debian python3-telethon 1.25.1; it declares layer 144).

Points the client at a local server (tests/fakedc), trusts the server's RSA key, and runs the steps
given by --scenario. Same options (with the same INTEROP_* environment fallbacks) and the same
output as the Node drivers (common.mjs): one JSON line per step on stdout,
  {"client":"telethon","transport":..,"step":..,"ok":true|false,"detail":..}
`connect` always runs first; the first failure ends the run with exit code 1. Logs go to stderr.

Run it with Debian's /usr/bin/python3: a python3 earlier on PATH may not see Debian's packages.

Transports (telethon/network/connection/): TCP full (its default), abridged, intermediate,
obfuscated2 over abridged, MTProxy over abridged, intermediate or padded intermediate (dd secret),
and HTTP (POST /api). Telethon has no padded intermediate outside MTProxy and no obfuscated2 over
the intermediate codecs outside MTProxy.
"""
import argparse
import asyncio
import base64
import hashlib
import io
import json
import logging
import os
import random
import sys
import time

try:
    import telethon
    from telethon import TelegramClient, errors, events, functions, types
    from telethon.crypto import rsa
    from telethon.network import connection as conn
    from telethon.sessions import MemorySession
    from telethon.tl.alltlobjects import LAYER
except ImportError as e:  # reported as a JSON line below
    telethon = None
    IMPORT_ERROR = e

CLIENT = "telethon"
STEPS = ["connect", "signin-user", "signup-user", "sendcode-only", "signin-bot", "signin-qr",
         "send-and-get", "reconnect", "members", "file", "receive-updates", "join-request",
         "join-approved", "join-link"]


def transports():
    return {
        "full": ("TCP, full codec (length, seqno, CRC32); Telethon's default",
                 conn.ConnectionTcpFull, None),
        "abridged": ("TCP, abridged codec (0xef)", conn.ConnectionTcpAbridged, None),
        "intermediate": ("TCP, intermediate codec (0xeeeeeeee)", conn.ConnectionTcpIntermediate, None),
        "obfuscated-abridged": ("obfuscated2 over abridged", conn.ConnectionTcpObfuscated, None),
        "mtproxy-abridged": ("MTProxy, plain secret: obfuscated2 (key mixed with the secret, DC id "
                             "in the header) over abridged", conn.ConnectionTcpMTProxyAbridged, ""),
        "mtproxy-intermediate": ("MTProxy, plain secret, over intermediate",
                                 conn.ConnectionTcpMTProxyIntermediate, ""),
        "mtproxy-padded": ("MTProxy, dd secret, over padded intermediate",
                           conn.ConnectionTcpMTProxyRandomizedIntermediate, "dd"),
        "http": ("HTTP/1.1 POST /api, one request per packet", http_connection(), None),
    }


def http_connection():
    """Telethon 1.25.1's ConnectionHttp with its reader fixed. HttpPacketCodec.read_packet checks
    each response line with `line[-1] != b'\\n'`: an int against bytes, true for every line in
    Python 3, so it raises IncompleteReadError ("The server closed the connection") on the first
    line of the first response and the transport cannot work against any server. The subclass reads
    as the library means to: lines until Content-Length (which it expects last), the blank line,
    then the body. Sending is the library's own (POST /api to the session's DC address and port;
    TLS only on port 443, never a port the kernel picks for fakedc)."""
    from telethon.network.connection.http import HttpPacketCodec

    class FixedHttpPacketCodec(HttpPacketCodec):
        async def read_packet(self, reader):
            while True:
                line = await reader.readline()
                if not line.endswith(b"\n"):
                    raise asyncio.IncompleteReadError(line, None)
                if line.lower().startswith(b"content-length: "):
                    await reader.readexactly(2)
                    return await reader.readexactly(int(line[16:-2]))

    class ConnectionHttpFixed(conn.ConnectionHttp):
        packet_codec = FixedHttpPacketCodec

    return ConnectionHttpFixed


OPTIONS = [
    # name, env, default, help
    ("host", "INTEROP_HOST", "127.0.0.1", "main DC address"),
    ("port", "INTEROP_PORT", None, "main DC port"),
    ("dc", "INTEROP_DC", "2", "main DC id"),
    ("dcs", "INTEROP_DCS", None, 'JSON {"1":["127.0.0.1",port],...}; overrides host/port of the main DC'),
    ("rsa-key", "INTEROP_RSA_KEY", None, 'server public key, PKCS#1 PEM ("BEGIN RSA PUBLIC KEY")'),
    ("transport", "INTEROP_TRANSPORT", "full", "transport name (--list-transports)"),
    ("mtproxy-secret", "INTEROP_MTPROXY_SECRET", "0123456789abcdef0123456789abcdef",
     "16-byte hex secret of the mtproxy-* transports (dd is added per transport)"),
    ("mtproxy-domain", "INTEROP_MTPROXY_DOMAIN", "example.com", "unused by Telethon (no fake TLS)"),
    ("scenario", "INTEROP_SCENARIO", "connect", "comma-separated steps: " + ",".join(STEPS)),
    ("phone", "INTEROP_PHONE", None, "signin-user / signup-user / sendcode-only: phone number; "
     "signin-qr: the account the second client signs in with a code and then logs the first one in "
     "as"),
    ("code", "INTEROP_CODE", None, "signin-user: the login code"),
    ("code-file", "INTEROP_CODE_FILE", None,
     "signin-user / signup-user / sendcode-only: file the code appears in after sendCode "
     "({phone} is replaced); polled"),
    ("first-name", "INTEROP_FIRST_NAME", "Interop", "signup-user: first name of the new account"),
    ("password", "INTEROP_PASSWORD", None, "signin-user / signin-qr: 2FA password, if the account has one"),
    ("bot-token", "INTEROP_BOT_TOKEN", None,
     "signin-bot: token; receive-updates: the token of the bot that sends the messages"),
    ("count", "INTEROP_COUNT", "100", "receive-updates: messages the bot sends"),
    ("peer", "INTEROP_PEER", "me", 'send-and-get / file: chat to use ("me" = saved messages)'),
    ("channel", "INTEROP_CHANNEL", None, "members: channel or supergroup username"),
    ("min-members", "INTEROP_MIN_MEMBERS", "1", "members: fail below this count"),
    ("invite", "INTEROP_INVITE", None, "join-request / join-approved / join-link: the invite "
     "link (https://t.me/+HASH, t.me/joinchat/HASH or the hash)"),
    ("chat-title", "INTEROP_CHAT_TITLE", None, "join-*: the title the invite must show"),
    ("file-size", "INTEROP_FILE_SIZE", str(10 * 1024 * 1024 + 12345), "file: bytes to upload"),
    ("api-id", "INTEROP_API_ID", "17349", "api_id sent in initConnection"),
    ("api-hash", "INTEROP_API_HASH", "344583e45741c457fe1862106095a5eb", "api_hash"),
    ("sync-dir", "INTEROP_SYNC_DIR", None, "reconnect: the step creates <dir>/ready, then waits for "
     "<dir>/dropped (the runner drops the connections in between); join-approved: waits for "
     "<dir>/approved (the admin approves the request in between)"),
    ("timeout", "INTEROP_TIMEOUT", "60", "seconds per step (the file step gets 5x)"),
]
FLAGS = [
    ("disconnect-midway", "INTEROP_DISCONNECT_MIDWAY", "receive-updates: the receiver disconnects "
     "(the library's own call) halfway through, the bot sends a quarter of the messages "
     "meanwhile, then it connects again"),
    ("no-updates", "INTEROP_NO_UPDATES", "turn the library's update handling off"),
    ("verbose", "INTEROP_VERBOSE", "library debug logs on stderr"),
]


def emit(transport, step, ok, detail):
    sys.stdout.write(json.dumps({"client": CLIENT, "transport": transport, "step": step, "ok": ok,
                                 "detail": detail}, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def fail_setup(transport, message):
    emit(transport, "setup", False, message)
    sys.exit(2)


def parse_options():
    ap = argparse.ArgumentParser(description="Telethon interop driver")
    for name, env, default, help_ in OPTIONS:
        ap.add_argument("--" + name, help=f"{help_} [${env}]" + (f" (default {default})" if default else ""))
    for name, env, help_ in FLAGS:
        ap.add_argument("--" + name, action="store_true", default=None, help=f"{help_} [${env}]")
    ap.add_argument("--list-transports", action="store_true", help="print the transports as JSON and exit")
    args = ap.parse_args()
    if telethon is None:
        fail_setup(None, f"cannot import telethon with {sys.executable}: {IMPORT_ERROR}")
    if args.list_transports:
        print(json.dumps({"client": CLIENT, "default": "full", "transports": list(transports())},
                         separators=(",", ":")))
        sys.exit(0)
    opts = {}
    for name, env, default, _ in OPTIONS:
        v = getattr(args, name.replace("-", "_"))
        if v is None and os.environ.get(env):
            v = os.environ[env]
        opts[name] = default if v is None else v
    for name, env, _ in FLAGS:
        v = getattr(args, name.replace("-", "_"))
        if v is None:
            v = os.environ.get(env, "") not in ("", "0", "false", "no")
        opts[name] = v
    if opts["transport"] not in transports():
        fail_setup(opts["transport"], f"unknown transport; {CLIENT} has: {', '.join(transports())}")
    opts["dc"] = int(opts["dc"])
    dcs = {}
    if opts["dcs"]:
        for k, (host, port) in json.loads(opts["dcs"]).items():
            dcs[int(k)] = (str(host), int(port))
    if opts["dc"] in dcs:
        opts["host"], opts["port"] = dcs[opts["dc"]]
    elif not opts["port"]:
        fail_setup(opts["transport"], "no --port (or --dcs entry for the main DC)")
    opts["port"] = int(opts["port"])
    opts["dcs"] = dcs
    if not opts["rsa-key"]:
        fail_setup(opts["transport"], "no --rsa-key")
    with open(opts["rsa-key"], encoding="ascii") as f:
        opts["rsa_pem"] = f.read()
    steps = [s.strip() for s in opts["scenario"].split(",") if s.strip()]
    for s in steps:
        if s not in STEPS:
            fail_setup(opts["transport"], f"unknown step {s}; steps: {', '.join(STEPS)}")
    if not steps or steps[0] != "connect":
        steps.insert(0, "connect")
    opts["steps"] = steps
    return opts


def make_file(size):
    """The deterministic test file: SHA-256("tgrpc-interop <i>") for i = 0, 1, ..., cut to size."""
    blocks = (size + 31) // 32
    return b"".join(hashlib.sha256(f"tgrpc-interop {i}".encode()).digest() for i in range(blocks))[:size]


async def read_code(opts):
    if opts["code"]:
        return opts["code"]
    if not opts["code-file"]:
        raise ValueError("signin-user needs --code or --code-file")
    path = opts["code-file"].replace("{phone}", "".join(c for c in (opts["phone"] or "") if c.isdigit()))
    while True:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                text = f.read().strip()
            if text:
                return text
        await asyncio.sleep(0.1)


def token_from_url(url):
    """The token of a QR login URL, tg://login?token=<base64url, unpadded>."""
    prefix = "tg://login?token="
    if not url.startswith(prefix):
        raise ValueError(f"not a tg://login?token= URL: {url}")
    b64 = url[len(prefix):]
    return base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))


async def await_drop(opts):
    """The reconnect step's handshake with the runner: <sync-dir>/ready says "idle, drop the
    connections now"; the runner creates <sync-dir>/dropped once fakedc has dropped them."""
    directory = opts["sync-dir"]
    if not directory:
        raise ValueError("reconnect needs --sync-dir")
    with open(os.path.join(directory, "ready.tmp"), "w", encoding="ascii") as f:
        f.write(f"{os.getpid()}\n")
    os.rename(os.path.join(directory, "ready.tmp"), os.path.join(directory, "ready"))
    started = time.monotonic()
    while not os.path.exists(os.path.join(directory, "dropped")):
        await asyncio.sleep(0.05)
    return int((time.monotonic() - started) * 1000)


def update_text(tag, i):
    """receive-updates: the text of the bot's i-th message in run `tag`."""
    return f"updates {tag} {i}"


def update_index(tag, text):
    """The index of a receive-updates message of run `tag` (-1: not one of them)."""
    prefix = f"updates {tag} "
    if not isinstance(text, str) or not text.startswith(prefix) or not text[len(prefix):].isdigit():
        return -1
    return int(text[len(prefix):])


def audit_deliveries(sent, arrived):
    """What a receiver got of `sent` messages numbered 0..sent-1, in arrival order (the same
    counts as common.mjs auditDeliveries): each once and in order is ok."""
    seen = {}
    out_of_order, highest = 0, -1
    for i in arrived:
        seen[i] = seen.get(i, 0) + 1
        if seen[i] == 1:
            if i < highest:
                out_of_order += 1
            highest = max(highest, i)
    lost = [i for i in range(sent) if i not in seen]
    twice = sorted(i for i, n in seen.items() if n > 1)
    duplicated = sum(n - 1 for n in seen.values())
    unexpected = sum(1 for i in seen if i >= sent)
    return {"sent": sent, "received": len(arrived), "lost": len(lost), "duplicated": duplicated,
            "out_of_order": out_of_order, "unexpected": unexpected, "first_lost": lost[:10],
            "first_duplicated": twice[:10],
            "ok": not lost and not duplicated and not out_of_order and not unexpected}


def phone_digits(phone):
    """A phone number's digits (what Telegram keys accounts by; get_me gives them without the +)."""
    return "".join(c for c in str(phone or "") if c.isdigit())


def error_text(e):
    name = type(e).__name__
    return f"{name}: {e}" if str(e) else name


class Driver:
    def __init__(self, opts):
        self.opts = opts
        rsa.add_key(opts["rsa_pem"], old=False)
        self.client = self.make_client()
        self.scanner = None  # signin-qr: signed in with a code, accepts the QR login token
        self.sender = None  # receive-updates: the bot that sends the messages

    def make_client(self, receive_updates=None):
        opts = self.opts
        about, connection, secret_prefix = transports()[opts["transport"]]
        session = MemorySession()
        session.set_dc(opts["dc"], opts["host"], opts["port"])
        kwargs = {}
        if secret_prefix is not None:
            kwargs["proxy"] = (opts["host"], opts["port"], secret_prefix + opts["mtproxy-secret"])
        return TelegramClient(
            session, int(opts["api-id"]), opts["api-hash"], connection=connection,
            receive_updates=(not opts["no-updates"]) if receive_updates is None else receive_updates,
            connection_retries=3, retry_delay=0.5,
            **kwargs)

    def text(self):
        return f"interop {CLIENT} {self.opts['transport']} {int(time.time() * 1000)} {random.randrange(10**9)}"

    async def step_connect(self):
        await self.client.connect()
        config = await self.client(functions.help.GetConfigRequest())
        return {"layer": LAYER, "dc": config.this_dc, "dc_options": len(config.dc_options)}

    async def sign_in_with_code(self, client):
        """auth.sendCode, the code, auth.signIn (auth.checkPassword with --password on 2FA)."""
        opts = self.opts
        sent = await client.send_code_request(opts["phone"])
        code = await read_code(opts)
        try:
            return await client.sign_in(opts["phone"], code, phone_code_hash=sent.phone_code_hash), False
        except errors.SessionPasswordNeededError:
            if not opts["password"]:
                raise ValueError("SESSION_PASSWORD_NEEDED and no --password")
            return await client.sign_in(password=opts["password"]), True

    async def step_signin_user(self):
        if not self.opts["phone"]:
            raise ValueError("signin-user needs --phone")
        user, two_fa = await self.sign_in_with_code(self.client)
        return {"user_id": user.id, "bot": bool(user.bot), "two_fa": two_fa}

    async def step_signup_user(self):
        """A new account the way Telethon's start() makes one: send_code_request (auth.sendCode;
        on DC 2 it gets 303 NETWORK_MIGRATE_1, which the client's call follows with _switch_dc(1)
        and the same request again), sign_in with the code (auth.signIn answers
        auth.authorizationSignUpRequired, which Telethon raises as PhoneNumberUnoccupiedError),
        then sign_up (with no terms of service in that answer Telethon calls auth.signIn once more
        first, then auth.signUp). Then get_me must be the new account."""
        opts, client = self.opts, self.client
        if not opts["phone"]:
            raise ValueError("signup-user needs --phone (a number without an account)")
        dc_before = client.session.dc_id
        sent = await client.send_code_request(opts["phone"])
        code = await read_code(opts)
        try:
            user = await client.sign_in(opts["phone"], code, phone_code_hash=sent.phone_code_hash)
            raise ValueError(f"sign_in signed in user {user.id}: the number has an account")
        except errors.PhoneNumberUnoccupiedError:
            pass
        user = await client.sign_up(code, opts["first-name"], phone=opts["phone"],
                                    phone_code_hash=sent.phone_code_hash)
        me = await client.get_me()
        if (me.id != user.id or phone_digits(me.phone) != phone_digits(opts["phone"])
                or me.first_name != opts["first-name"]):
            raise ValueError(f"get_me is {me.id} {me.phone} {me.first_name!r}, signed up {user.id} "
                             f"as {opts['phone']} {opts['first-name']!r}")
        return {"user_id": me.id, "phone": me.phone, "first_name": me.first_name,
                "dc_before": dc_before, "dc": client.session.dc_id, "signed_up": True}

    async def step_sendcode_only(self):
        """The sign-up fallback: only send_code_request for a new number, which must follow
        NETWORK_MIGRATE and get a sentCode on the new DC (the code must appear in the code file)."""
        opts, client = self.opts, self.client
        if not opts["phone"]:
            raise ValueError("sendcode-only needs --phone (a number without an account)")
        dc_before = client.session.dc_id
        sent = await client.send_code_request(opts["phone"])
        await read_code(opts)
        return {"phone": phone_digits(opts["phone"]), "dc_before": dc_before,
                "dc": client.session.dc_id, "code_type": type(sent.type).__name__}

    async def step_signin_qr(self):
        """QR login: a second client signs in as --phone with a code; this one runs Telethon's
        qr_login() (auth.exportLoginToken) and QRLogin.wait() (updateLoginToken, then
        exportLoginToken again), and the second one accepts the token of QRLogin.url with
        auth.acceptLoginToken."""
        opts, client = self.opts, self.client
        if not opts["phone"]:
            raise ValueError("signin-qr needs --phone (the account to log in as)")
        self.scanner = self.make_client()
        await self.scanner.connect()
        scanner_user, _ = await self.sign_in_with_code(self.scanner)
        qr = await client.qr_login()
        url = qr.url
        waiting = asyncio.ensure_future(qr.wait())
        await asyncio.sleep(0)  # wait() must be listening before the token is accepted
        try:
            await self.scanner(functions.auth.AcceptLoginTokenRequest(token=token_from_url(url)))
        except Exception as e:
            waiting.cancel()
            raise RuntimeError(f"auth.acceptLoginToken: {error_text(e)}") from e
        two_fa = False
        try:
            user = await waiting
        except errors.SessionPasswordNeededError:
            if not opts["password"]:
                raise ValueError("SESSION_PASSWORD_NEEDED and no --password")
            user = await client.sign_in(password=opts["password"])
            two_fa = True
        me = await client.get_me()
        if me.id != scanner_user.id or user.id != scanner_user.id:
            raise ValueError(f"QR login gave user {user.id} (get_me {me.id}), "
                             f"the scanner is {scanner_user.id}")
        return {"user_id": me.id, "url": url, "two_fa": two_fa}

    async def step_reconnect(self):
        """The runner drops every connection while this waits; then a call that needs the
        signed-in key must get through on a new connection."""
        waited = await await_drop(self.opts)
        t0 = time.monotonic()
        users = await self.client(functions.users.GetUsersRequest([types.InputUserSelf()]))
        if not users or not isinstance(users[0], types.User):
            raise ValueError(f"users.getUsers(self) gave {users!r}")
        return {"user_id": users[0].id, "waited_ms": waited,
                "call_ms": int((time.monotonic() - t0) * 1000)}

    async def step_receive_updates(self):
        """This client (signed in as a user) receives --count messages that a second client,
        signed in as the bot of --bot-token, sends it one after the other; Telethon's own update
        engine (its MessageBox: pts checks, possible-gap timeouts, getDifference, updatesTooLong)
        must deliver each to a NewMessage handler once and in order, whatever fakedc loses on the
        way (--update_gaps, --updates_too_long). With --disconnect-midway this client
        disconnects halfway through (disconnect(); its MessageBox stays), the bot sends a quarter
        of the messages, whose pushes reach no connection and are never sent again, then it
        connects again: only Telethon's gap handling (getDifference) can bring those."""
        opts = self.opts
        if not opts["bot-token"]:
            raise ValueError("receive-updates needs --bot-token (the sender)")
        count = int(opts["count"])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(opts["timeout"]) - 3
        tag = f"{os.getpid()}-{int(time.time() * 1000)}"
        arrived, unique = [], set()
        everything = asyncio.Event()

        async def on_message(event):
            i = update_index(tag, event.message.message)
            if i < 0:
                return
            arrived.append(i)
            unique.add(i)
            if len(unique) >= count:
                everything.set()

        # sign_in already asked updates.getState, so the engine starts from before the first send.
        self.client.add_event_handler(on_message, events.NewMessage())
        self.sender = self.make_client(receive_updates=False)
        await self.sender.connect()
        await self.sender.sign_in(bot_token=opts["bot-token"])
        away = (count // 2, 3 * count // 4) if opts["disconnect-midway"] else None
        t0 = time.monotonic()
        for i in range(count):
            if away and i == away[0]:
                # Idle first: what was sent so far has been handled. Telethon's disconnect()
                # cancels the handlers of updates its MessageBox has already counted, so a
                # message pushed just before it would be lost for good.
                while len(unique) < i and loop.time() < deadline:
                    await asyncio.sleep(0.02)
                await self.client.disconnect()
            if away and i == away[1]:
                await self.client.connect()
            await self.sender.send_message(opts["peer"], update_text(tag, i))
        send_ms = int((time.monotonic() - t0) * 1000)
        try:
            await asyncio.wait_for(everything.wait(), max(0.0, deadline - loop.time()))
        except asyncio.TimeoutError:
            pass  # the audit says what is missing
        all_ms = int((time.monotonic() - t0) * 1000)
        await asyncio.sleep(1)  # late duplicates, if any, have a second to show up
        detail = audit_deliveries(count, arrived)
        detail.update({"send_ms": send_ms, "all_ms": all_ms})
        if away:
            detail["sent_while_away"] = away[1] - away[0]
        if not detail["ok"]:
            raise ValueError("receive-updates " + json.dumps(detail, separators=(",", ":")))
        return detail

    async def step_signin_bot(self):
        if not self.opts["bot-token"]:
            raise ValueError("signin-bot needs --bot-token")
        user = await self.client.sign_in(bot_token=self.opts["bot-token"])
        return {"user_id": user.id, "bot": bool(user.bot)}

    async def step_send_and_get(self):
        peer, text = self.opts["peer"], self.text()
        sent = await self.client.send_message(peer, text)
        got = await self.client.get_messages(peer, ids=[sent.id])
        if not got or got[0] is None:
            raise LookupError(f"message {sent.id} not found by getMessages")
        if got[0].id != sent.id or got[0].message != text:
            raise ValueError(f"read back {got[0].id} {got[0].message!r}, sent {sent.id} {text!r}")
        return {"peer": peer, "message_id": sent.id}

    async def step_members(self):
        if not self.opts["channel"]:
            raise ValueError("members needs --channel")
        users = await self.client.get_participants(self.opts["channel"])
        ids = [u.id for u in users]
        least = int(self.opts["min-members"])
        if len(ids) < least:
            raise ValueError(f"{len(ids)} members, expected at least {least}")
        return {"channel": self.opts["channel"], "count": len(ids), "unique": len(set(ids)),
                "total": users.total}

    async def step_file(self):
        peer = self.opts["peer"]
        data = make_file(int(self.opts["file-size"]))
        want = hashlib.sha256(data).hexdigest()
        stream = io.BytesIO(data)
        stream.name = "interop.bin"
        t0 = time.monotonic()
        sent = await self.client.send_file(peer, stream, force_document=True)
        t1 = time.monotonic()
        got = await self.client.get_messages(peer, ids=[sent.id])
        if not got or got[0] is None or got[0].media is None:
            raise LookupError(f"message {sent.id} with the file not found")
        blob = await self.client.download_media(got[0], file=bytes)
        t2 = time.monotonic()
        have = hashlib.sha256(blob).hexdigest()
        if len(blob) != len(data) or have != want:
            raise ValueError(f"downloaded {len(blob)} bytes sha256 {have}, "
                             f"uploaded {len(data)} bytes sha256 {want}")
        return {"size": len(data), "sha256": want, "message_id": sent.id,
                "upload_ms": int((t1 - t0) * 1000), "download_ms": int((t2 - t1) * 1000)}

    def invite_hash(self):
        """The hash of --invite: what follows t.me/+ or joinchat/ (or the whole value)."""
        link = self.opts["invite"]
        if not link:
            raise ValueError("the join-* steps need --invite")
        for marker in ("joinchat/", "+"):
            if marker in link:
                link = link.rsplit(marker, 1)[1]
        return link

    async def check_invite(self, request_needed):
        """messages.checkChatInvite before joining: a chatInvite of a supergroup with the title of
        --chat-title, asking for approval or not as expected."""
        shown = await self.client(functions.messages.CheckChatInviteRequest(self.invite_hash()))
        if not isinstance(shown, types.ChatInvite):
            raise ValueError(f"checkChatInvite before joining gave {type(shown).__name__}")
        title = self.opts["chat-title"]
        if (not shown.megagroup or bool(shown.request_needed) != request_needed
                or (title and shown.title != title)):
            raise ValueError(f"checkChatInvite shows {shown.title!r} megagroup={shown.megagroup} "
                             f"request_needed={shown.request_needed}")
        return shown

    async def verify_member(self, channel):
        """This user is a member of `channel`, as three calls see it: checkChatInvite answers
        chatInviteAlready with the channel, getDialogs lists it, and channels.getParticipants
        has the user."""
        me = await self.client.get_me()
        already = await self.client(functions.messages.CheckChatInviteRequest(self.invite_hash()))
        if not isinstance(already, types.ChatInviteAlready) or already.chat.id != channel.id:
            raise ValueError(f"checkChatInvite of a member gave {already!r}")
        if already.chat.left:
            raise ValueError("checkChatInvite's channel says the user left")
        dialog_ids = [d.entity.id async for d in self.client.iter_dialogs()]
        if channel.id not in dialog_ids:
            raise ValueError(f"channel {channel.id} is not among the dialogs {dialog_ids}")
        participants = await self.client.get_participants(already.chat)
        ids = [u.id for u in participants]
        if me.id not in ids:
            raise ValueError(f"user {me.id} is not among the participants {ids}")
        return {"user_id": me.id, "channel_id": channel.id, "title": already.chat.title,
                "participants": len(ids), "dialogs": len(dialog_ids)}

    async def step_join_request(self):
        """A link that needs approval: checkChatInvite shows it so, importChatInvite must raise
        INVITE_REQUEST_SENT, and the user is no member yet."""
        shown = await self.check_invite(request_needed=True)
        try:
            result = await self.client(functions.messages.ImportChatInviteRequest(
                self.invite_hash()))
            raise ValueError(f"importChatInvite joined without approval: {type(result).__name__}")
        except errors.InviteRequestSentError:
            pass
        again = await self.client(functions.messages.CheckChatInviteRequest(self.invite_hash()))
        if not isinstance(again, types.ChatInvite):
            raise ValueError(f"a pending request made the user a member ({type(again).__name__})")
        me = await self.client.get_me()
        return {"user_id": me.id, "title": shown.title, "participants": shown.participants_count,
                "error": "INVITE_REQUEST_SENT"}

    async def step_join_approved(self):
        """After an admin approved the request (the runner creates <sync-dir>/approved then):
        the user is a member."""
        directory = self.opts["sync-dir"]
        if directory:
            while not os.path.exists(os.path.join(directory, "approved")):
                await asyncio.sleep(0.05)
        already = await self.client(functions.messages.CheckChatInviteRequest(self.invite_hash()))
        if not isinstance(already, types.ChatInviteAlready):
            raise ValueError(f"not a member after approval: checkChatInvite gave "
                             f"{type(already).__name__}")
        return await self.verify_member(already.chat)

    async def step_join_link(self):
        """A link with no approval: importChatInvite joins at once; its Updates carry the
        channel, and the user is a member."""
        await self.check_invite(request_needed=False)
        updates = await self.client(functions.messages.ImportChatInviteRequest(self.invite_hash()))
        channels = [c for c in getattr(updates, "chats", []) if isinstance(c, types.Channel)]
        if len(channels) != 1:
            raise ValueError(f"importChatInvite's {type(updates).__name__} has chats "
                             f"{getattr(updates, 'chats', None)!r}")
        try:
            await self.client(functions.messages.ImportChatInviteRequest(self.invite_hash()))
            raise ValueError("a second importChatInvite joined again")
        except errors.UserAlreadyParticipantError:
            pass
        return await self.verify_member(channels[0])

    async def run(self):
        code = 0
        for step in self.opts["steps"]:
            limit = float(self.opts["timeout"]) * (5 if step == "file" else 1)
            started = time.monotonic()
            fn = getattr(self, "step_" + step.replace("-", "_"))
            try:
                detail = await asyncio.wait_for(fn(), limit)
                detail["ms"] = int((time.monotonic() - started) * 1000)
                emit(self.opts["transport"], step, True, detail)
            except asyncio.TimeoutError:
                emit(self.opts["transport"], step, False, f"timed out after {limit:g} s")
                code = 1
                break
            except Exception as e:  # noqa: BLE001 - every failure is reported as the step's result
                emit(self.opts["transport"], step, False, error_text(e))
                code = 1
                break
        for client in (self.client, self.scanner, self.sender):
            try:
                if client is not None:
                    await asyncio.wait_for(client.disconnect(), 3)
            except Exception:  # noqa: BLE001 - the run's result is already out
                pass
        return code


def main():
    opts = parse_options()
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if opts["verbose"] else logging.ERROR,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def run():
        return await Driver(opts).run()

    code = asyncio.run(run())
    sys.stdout.flush()
    os._exit(code)  # do not wait for Telethon's background tasks


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Telethon's side of the session import test (Debian python3-telethon; run with /usr/bin/python3).

  signin   signs in to fakedc with a code over Telethon's default transport (TCP full), then
           prints the library's own StringSession: `StringSession.save(client.session)`.
  connect  only the key exchange (and help.getConfig): a key that no user is signed in on, saved
           the same way.
  load     starts Telethon from a session string (one tgrpcd exported), calls get_me() and, with
           --message-id, reads that message from saved messages.

Prints one JSON line on stdout: {"ok": true, "user_id": ..., "session": ..., ...} or
{"ok": false, "error": "..."}; exit status 0 only when ok. Library logs go to stderr.

  /usr/bin/python3 telethon_session.py --mode signin --dcs '{"1":["127.0.0.1",p1],...}' \\
      --rsa-key fakedc.pem --phone +15550000001 --code-file DIR/codes/{phone}
  /usr/bin/python3 telethon_session.py --mode load --dcs ... --rsa-key fakedc.pem --session 1Ab...
"""
import argparse
import asyncio
import json
import logging
import os
import sys

API_ID = 17349
API_HASH = "344583e45741c457fe1862106095a5eb"


def digits(phone):
    return "".join(c for c in str(phone or "") if c.isdigit())


async def read_code(path_template, phone, timeout=20):
    path = path_template.replace("{phone}", digits(phone))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                text = f.read().strip()
            if text:
                return text
        await asyncio.sleep(0.05)
    raise TimeoutError(f"no code in {path} after {timeout} s")


async def run(args):
    from telethon import TelegramClient
    from telethon.crypto import rsa
    from telethon.sessions import StringSession

    rsa.add_key(open(args.rsa_key, encoding="ascii").read(), old=False)
    dcs = {int(k): (str(v[0]), int(v[1])) for k, v in json.loads(args.dcs).items()}
    if args.mode == "load":
        session = StringSession(args.session)
    else:
        session = StringSession()
        host, port = dcs[args.dc]
        # Set before the client is made: Telethon puts Telegram's DC 2 in a session without one.
        session.set_dc(args.dc, host, port)
    client = TelegramClient(session, API_ID, API_HASH, receive_updates=False,
                            connection_retries=3, retry_delay=0.5)
    out = {"ok": True}
    try:
        await client.connect()
        if args.mode == "connect":
            from telethon import functions
            await client(functions.help.GetConfigRequest())
        elif args.mode == "signin":
            # A code left by an earlier sendCode for this number must not be read as this one's.
            path = args.code_file.replace("{phone}", digits(args.phone))
            if os.path.exists(path):
                os.unlink(path)
            sent = await client.send_code_request(args.phone)
            code = await read_code(args.code_file, args.phone)
            await client.sign_in(args.phone, code, phone_code_hash=sent.phone_code_hash)
        if args.mode in ("signin", "load"):
            me = await client.get_me()
            if me is None:
                raise RuntimeError("get_me() returned None: the session is not signed in")
            out.update(user_id=me.id, phone=me.phone, first_name=me.first_name,
                       username=me.username)
        if args.mode == "load" and args.message_id:
            got = await client.get_messages("me", ids=[int(args.message_id)])
            message = got[0] if got else None
            out["message"] = None if message is None else {"id": message.id,
                                                           "text": message.message,
                                                           "out": bool(message.out)}
        out["dc"] = client.session.dc_id
        out["server"] = [client.session.server_address, client.session.port]
        # The library's own export, as its docs show it.
        out["session"] = StringSession.save(client.session)
    finally:
        try:
            await asyncio.wait_for(client.disconnect(), 3)
        except Exception:  # noqa: BLE001 - the result is already known
            pass
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["signin", "connect", "load"], required=True)
    parser.add_argument("--dcs", required=True, help='{"1":["127.0.0.1",port],...}')
    parser.add_argument("--dc", type=int, default=2, help="signin/connect: the DC to start on")
    parser.add_argument("--rsa-key", required=True, help="fakedc's public key (PKCS#1 PEM)")
    parser.add_argument("--phone")
    parser.add_argument("--code-file", help="signin: where fakedc writes the code ({phone})")
    parser.add_argument("--session", help="load: the session string")
    parser.add_argument("--message-id", help="load: read this message of saved messages")
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if args.verbose else logging.ERROR)
    try:
        out = asyncio.run(asyncio.wait_for(run(args), args.timeout))
    except asyncio.TimeoutError:
        out = {"ok": False, "error": f"timed out after {args.timeout:g} s"}
    except Exception as e:  # noqa: BLE001 - reported as the result
        out = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    print(json.dumps(out), flush=True)
    os._exit(0 if out["ok"] else 1)  # do not wait for Telethon's background tasks


if __name__ == "__main__":
    main()

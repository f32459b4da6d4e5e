#!/usr/bin/python3
"""End to end: Telegram libraries' own session strings move into tgrpcd, and back out.

Builds fakedc, tgrpcd and the API's descriptor set (unless --bazel-bin names a tree that has them),
starts fakedc on 127.0.0.1 (low ports: GramJS's StringSession stores the port with writeInt16BE,
so a port above 32767 cannot be saved) and tgrpcd against it (sandbox DCs, fakedc's public key,
a fresh token, temporary state directories). Then for each client below:

  signin          the library signs in to fakedc with a code over its default transport (TCP
                  full for both), exports its StringSession with its own API (Telethon
                  `StringSession.save(client.session)`, GramJS `client.session.save()`) and stops
  import          AccountService.ImportSession with that string: a SIGNED_IN user account, the
                  library's user, on the string's DC
  getme           UserService.GetMe as the new account: the same user (id, phone, first name)
  send            MessageService.SendMessage to accounts/<a>/chats/me, then GetMessages reads it back
  export-telethon ExportSession(format=TELETHON): the same DC and key as the library's string, and
                  Telethon started from it calls get_me() (the same user) and reads the message
                  tgrpcd sent
  export-gramjs   ExportSession(format=GRAMJS): the same with GramJS (getMe, getMessages)

  telethon      alice (+15550000001, DC 2); the string imported with format TELETHON
  gramjs        bob (+15550000002, DC 2); imported with format unset (tgrpcd detects GramJS)
  telethon-dc1  dave (+15550000004, home DC 1: Telethon follows PHONE_MIGRATE_1, so its string
                names DC 1 and DC 1's key); imported with format unset

and two strings that must not make an account (the account list is the same after the call):

  telethon not-signed-in  a Telethon string whose key went through the key exchange but was never
                          signed in
  telethon unknown-key    alice's Telethon string with 256 random bytes for the key
  gramjs wrong-format     bob's GramJS string imported with format TELETHON

Prints one line per check, `session_import <client> <check> PASSED|FAILED[: detail]`, then a
count; exits 1 if any check failed. Helpers: telethon_session.py (Debian python3-telethon, run with
/usr/bin/python3) and gramjs_session.mjs (npm `telegram` from tests/interop/node_modules).

  /usr/bin/python3 tests/session_import/run_session_import.py [--bazel-bin DIR] [--keep]
"""
import argparse
import base64
import ipaddress
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
from ready_process import Process  # noqa: E402

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
RSA_KEY = os.path.join(ROOT, "mtproto", "crypto", "testdata", "test_rsa_key.pem")
HELPER_TIMEOUT = 40

# (client, library, phone, ImportSession's format)
CLIENTS = [
    ("telethon", "telethon", "+15550000001", "TELETHON"),
    ("gramjs", "gramjs", "+15550000002", "SESSION_FORMAT_UNSPECIFIED"),
    ("telethon-dc1", "telethon", "+15550000004", "SESSION_FORMAT_UNSPECIFIED"),
]
CHECKS = ["signin", "import", "getme", "send", "export-telethon", "export-gramjs"]
# Strings that must not make an account, by client.
NEGATIVE = {"telethon": ["not-signed-in", "unknown-key"], "gramjs": ["wrong-format"]}


def log(message):
    print(f"session_import: {message}", file=sys.stderr, flush=True)


class Failure(Exception):
    pass


def expect(condition, what):
    if not condition:
        raise Failure(what)


def digits(phone):
    return "".join(c for c in str(phone or "") if c.isdigit())


def build(bazel_bin):
    if bazel_bin:
        return bazel_bin
    targets = ["//tests/fakedc:fakedc", "//service:tgrpcd", "//proto:tgrpc_v1_descriptor_set"]
    log("bazel build " + " ".join(targets))
    subprocess.run(["bazel", "build", *targets], cwd=ROOT, check=True)
    # The convenience symlink the build just pointed at its output (`bazel info bazel-bin` would
    # wait for the server lock again).
    link = os.path.join(ROOT, "bazel-bin")
    if os.path.isdir(link):
        return os.path.realpath(link)
    return subprocess.run(["bazel", "info", "bazel-bin"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()


def free_low_ports(count):
    """`count` consecutive ports in 20000-32000 that can be bound now (GramJS saves a port as a
    signed 16-bit number)."""
    for _ in range(200):
        base = random.randrange(20000, 32000 - count)
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return list(range(base, base + count))
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free ports below 32768")


def start_fakedc(fakedc_bin, work):
    """fakedc on low ports (DC 1, 2, 3 and the media endpoint); another set if one was taken."""
    last = None
    for attempt in range(5):
        ports = free_low_ports(4)
        fakedc = Process("fakedc", [
            fakedc_bin, "--address=127.0.0.1", "--ports=" + ",".join(map(str, ports)),
            f"--rsa_key={RSA_KEY}", f"--state_dir={work}/fakedc",
            f"--public_key_out={work}/fakedc.pem", f"--schema_dir={ROOT}/tl/schema",
            "--members=10", "--verbose"], f"{work}/fakedc-{attempt}.log", cwd=ROOT)
        try:
            ready = fakedc.ready_json(timeout=30)
        except RuntimeError as error:  # e.g. a port taken between the probe and the bind
            fakedc.stop()
            last = error
            continue
        high = [e["port"] for e in ready["endpoints"] if e["port"] > 32767]
        if high:
            fakedc.stop()
            raise RuntimeError(f"fakedc listens on {high}, above GramJS's 32767")
        return fakedc, ready
    raise RuntimeError(f"fakedc did not start on low ports: {last}")


def load_api(path):
    """Message classes and stubs built at run time from the descriptor set."""
    with open(path, "rb") as f:
        file_set = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file_proto in file_set.file:  # --include_imports lists dependencies first
        pool.Add(file_proto)
    if hasattr(message_factory, "GetMessageClass"):
        get_class = message_factory.GetMessageClass
    else:  # protobuf < 4.22 (Debian 12 has python3-protobuf 3.21)
        get_class = message_factory.MessageFactory(pool).GetPrototype

    def message(name):
        return get_class(pool.FindMessageTypeByName(name))

    def stub(service, channel):
        descriptor = pool.FindServiceByName("tgrpc.v1." + service)
        methods = {}
        for method in descriptor.methods:
            request, response = message(method.input_type.full_name), message(
                method.output_type.full_name)
            methods[method.name] = channel.unary_unary(
                f"/{descriptor.full_name}/{method.name}",
                request_serializer=request.SerializeToString,
                response_deserializer=response.FromString)
        return type(service, (), methods)

    class Enum:
        """Value("NAME") and Name(number) of an enum of the pool."""

        def __init__(self, full_name):
            self.descriptor = pool.FindEnumTypeByName(full_name)

        def Value(self, name):
            return self.descriptor.values_by_name[name].number

        def Name(self, number):
            value = self.descriptor.values_by_number.get(number)
            return value.name if value else str(number)

    return message, stub, Enum


def decode_session(text):
    """dc id, address, port and key of a Telethon or GramJS StringSession ("1" + base64 of
    dc:u8 | address | port:u16 BE | key:256; Telethon's base64 is URL-safe, GramJS's standard)."""
    expect(text.startswith("1"), f"not a version-1 StringSession: {text[:12]!r}...")
    body = text[1:].replace("-", "+").replace("_", "/")
    raw = base64.b64decode(body + "=" * (-len(body) % 4))
    expect(len(raw) > 259, f"{len(raw)} bytes")
    address = raw[1:-258]
    if len(address) >= 2 and int.from_bytes(address[:2], "big") == len(address) - 2:
        host = address[2:].decode(errors="replace")  # GramJS: u16 length + the address as text
    else:
        host = str(ipaddress.ip_address(address))  # Telethon: 4 or 16 bytes
    return {"dc": raw[0], "address": address, "host": host,
            "port": int.from_bytes(raw[-258:-256], "big"), "key": raw[-256:]}


def run_helper(library, work, dcs_json, *args):
    if library == "telethon":
        argv = [PYTHON, os.path.join(HERE, "telethon_session.py")]
    else:
        argv = ["node", os.path.join(HERE, "gramjs_session.mjs")]
    argv += ["--dcs", dcs_json, "--rsa-key", f"{work}/fakedc.pem", "--timeout",
             str(HELPER_TIMEOUT - 5), *args]
    try:
        run = subprocess.run(argv, cwd=HERE, capture_output=True, text=True,
                             timeout=HELPER_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure(f"{library} helper timed out after {HELPER_TIMEOUT} s")
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise Failure(f"{library} helper exited {run.returncode} without a result; stderr ends: "
                      + " | ".join(run.stderr.strip().splitlines()[-5:]))
    out = json.loads(lines[-1])
    if not out.get("ok"):
        raise Failure(f"{library}: {out.get('error')}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bazel-bin", help="bazel-bin with fakedc, tgrpcd and the descriptor set "
                        "already built (default: build them)")
    parser.add_argument("--keep", action="store_true", help="keep the state directory")
    args = parser.parse_args()
    start = time.monotonic()

    bazel_bin = build(args.bazel_bin)
    fakedc_bin = os.path.join(bazel_bin, "tests", "fakedc", "fakedc")
    tgrpcd_bin = os.path.join(bazel_bin, "service", "tgrpcd")
    descriptor_set = os.path.join(bazel_bin, "proto", "tgrpc_v1.binpb")

    work = tempfile.mkdtemp(prefix="tgrpc-session-import-")
    results = []  # (client, check, passed)
    fakedc = tgrpcd = None

    def report(client, check, passed, detail=""):
        results.append((client, check, passed))
        line = f"session_import {client} {check} {'PASSED' if passed else 'FAILED'}"
        print(line + (f": {detail}" if detail else ""), flush=True)

    try:
        fakedc, ready = start_fakedc(fakedc_bin, work)
        main_dcs = [e for e in ready["endpoints"] if not e["media_only"]]
        dcs = ",".join(f"{e['dc']}={ready['address']}:{e['port']}" for e in main_dcs)
        dcs_json = json.dumps({str(e["dc"]): [ready["address"], e["port"]] for e in main_dcs})
        token = secrets.token_hex(16)
        tgrpcd = Process("tgrpcd", [
            tgrpcd_bin, "--telegram=sandbox", f"--sandbox_dcs={dcs}",
            f"--sandbox_public_key={work}/fakedc.pem", "--api_id=1", "--api_hash=session-import",
            f"--state_dir={work}/tgrpcd", f"--token=session-import:{token}",
            "--listen=127.0.0.1:0", "--metrics_listen="], f"{work}/tgrpcd.log", cwd=ROOT)
        target = f"127.0.0.1:{tgrpcd.ready_json()['grpc_port']}"
        log(f"fakedc {dcs}, tgrpcd {target} ({time.monotonic() - start:.1f} s)")
    except Exception as error:  # noqa: BLE001 - a setup failure fails the run
        report("setup", "setup", False, str(error))
        for p in (tgrpcd, fakedc):
            if p is not None:
                p.stop()
                log(f"{p.name}'s log ends ({p.log_path}):\n{p.tail()}")
        log(f"state kept in {work}")
        return 1

    message, stub, enum = load_api(descriptor_set)
    Format = enum("tgrpc.v1.SessionFormat")
    State = enum("tgrpc.v1.Account.State")
    Kind = enum("tgrpc.v1.Account.Kind")
    channel = grpc.insecure_channel(target)
    accounts = stub("AccountService", channel)
    users = stub("UserService", channel)
    messages = stub("MessageService", channel)

    def call(method, request):
        return method(request, metadata=[("authorization", f"Bearer {token}")], timeout=30)

    def account_names():
        return sorted(a.name for a in call(accounts.ListAccounts,
                                           message("tgrpc.v1.ListAccountsRequest")(
                                               page_size=1000)).accounts)

    def import_rejected(session_string, fmt="SESSION_FORMAT_UNSPECIFIED"):
        """ImportSession must fail and leave the account list as it was."""
        before = account_names()
        try:
            response = call(accounts.ImportSession, message("tgrpc.v1.ImportSessionRequest")(
                session_string=session_string, format=Format.Value(fmt)))
        except grpc.RpcError as error:
            after = account_names()
            expect(after == before, f"rejected ({error.code().name}) but the accounts went from "
                   f"{before} to {after}")
            return f"{error.code().name}: {error.details()}; no account left"
        raise Failure(f"imported as {response.name} ({State.Name(response.state)}, user "
                      f"{response.user.id})")

    try:
        for client, library, phone, import_format in CLIENTS:
            state = {}  # what each check leaves for the next ones

            def signin():
                out = run_helper(library, work, dcs_json, "--mode", "signin", "--phone", phone,
                                 "--code-file", f"{work}/fakedc/codes/{{phone}}")
                state["lib"] = out
                session = decode_session(out["session"])
                expect(session["dc"] == out["dc"], f"the string's DC {session['dc']}, the "
                       f"library's {out['dc']}")
                return (f"user {out['user_id']} {out['first_name']} on DC {out['dc']}, "
                        f"{len(out['session'])}-character string")

            def import_():
                lib = state["lib"]
                request = message("tgrpc.v1.ImportSessionRequest")(
                    account_id=f"imported-{client}", format=Format.Value(import_format),
                    session_string=lib["session"], display_name=f"{library} {phone}")
                response = call(accounts.ImportSession, request)
                state["account"] = response.name
                expect(response.name == f"accounts/imported-{client}", f"name {response.name}")
                expect(response.state == State.Value("SIGNED_IN"),
                       f"state {State.Name(response.state)}")
                expect(response.kind == Kind.Value("USER"),
                       f"kind {Kind.Name(response.kind)}")
                expect(response.user.id == lib["user_id"],
                       f"user {response.user.id}, the library's {lib['user_id']}")
                expect(response.home_dc == lib["dc"],
                       f"home_dc {response.home_dc}, the string's {lib['dc']}")
                expect(digits(response.phone_number) == digits(phone),
                       f"phone_number {response.phone_number!r}")
                got = call(accounts.GetAccount, message("tgrpc.v1.GetAccountRequest")(
                    name=response.name))
                expect(got.state == State.Value("SIGNED_IN"),
                       f"GetAccount: state {State.Name(got.state)}")
                return (f"{response.name} SIGNED_IN as user {response.user.id}, home DC "
                        f"{response.home_dc} (format {import_format})")

            def getme():
                lib = state["lib"]
                me = call(users.GetMe, message("tgrpc.v1.GetMeRequest")(account=state["account"]))
                expect(me.id == lib["user_id"], f"id {me.id}, the library's {lib['user_id']}")
                expect(me.is_self, "is_self false")
                expect(me.first_name == lib["first_name"],
                       f"first_name {me.first_name!r}, the library's {lib['first_name']!r}")
                expect(digits(me.phone_number) == digits(phone), f"phone {me.phone_number!r}")
                return (f"{me.name} {me.first_name}" + (f" @{me.username}" if me.username else "")
                        + f" +{digits(me.phone_number)}")

            def send():
                text = f"session_import {client} {secrets.token_hex(6)}"
                parent = f"{state['account']}/chats/me"
                sent = call(messages.SendMessage, message("tgrpc.v1.SendMessageRequest")(
                    parent=parent, text=text))
                expect(sent.id > 0 and sent.text == text, f"sent {sent.id} {sent.text!r}")
                got = call(messages.GetMessages, message("tgrpc.v1.GetMessagesRequest")(
                    parent=parent, ids=[sent.id]))
                expect(len(got.messages) == 1 and got.messages[0].text == text,
                       f"GetMessages: {[m.text for m in got.messages]} missing {list(got.missing)}")
                state["message"] = (sent.id, text)
                return f"{parent} message {sent.id} ({sent.name}), read back"

            def export(fmt, loader):
                def check():
                    lib = state["lib"]
                    response = call(accounts.ExportSession, message(
                        "tgrpc.v1.ExportSessionRequest")(name=state["account"],
                                                          format=Format.Value(fmt)))
                    expect(response.format == Format.Value(fmt),
                           f"format {Format.Name(response.format)}")
                    theirs, ours = decode_session(lib["session"]), decode_session(
                        response.session_string)
                    expect(ours["key"] == theirs["key"], "not the imported key")
                    expect(ours["dc"] == theirs["dc"], f"DC {ours['dc']}, imported {theirs['dc']}")
                    same = response.session_string == lib["session"]
                    message_id, text = state.get("message", (0, None))
                    out = run_helper(loader, work, dcs_json, "--mode", "load", "--session",
                                     response.session_string,
                                     *(["--message-id", str(message_id)] if message_id else []))
                    expect(out["user_id"] == lib["user_id"],
                           f"{loader}'s get_me: user {out['user_id']}, expected {lib['user_id']}")
                    read = ""
                    if message_id:
                        got = out.get("message")
                        expect(got is not None and got["text"] == text,
                               f"{loader} read message {message_id} as {got}, tgrpcd sent {text!r}")
                        read = f", read message {message_id}"
                    return (f"{loader} loaded it (DC {out['dc']}, "
                            f"{ours['host']}:{ours['port']}): "
                            f"get_me user {out['user_id']}{read}; "
                            + ("identical to the library's string" if same and loader == library
                               else "same DC and key as the library's string"))
                return check

            steps = [("signin", signin), ("import", import_), ("getme", getme), ("send", send),
                     ("export-telethon", export("TELETHON", "telethon")),
                     ("export-gramjs", export("GRAMJS", "gramjs"))]
            needs = {"signin": None, "import": "signin", "getme": "import", "send": "import",
                     "export-telethon": "import", "export-gramjs": "import"}
            passed = set()
            for check, body in steps:
                if needs[check] and needs[check] not in passed:
                    report(client, check, False, f"not run: {needs[check]} failed")
                    continue
                began = time.monotonic()
                try:
                    detail = body()
                    passed.add(check)
                    report(client, check, True, f"{detail} ({time.monotonic() - began:.1f} s)")
                except grpc.RpcError as error:
                    report(client, check, False, f"{error.code().name}: {error.details()}")
                except Exception as error:  # noqa: BLE001 - every failure is the check's
                    text = str(error) if isinstance(error, Failure) else \
                        f"{type(error).__name__}: {error}"
                    report(client, check, False, text)

            lib_session = state.get("lib", {}).get("session")
            for check in NEGATIVE.get(client, []):
                began = time.monotonic()
                try:
                    if check == "not-signed-in":
                        out = run_helper("telethon", work, dcs_json, "--mode", "connect")
                        detail = import_rejected(out["session"])
                    elif check == "unknown-key":
                        expect(lib_session, "no Telethon string (signin failed)")
                        raw = decode_session(lib_session)
                        body = bytes([raw["dc"]]) + raw["address"] + raw["port"].to_bytes(
                            2, "big") + secrets.token_bytes(256)
                        detail = import_rejected("1" + base64.urlsafe_b64encode(body).decode())
                    else:  # wrong-format
                        expect(lib_session, "no GramJS string (signin failed)")
                        detail = import_rejected(lib_session, "TELETHON")
                    report(client, check, True, f"{detail} ({time.monotonic() - began:.1f} s)")
                except grpc.RpcError as error:
                    report(client, check, False, f"{error.code().name}: {error.details()}")
                except Exception as error:  # noqa: BLE001
                    text = str(error) if isinstance(error, Failure) else \
                        f"{type(error).__name__}: {error}"
                    report(client, check, False, text)
    finally:
        channel.close()
        rc = tgrpcd.stop()
        if rc not in (0, None):
            log(f"tgrpcd exited {rc}")
        fakedc.stop()

    failed = [r for r in results if not r[2]]
    if failed:
        for p in (tgrpcd, fakedc):
            log(f"{p.name}'s log ends ({p.log_path}):\n{p.tail()}")
    log(f"{len(results) - len(failed)} passed, {len(failed)} failed in "
        f"{time.monotonic() - start:.1f} s")
    if args.keep or failed:
        log(f"state kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

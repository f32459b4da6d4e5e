#!/usr/bin/python3
"""Runs the independent clients (mtcute, GramJS, Telethon) against one fakedc, over every
transport each of them has that fakedc serves, and prints a result matrix.

For each client and transport:
  user  connect, signin-user (alice, code read from fakedc's code file), send-and-get, members (the
        seeded channel, every member), file (upload and download, byte-exact by SHA-256)
  bot   connect, signin-bot, send-and-get (to alice)
and, on each client's default transport,
  2fa       connect, signin-user as carol with her password (SRP)
  migrate   connect to DC 2, signin-user as dave, whose home is DC 1 (PHONE_MIGRATE_1: the client
            moves to DC 1), send-and-get there
  file-dc1  against a second fakedc started with --files_dc=1 --media_dc=1: connect, signin-user
            (alice, DC 2), file: the document lives on DC 1, so the download needs the
            authorization exported from DC 2 and imported on DC 1 (and FILE_MIGRATE_1 where the
            client asks DC 2 first)
  qr        connect, signin-qr: a second client of the same library signs in as bob with a code,
            the first runs the library's QR login and the second accepts its token with
            auth.acceptLoginToken; the first must be bob (getMe); then send-and-get
  qr-dc1    the same as dave, whose home is DC 1: the token exported on DC 2 is answered with
            auth.loginTokenMigrateTo(DC 1) and the client imports it there (auth.importLoginToken)
  network   against a fakedc of its own per run started with --network_dc=1 (auth.sendCode for a
            number without an account is 303 NETWORK_MIGRATE_1 away from DC 1): connect to DC 2,
            signup-user (a new number per client, through the library's own flow: sendCode,
            NETWORK_MIGRATE_1, the library moves to DC 1, sendCode again, the code, auth.signIn
            answers authorizationSignUpRequired, auth.signUp; getMe must be the new number),
            send-and-get. mtcute 0.30.3 refuses sign-up (SIGNUP_REFUSED), so its run is connect,
            sendcode-only (the library's sendCode must follow NETWORK_MIGRATE_1 and get the code on
            DC 1). The run passes only if fakedc's log shows the NETWORK_MIGRATE_1 on DC 2, then
            auth.sendCode answered on DC 1 and (signing up) auth.signUp answered on DC 1, and the
            step reports the library's main DC as 1.
  faults    against a fakedc of its own started with FAULT_FLAGS (bad_server_salt, answers held
            50 ms, every connection closed after its 5th packet): connect, signin-bot,
            send-and-get (to alice), reconnect (the driver waits while the runner sends fakedc
            SIGUSR1, which drops every connection, then calls users.getUsers(self)),
            send-and-get. The run passes only if fakedc's log shows each fault injected and a
            connection made after the SIGUSR1 drop.
  updates-gaps, updates-too-long, updates-reconnect
            (clients with an update engine: mtcute, Telethon) against a fakedc of its own:
            connect, signin-user as alice, receive-updates: a second client of the same library,
            signed in as the bot, sends alice UPDATES_COUNT messages one after the other, and the
            library's own update engine must hand each to alice's new-message handler once and in
            order. fakedc loses the first UPDATE_GAPS pushes (--update_gaps), or sends
            updatesTooLong for the first UPDATES_TOO_LONG (--updates_too_long), or (reconnect)
            alice's client disconnects halfway through while the bot sends a quarter of the
            messages (their pushes reach no connection and are never sent again), then connects
            again. The run passes only if the counts are right, fakedc's log shows each fault hit
            alice's pushes, and it answered updates.getDifference.

Usage: tests/interop/run_interop.py [--fakedc bazel-bin/tests/fakedc/fakedc] [--clients a,b]
         [--transports default|all]
         [--scenarios user,bot,2fa,migrate,file-dc1,qr,qr-dc1,network,faults,updates-gaps,
                      updates-too-long,updates-reconnect]
         [--fault-flags "--bad_salt_packets=3 ..."] [--members 10000] [--file-size BYTES]
         [--updates-count 100]
         [--report FILE] [--keep]
Prints `interop <client> <transport> <scenario> PASSED|FAILED ...` per run (tests/run_all.sh counts
them), then a table. Exit status 0 only if every run passed. Hermetic: fakedc binds 127.0.0.1 on
ports the kernel picks; the drivers reach nothing else.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

CLIENTS = {
    "mtcute": ["node", os.path.join(HERE, "mtcute_client.mjs")],
    "gramjs": ["node", os.path.join(HERE, "gramjs_client.mjs")],
    # Debian's interpreter: the one that sees python3-telethon.
    "telethon": ["/usr/bin/python3", os.path.join(HERE, "telethon_client.py")],
}

# Transports the drivers know that fakedc does not serve: it speaks MTProto over TCP with the
# framings in ../../docs (abridged, intermediate, padded, full; plain, obfuscated2 or MTProxy dd),
# HTTP (POST /api), WebSocket (GET /apiws) and MTProxy's fake-TLS (ee secret). Any listed here
# are reported as not run, never as passed.
NOT_SERVED = {}

MTPROXY_SECRET = "0123456789abcdef0123456789abcdef"
# The ee secret fakedc also takes (`ee` + key + domain in hex), for the mtproxy-faketls transport: a
# key of its own, so that a run passes only if fakedc keyed both the fake-TLS handshake and the
# obfuscated2 inside it with the ee secret's key.
FAKE_TLS_TRANSPORT = "mtproxy-faketls"
FAKE_TLS_SECRET = "00112233445566778899aabbccddeeff"
FAKE_TLS_DOMAIN = "example.com"
FAKE_TLS_EE_SECRET = "ee" + FAKE_TLS_SECRET + FAKE_TLS_DOMAIN.encode().hex()
RSA_KEY = os.path.join(ROOT, "mtproto/crypto/testdata/test_rsa_key.pem")
BOT_TOKEN = "1000000:AAFakeDcBotTokenForTests"
ALICE = "+15550000001"
BOB = "+15550000002"
CAROL = "+15550000003"
DAVE = "+15550000004"  # home DC 1
CAROL_PASSWORD = "correct horse"

SCENARIOS = ["user", "bot", "2fa", "migrate", "file-dc1", "qr", "qr-dc1", "network", "faults",
             "updates-gaps", "updates-too-long", "updates-reconnect"]

# The update scenarios: a fakedc of its own per run, with these flags; alice receives the bot's
# messages through her library's update engine (the receive-updates step).
UPDATES_COUNT = 100
UPDATE_GAPS = 10
UPDATES_TOO_LONG = 5
UPDATE_SCENARIOS = {
    "updates-gaps": [f"--update_gaps={UPDATE_GAPS}"],
    "updates-too-long": [f"--updates_too_long={UPDATES_TOO_LONG}"],
    "updates-reconnect": [],  # the driver's --disconnect-midway
}
# Clients whose library has no update engine to test: their update runs are listed as not run.
NO_UPDATE_ENGINE = {
    # telegram/client/updates.js: catchUp() is an empty TODO, _handleUpdate dispatches each update
    # as it arrives with no pts / seq check, and nothing in the client calls updates.getDifference
    # (or getState but to keep the connection alive), so a lost update is lost for it.
    "gramjs": "GramJS 2.26.22 has no update engine (no pts checks, never calls "
              "updates.getDifference; catchUp() is a TODO)",
}

# The network scenario: a fakedc of its own per run, where numbers without an account sign up on
# DC 1 (auth.sendCode / signIn for them elsewhere is 303 NETWORK_MIGRATE_1). Each client signs up a
# number of its own (never an account before; one fakedc per run anyway).
NETWORK_DC = 1
NETWORK_PHONES = {"mtcute": "+15557770001", "gramjs": "+15557770002", "telethon": "+15557770003"}
# Clients whose library cannot sign up: their network run calls only the library's sendCode
# (step sendcode-only), which must still follow NETWORK_MIGRATE and get a code on DC 1.
SIGNUP_REFUSED = {
    # @mtcute/core 0.30.3 has no signUp method, and signIn's NetworkManager.notifyLoggedIn throws
    # MtUnsupportedError("Signup is no longer supported by Telegram for non-official clients...")
    # when auth.signIn answers auth.authorizationSignUpRequired (mtcute_client.mjs signup-user).
    "mtcute": "mtcute 0.30.3 refuses sign-up (MtUnsupportedError on authorizationSignUpRequired)",
}

# The faults scenario's fakedc (one per run, so that the counters and drops hit that run only):
# the first 3 encrypted packets get bad_server_salt (a new salt each time), every frame sent back
# is held 50 ms, and every connection is closed right after its DROP_AFTER-th packet (what that
# packet causes is not sent), so the clients reconnect and resend again and again (2 to 9 times
# per run here). The key exchange takes 3 packets on a connection, so DROP_AFTER must be at
# least 4; with 4 an mtcute run took 15 s.
DROP_AFTER = 5
FAULT_FLAGS = f"--bad_salt_packets=3 --delay_ms=50 --drop_after_packets={DROP_AFTER}"
# What fakedc --verbose logs for each injected fault: flag -> (name, log line).
FAULT_LOG = {
    "bad_salt_packets": ("bad_server_salt", "fault: new salt for key"),
    "delay_ms": ("delayed_frames", "fault: delaying"),
    "drop_after_packets": ("drops_after_packets", "fault: dropping the connection after packet"),
}
DROP_LOGGED = "fault: dropping every connection"  # after SIGUSR1
CONNECTION_LOGGED = ": connection from "


def expected_faults(flags):
    """{name: least count in the log} for the faults `flags` turns on (bad_salt_packets=N: N)."""
    out = {}
    for word in flags:
        name, _, value = word.lstrip("-").partition("=")
        if name in FAULT_LOG and value.isdigit() and int(value) > 0:
            out[FAULT_LOG[name][0]] = int(value) if name == "bad_salt_packets" else 1
    return out


def network_evidence(dc, signed_up):
    """What fakedc's log (--verbose: `dcN: <method> -> rpc_error ...` or `dcN: <method> (layer L)
    -> B bytes`) shows of a network run, in order: auth.sendCode on DC 2 answered 303
    NETWORK_MIGRATE_<NETWORK_DC>, then auth.sendCode answered on DC NETWORK_DC, then (signed_up)
    auth.signUp answered there. Returns (counts, problems)."""
    with open(dc.log_path, errors="replace") as f:
        lines = f.read().splitlines()
    migrate = f"fakedc: dc2: auth.sendCode -> rpc_error 303 NETWORK_MIGRATE_{NETWORK_DC}"
    net = f"fakedc: dc{NETWORK_DC}: "
    counts = {"network_migrate": 0, f"dc{NETWORK_DC}_sendCode": 0, f"dc{NETWORK_DC}_signUp": 0,
              "signUp_elsewhere": 0}
    problems = []
    first_migrate = None
    for i, line in enumerate(lines):
        if line == migrate:
            counts["network_migrate"] += 1
            first_migrate = i if first_migrate is None else first_migrate
        elif line.startswith(net + "auth.sendCode (layer ") and first_migrate is not None:
            counts[f"dc{NETWORK_DC}_sendCode"] += 1
        elif ": auth.signUp " in line:
            if line.startswith(net + "auth.signUp (layer ") and counts[f"dc{NETWORK_DC}_sendCode"]:
                counts[f"dc{NETWORK_DC}_signUp"] += 1
            else:
                counts["signUp_elsewhere"] += 1
    if not counts["network_migrate"]:
        problems.append(f"no `{migrate[len('fakedc: '):]}` in fakedc's log")
    if not counts[f"dc{NETWORK_DC}_sendCode"]:
        problems.append(f"no auth.sendCode answered on dc{NETWORK_DC} after NETWORK_MIGRATE")
    if signed_up and not counts[f"dc{NETWORK_DC}_signUp"]:
        problems.append(f"no auth.signUp answered on dc{NETWORK_DC} after its auth.sendCode")
    if counts["signUp_elsewhere"]:
        problems.append(f"{counts['signUp_elsewhere']} auth.signUp elsewhere than on "
                        f"dc{NETWORK_DC} after the migration, or answered with an error")
    return counts, problems


def update_evidence(dc, scenario, user_id):
    """What fakedc's log shows of an update run: the faults that hit pushes to the receiver
    (user_id) and the getDifference calls answered. Returns (counts, problems)."""
    with open(dc.log_path, errors="replace") as f:
        text = f.read()
    counts = {
        "gaps": text.count(f"fault: update for user {user_id} not sent (an update gap)"),
        "too_long": text.count(f"fault: update for user {user_id} sent as updatesTooLong"),
        "getDifference": text.count(": updates.getDifference (layer "),
    }
    problems = []
    if scenario == "updates-gaps" and counts["gaps"] != UPDATE_GAPS:
        problems.append(f"{counts['gaps']} of the receiver's pushes lost, not {UPDATE_GAPS}")
    if scenario == "updates-too-long" and counts["too_long"] != UPDATES_TOO_LONG:
        problems.append(f"{counts['too_long']} of the receiver's pushes sent as updatesTooLong, "
                        f"not {UPDATES_TOO_LONG}")
    if counts["getDifference"] < 1:
        problems.append("no updates.getDifference answered")
    return counts, problems


def log(message):
    print(message, file=sys.stderr, flush=True)


class FakeDc:
    def __init__(self, binary, state_dir, members, verbose_log, extra_flags=()):
        self.log_path = verbose_log
        self.state_dir = state_dir
        os.makedirs(state_dir, exist_ok=True)
        self.stderr = open(verbose_log, "w")
        self.proc = subprocess.Popen(
            [binary, "--verbose", f"--members={members}", f"--rsa_key={RSA_KEY}",
             f"--mtproxy_secret={MTPROXY_SECRET},{FAKE_TLS_EE_SECRET}",
             f"--state_dir={state_dir}",
             f"--schema_dir={os.path.join(ROOT, 'tl/schema')}", *extra_flags],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True, cwd=ROOT)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"fakedc exited before it was ready; log: {verbose_log}\n"
                               + self.tail())
        self.ready = json.loads(line)
        self.main_port = next(e["port"] for e in self.ready["endpoints"]
                              if e["dc"] == 2 and not e["media_only"])
        self.key_path = os.path.join(state_dir, "server_public.pem")
        with open(self.key_path, "w") as f:
            f.write(self.ready["public_key"])

    def alive(self):
        return self.proc.poll() is None

    def tail(self, lines=30):
        self.stderr.flush()
        with open(self.log_path) as f:
            return "".join(f.readlines()[-lines:])

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.stderr.close()


def list_transports(client):
    out = subprocess.run(CLIENTS[client] + ["--list-transports"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    listing = json.loads(out)
    return listing["default"], listing["transports"]


class DropOnReady:
    """The reconnect step's other half: when the driver creates <sync_dir>/ready, send fakedc
    SIGUSR1 (it drops every connection within 100 ms), wait until its log says so (a fakedc that
    does not log it: 1 s), then create <sync_dir>/dropped."""

    def __init__(self, dc, sync_dir):
        self.dc, self.sync_dir = dc, sync_dir
        os.makedirs(sync_dir, exist_ok=True)
        self.signal_offset = None  # fakedc's log size when SIGUSR1 was sent
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.done.set()
        self.thread.join()

    def _watch(self):
        ready = os.path.join(self.sync_dir, "ready")
        while not self.done.is_set() and not os.path.exists(ready):
            time.sleep(0.05)
        if self.done.is_set() or not self.dc.alive():
            return
        self.signal_offset = os.path.getsize(self.dc.log_path)
        self.dc.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline:
            with open(self.dc.log_path, errors="replace") as f:
                f.seek(self.signal_offset)
                if DROP_LOGGED in f.read():
                    break
            time.sleep(0.05)
        with open(os.path.join(self.sync_dir, "dropped"), "w") as f:
            f.write("dropped\n")


def fault_counts(dc, drop):
    """What fakedc's log shows of the injected faults, and the connections accepted after the
    SIGUSR1 drop."""
    with open(dc.log_path, "rb") as f:
        data = f.read()
    text = data.decode(errors="replace")
    counts = {name: text.count(needle) for name, needle in FAULT_LOG.values()}
    counts["connections"] = text.count(CONNECTION_LOGGED)
    if drop is not None and drop.signal_offset is not None:
        after = data[drop.signal_offset:].decode(errors="replace")
        # From the line that says the connections were dropped, where fakedc logs it.
        at = after.find(DROP_LOGGED)
        counts["connections_after_sigusr1"] = after[max(at, 0):].count(CONNECTION_LOGGED)
    return counts


def run_driver(client, transport, scenario, dc, extra, timeout_s, drop=None):
    cmd = CLIENTS[client] + [
        "--host", "127.0.0.1", "--port", str(dc.main_port), "--dc", "2",
        "--rsa-key", dc.key_path, "--transport", transport,
        # The drivers add the dd/ee prefix and the fake-TLS domain themselves.
        "--mtproxy-secret", FAKE_TLS_SECRET if transport == FAKE_TLS_TRANSPORT else MTPROXY_SECRET,
        "--mtproxy-domain", FAKE_TLS_DOMAIN,
        "--code-file", os.path.join(dc.state_dir, "codes", "{phone}"),
        # Per step; the file step gets 5x: Telethon's obfuscated transports run AES-CTR in pure
        # Python (about 80 s for 10 MiB up and down on an idle 2-core machine).
        "--timeout", "60",
    ] + extra
    started = time.monotonic()
    if drop is not None:
        cmd += ["--sync-dir", drop.sync_dir]
        drop.start()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, cwd=HERE)
        stdout, stderr, rc = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        stderr = f"killed after {timeout_s} s"
        rc = -1
    finally:
        if drop is not None:
            drop.stop()
    steps = []
    for line in stdout.splitlines():
        try:
            steps.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return {
        "client": client, "transport": transport, "scenario": scenario, "rc": rc,
        "seconds": round(time.monotonic() - started, 2), "steps": steps,
        "stderr_tail": "\n".join(stderr.strip().splitlines()[-8:]),
        "ok": rc == 0 and bool(steps) and all(s.get("ok") for s in steps),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fakedc", default=os.path.join(ROOT, "bazel-bin/tests/fakedc/fakedc"))
    parser.add_argument("--clients", default="mtcute,gramjs,telethon")
    parser.add_argument("--transports", choices=["default", "all"], default="all")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help="comma-separated, of " + ",".join(SCENARIOS))
    parser.add_argument("--fault-flags", default=FAULT_FLAGS,
                        help=f"fakedc's flags in the faults scenario (default: {FAULT_FLAGS})")
    parser.add_argument("--members", type=int, default=10000)
    parser.add_argument("--file-size", type=int, default=10 * 1024 * 1024 + 12345)
    parser.add_argument("--updates-count", type=int, default=UPDATES_COUNT,
                        help="messages the bot sends in each update run")
    parser.add_argument("--report", help="also write the results as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep fakedc's state directory")
    args = parser.parse_args()

    clients = [c for c in args.clients.split(",") if c]
    for c in clients:
        if c not in CLIENTS:
            parser.error(f"unknown client {c}")
    scenarios = [s for s in args.scenarios.split(",") if s]
    for s in scenarios:
        if s not in SCENARIOS:
            parser.error(f"unknown scenario {s}; scenarios: {','.join(SCENARIOS)}")
    if not os.access(args.fakedc, os.X_OK):
        parser.error(f"{args.fakedc} is not built (bazel build //tests/fakedc:fakedc)")

    fault_flags = args.fault_flags.split()
    state_dir = tempfile.mkdtemp(prefix="tgrpc-interop-")
    dc = FakeDc(args.fakedc, state_dir, args.members, os.path.join(state_dir, "fakedc.log"))
    log(f"interop: fakedc ready, dc2 on 127.0.0.1:{dc.main_port}, "
        f"fingerprint {dc.ready['fingerprint']}, {args.members} channel members, "
        f"log {dc.log_path}")
    # Documents on DC 1 (with DC 1's media-only endpoint), uploads through DC 2.
    files_dc = None
    if "file-dc1" in scenarios:
        files_dir = os.path.join(state_dir, "files_dc1")
        try:
            files_dc = FakeDc(args.fakedc, files_dir, 0, os.path.join(files_dir, "fakedc.log"),
                              ["--files_dc=1", "--media_dc=1"])
        except Exception:
            dc.stop()
            raise
        log(f"interop: fakedc --files_dc=1 ready, dc2 on 127.0.0.1:{files_dc.main_port}, "
            f"log {files_dc.log_path}")
    servers = [server for server in (dc, files_dc) if server is not None]
    results, not_run = [], []
    started = time.monotonic()
    try:
        plan = []

        def add(client, t, scenario, extra, timeout_s, server=dc, account=None):
            if scenario in scenarios:
                plan.append({"client": client, "transport": t, "scenario": scenario,
                             "extra": extra, "timeout": timeout_s, "server": server,
                             "account": account})

        for client in clients:
            default, transports = list_transports(client)
            if args.transports == "default":
                transports = [default]
            for t in transports:
                if t in NOT_SERVED:
                    not_run.append({"client": client, "transport": t, "why": NOT_SERVED[t]})
                    continue
                add(client, t, "user",
                    ["--scenario", "connect,signin-user,send-and-get,members,file",
                     "--phone", ALICE, "--channel", "fakedc_big",
                     "--min-members", str(args.members), "--file-size", str(args.file_size)], 600)
                add(client, t, "bot",
                    ["--scenario", "connect,signin-bot,send-and-get", "--bot-token", BOT_TOKEN,
                     "--peer", "alice_example"], 120)
                if t == default:
                    add(client, t, "2fa", ["--scenario", "connect,signin-user", "--phone", CAROL,
                                           "--password", CAROL_PASSWORD], 120)
                    add(client, t, "migrate",
                        ["--scenario", "connect,signin-user,send-and-get", "--phone", DAVE], 120,
                        account=DAVE)
                    add(client, t, "file-dc1",
                        ["--scenario", "connect,signin-user,file", "--phone", ALICE,
                         "--file-size", str(args.file_size)], 600, files_dc, ALICE)
                    add(client, t, "qr", ["--scenario", "connect,signin-qr,send-and-get",
                                          "--phone", BOB], 120, account=BOB)
                    # Dave lives on DC 1: the token exported on DC 2 answers loginTokenMigrateTo
                    # and the client imports it on DC 1.
                    add(client, t, "qr-dc1", ["--scenario", "connect,signin-qr,send-and-get",
                                              "--phone", DAVE], 120, account=DAVE)
                    # server None: a fakedc of its own per run, started with --network_dc=1.
                    if client in SIGNUP_REFUSED:
                        steps = "connect,sendcode-only"
                    else:
                        steps = "connect,signup-user,send-and-get"
                    add(client, t, "network",
                        ["--scenario", steps, "--phone", NETWORK_PHONES[client],
                         "--first-name", f"Interop {client}"], 120, None)
                    # server None: a fakedc of its own, started with FAULT_FLAGS.
                    # The bot signs in: with connections closed after DROP_AFTER packets any answer
                    # may be lost, and the three libraries send a query whose answer they did not
                    # get again under a new msg_id, so it runs twice. auth.importBotAuthorization
                    # gives the same again; auth.signIn would fail the second time
                    # (PHONE_CODE_EXPIRED: the code is used up), whichever library.
                    add(client, t, "faults",
                        ["--scenario", "connect,signin-bot,send-and-get,reconnect,send-and-get",
                         "--bot-token", BOT_TOKEN, "--peer", "alice_example"], 180, None)
                    # server None: a fakedc of its own with UPDATE_SCENARIOS' flags.
                    for scenario in UPDATE_SCENARIOS:
                        if scenario not in scenarios:
                            continue
                        if client in NO_UPDATE_ENGINE:
                            not_run.append({"client": client, "transport": t,
                                            "why": f"{scenario}: {NO_UPDATE_ENGINE[client]}"})
                            continue
                        extra = ["--disconnect-midway"] if scenario == "updates-reconnect" else []
                        add(client, t, scenario,
                            ["--scenario", "connect,signin-user,receive-updates", "--phone", ALICE,
                             "--bot-token", BOT_TOKEN, "--peer", "alice_example",
                             "--count", str(args.updates_count), *extra], 120, None)
        # Two runs at a time: the clients are mostly waiting, fakedc is one thread. The migrate
        # runs (dave) never overlap one another, nor do the file-dc1 runs (alice on the second
        # fakedc) or the qr runs (bob): a second auth.sendCode for the same phone would replace
        # the first one's code.
        lock = threading.Lock()
        queue = list(plan)
        busy = set()

        def take():
            for i, item in enumerate(queue):
                account = (id(item["server"]), item["account"]) if item["account"] else None
                if account not in busy:
                    if account:
                        busy.add(account)
                    return queue.pop(i), account
            return None, None

        def run_faults(item):
            """A fakedc of its own with FAULT_FLAGS, the driver, and the log's fault counts."""
            client, t = item["client"], item["transport"]
            own_dir = os.path.join(state_dir, f"faults-{client}-{t}")
            try:
                server = FakeDc(args.fakedc, own_dir, 0, os.path.join(own_dir, "fakedc.log"),
                                fault_flags)
            except Exception as e:  # noqa: BLE001 - reported as the run's failure
                return {"client": client, "transport": t, "scenario": "faults", "ok": False,
                        "steps": [], "seconds": 0, "rc": -1,
                        "stderr_tail": f"fakedc with {args.fault_flags} did not start: {e}"}
            try:
                drop = DropOnReady(server, os.path.join(own_dir, "sync"))
                r = run_driver(client, t, "faults", server, item["extra"], item["timeout"], drop)
                counts = fault_counts(server, drop)
            finally:
                server.stop()
            r["faults"] = counts
            missing = [f"{name} {counts[name]} < {least}"
                       for name, least in expected_faults(fault_flags).items()
                       if counts[name] < least]
            if drop.signal_offset is None:
                missing.append("no SIGUSR1 drop (the driver never got to reconnect)")
            elif counts.get("connections_after_sigusr1", 0) < 1:
                missing.append("no connection after the SIGUSR1 drop")
            if missing:
                r["ok"] = False
                r["fault_problems"] = missing
            r["log"] = server.log_path
            return r

        def run_network(item):
            """A fakedc of its own with --network_dc, the driver, and the log's evidence that the
            client followed NETWORK_MIGRATE and signed up (or got its code) on that DC."""
            client, t = item["client"], item["transport"]
            own_dir = os.path.join(state_dir, f"network-{client}-{t}")
            try:
                server = FakeDc(args.fakedc, own_dir, 0, os.path.join(own_dir, "fakedc.log"),
                                [f"--network_dc={NETWORK_DC}"])
            except Exception as e:  # noqa: BLE001 - reported as the run's failure
                return {"client": client, "transport": t, "scenario": "network", "ok": False,
                        "steps": [], "seconds": 0, "rc": -1,
                        "stderr_tail": f"fakedc with --network_dc={NETWORK_DC} did not start: {e}"}
            try:
                r = run_driver(client, t, "network", server, item["extra"], item["timeout"])
            finally:
                server.stop()
            signed_up = client not in SIGNUP_REFUSED
            counts, problems = network_evidence(server, signed_up)
            # The library's own idea of its main DC afterwards, and the new account's phone.
            step = next((s for s in r["steps"] if s.get("ok")
                         and s.get("step") in ("signup-user", "sendcode-only")), None)
            if step is None:
                problems.append("no signup-user / sendcode-only step passed")
            else:
                detail = step.get("detail") or {}
                if detail.get("dc") != NETWORK_DC:
                    problems.append(f"the client's main DC after the step is {detail.get('dc')}, "
                                    f"not {NETWORK_DC}")
                digits = "".join(c for c in NETWORK_PHONES[client] if c.isdigit())
                if "".join(c for c in str(detail.get("phone")) if c.isdigit()) != digits:
                    problems.append(f"phone {detail.get('phone')}, not {digits}")
            if not signed_up:
                counts["fallback"] = "sendcode-only"
            r["evidence"] = counts  # printed on the result line, like the faults counts
            if problems:
                r["ok"] = False
                r["fault_problems"] = problems
            r["log"] = server.log_path
            return r

        def run_updates(item):
            """A fakedc of its own with the scenario's flags, the driver, and the log's evidence
            that the faults hit the receiver's pushes."""
            client, t, scenario = item["client"], item["transport"], item["scenario"]
            own_dir = os.path.join(state_dir, f"{scenario}-{client}-{t}")
            flags = UPDATE_SCENARIOS[scenario]
            try:
                server = FakeDc(args.fakedc, own_dir, 0, os.path.join(own_dir, "fakedc.log"), flags)
            except Exception as e:  # noqa: BLE001 - reported as the run's failure
                return {"client": client, "transport": t, "scenario": scenario, "ok": False,
                        "steps": [], "seconds": 0, "rc": -1,
                        "stderr_tail": f"fakedc with {flags} did not start: {e}"}
            try:
                r = run_driver(client, t, scenario, server, item["extra"], item["timeout"])
            finally:
                server.stop()
            signin = next((s for s in r["steps"] if s.get("step") == "signin-user"), None)
            user_id = ((signin or {}).get("detail") or {}).get("user_id")
            counts, problems = update_evidence(server, scenario, user_id)
            received = next((s for s in r["steps"] if s.get("step") == "receive-updates"), None)
            detail = (received or {}).get("detail")
            if isinstance(detail, str) and "{" in detail:  # a failed step: its counts as JSON
                try:
                    detail = json.loads(detail[detail.index("{"):])
                except json.JSONDecodeError:
                    detail = None
            if isinstance(detail, dict):
                for key in ("sent", "received", "lost", "duplicated", "out_of_order"):
                    counts[key] = detail.get(key)
            r["evidence"] = counts
            if problems:
                r["ok"] = False
                r["fault_problems"] = problems
            r["log"] = server.log_path
            return r

        def worker():
            while True:
                with lock:
                    if not queue or not all(server.alive() for server in servers):
                        return
                    item, account = take()
                if item is None:
                    time.sleep(0.1)
                    continue
                client, t, scenario = item["client"], item["transport"], item["scenario"]
                if scenario == "faults":
                    r = run_faults(item)
                elif scenario == "network":
                    r = run_network(item)
                elif scenario in UPDATE_SCENARIOS:
                    r = run_updates(item)
                else:
                    r = run_driver(client, t, scenario, item["server"], item["extra"],
                                   item["timeout"])
                with lock:
                    busy.discard(account)
                    results.append(r)
                    verdict = "PASSED" if r["ok"] else "FAILED"
                    steps = " ".join(f"{s['step']}={'ok' if s.get('ok') else 'FAIL'}"
                                     for s in r["steps"])
                    counts = r.get("faults") or r.get("evidence")
                    if counts:
                        steps += " (" + ", ".join(f"{k} {v}" for k, v in counts.items()) + ")"
                    print(f"interop {client} {t} {scenario} {verdict} in {r['seconds']}s: {steps}",
                          flush=True)
                    if not r["ok"]:
                        failed = [s for s in r["steps"] if not s.get("ok")]
                        print(f"  detail: {json.dumps(failed)[:600]}", flush=True)
                        if r.get("fault_problems"):
                            print(f"  {scenario}: {'; '.join(r['fault_problems'])}; "
                                  f"log {r['log']}", flush=True)
                        if r["stderr_tail"]:
                            print("  stderr: " + r["stderr_tail"].replace("\n", "\n          "),
                                  flush=True)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        for server in servers:
            if not server.alive():
                print(f"interop: fakedc died (exit {server.proc.returncode}); its log ends:\n"
                      f"{server.tail()}")
        for item in queue:
            results.append({"client": item["client"], "transport": item["transport"],
                            "scenario": item["scenario"], "ok": False, "steps": [], "seconds": 0})
            print(f"interop {item['client']} {item['transport']} {item['scenario']} FAILED: "
                  f"fakedc not running")
    finally:
        for server in servers:
            server.stop()

    # The matrix: one row per client and transport, one column per step.
    # The 2fa, migrate, file-dc1, qr, qr-dc1, network and faults runs have a column each: pass if
    # the whole run passed.
    own_column = ["2fa", "migrate", "file-dc1", "qr", "qr-dc1", "network", "faults",
                  *UPDATE_SCENARIOS]
    columns = ["connect", "signin-user", "send-and-get", "members", "file", "signin-bot"]
    columns += own_column
    rows = {}
    for r in results:
        row = rows.setdefault((r["client"], r["transport"]), {})
        if r["scenario"] in own_column:
            row[r["scenario"]] = bool(r["ok"])
            continue
        for s in r["steps"]:
            key = s["step"]
            # A step seen in several runs (connect, send-and-get) passes only if it passed in all.
            row[key] = bool(s.get("ok")) and row.get(key, True)
        if not r["ok"] and not r["steps"]:
            row["connect"] = False
    print()
    print("| client | transport | " + " | ".join(columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for (client, t), row in sorted(rows.items()):
        cells = ["pass" if row.get(c) else ("FAIL" if c in row else "-") for c in columns]
        print(f"| {client} | {t} | " + " | ".join(cells) + " |")
    for n in not_run:
        print(f"| {n['client']} | {n['transport']} | not run: {n['why']} |")
    passed = sum(1 for r in results if r["ok"])
    print(f"\ninterop: {passed} of {len(results)} runs passed, {len(not_run)} not run, "
          f"{round(time.monotonic() - started)} s")
    if args.report:
        with open(args.report, "w") as f:
            json.dump({"results": results, "not_run": not_run}, f, indent=1)
    if args.keep:
        log(f"interop: state kept in {state_dir}")
    else:
        shutil.rmtree(state_dir, ignore_errors=True)
    return 0 if results and passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Runs tgrpc's polyglot callers against a real tgrpcd on a real fakedc.

Builds fakedc, tgrpcd, the API's descriptor set and the raw API's .proto tar (unless --bazel-bin
names a tree that has them), starts fakedc (a small big group, messages.sendMessage limited to one
call a minute so the second message gets FLOOD_WAIT) and tgrpcd against it on free ports with a
fresh token, then runs:

  node            node_client.mjs: @grpc/grpc-js + @grpc/proto-loader (tests/polyglot/package.json)
  python          python_client.py, stubs generated now by Debian's grpc_tools.protoc
  python-dynamic  python_client.py, messages built from the descriptor set, no generated code
  raw-python      raw_python.py: the raw API (tgrpc.raw.v1) from //proto/raw:raw_api's .proto tar,
                  stubs by Debian's protoc + grpc_python_plugin, each method checked against the
                  typed API
  raw-node        raw_node.mjs: the same from Node, the tar's .proto files loaded by proto-loader

each as its own Telegram user (the flood limit is per user). Before them, mtcute
(tests/interop/mtcute_client.mjs, an independent MTProto client) signs in as fakedc's bot and
answers button presses and inline queries (answer-buttons): the Python callers' bot_button check
presses its button through tgrpcd (MessageService.PressButton) and must get mtcute's answer, and
bot_inline asks it for inline results (QueryInlineBot) and sends one (SendInlineResult). The
python caller's join_request and join_link run Telethon (tests/interop/telethon_client.py), which
joins the caller's supergroup by its invite links: once by a join request the caller approves
(ListJoinRequests, ApproveJoinRequest), once directly. Prints one line per check,
`polyglot <client> <check> PASSED|FAILED[: detail]`, and `polyglot tgrpcd shutdown ...` for a
clean SIGTERM, then a count; exits 1 if anything failed. tests/run_all.sh runs it after interop.

  /usr/bin/python3 tests/polyglot/run_polyglot.py [--bazel-bin DIR] [--members N] [--keep]
"""
import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
from ready_process import Process  # noqa: E402

# Debian's python3, which has python3-grpcio (a python3 first on PATH may not).
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
# The checks of the typed-API clients; the raw clients list theirs (--list-checks), one per TL
# method. A check a client never printed counts as failed.
CHECKS = ["auth", "signin", "messages", "reactions", "members", "contacts", "not_found",
          "bad_request", "flood_wait", "forum"]
# (client, command builder, phone). Each its own user: FLOOD_WAIT is counted per user.
CLIENTS = [
    ("node", "node", "+15550000001"),
    ("python", "protoc", "+15550000002"),
    ("python-dynamic", "descriptor", "+15550000004"),  # dave: home DC 1, a PHONE_MIGRATE first
    ("raw-python", "raw-python", "+15550000003"),  # carol (2FA), with member 5 as a helper
    ("raw-node", "raw-node", "+16660000006"),  # fakedc_big's member 6
]
RAW_PYTHON_HELPER = "+16660000005"  # fakedc_big's member 5: writes to carol
# The typed clients' BotService check; the Python ones also press mtcute's button.
BOT_CHECKS = {"node": ["bot_commands"], "protoc": ["bot_commands", "bot_button", "bot_inline"],
              "descriptor": ["bot_commands", "bot_button", "bot_inline"]}
# Telethon (tests/interop/telethon_client.py, an independent MTProto client) joins the protoc
# caller's supergroup as fakedc_big's members 7 (by a join request the caller approves) and 8 (by
# a plain link).
JOIN_CHECKS = {"protoc": ["join_request", "join_link"]}
TELETHON_PHONES = "+16660000007,+16660000008"
BOT_TOKEN = "1000000:AAFakeDcBotTokenForTests"  # fakedc's seeded bot (tests/fakedc/seed.h)
# mtcute must find fakedc's key by its fingerprint, which it cannot when that starts with 0: a
# fixed key whose fingerprint does not (tests/interop uses it too).
RSA_KEY = os.path.join(ROOT, "mtproto", "crypto", "testdata", "test_rsa_key.pem")


def log(message):
    print(f"polyglot: {message}", file=sys.stderr, flush=True)


def build(bazel_bin):
    if bazel_bin:
        return bazel_bin
    targets = ["//tests/fakedc:fakedc", "//service:tgrpcd", "//proto:tgrpc_v1_descriptor_set",
               "//proto/raw:raw_api"]
    log("bazel build " + " ".join(targets))
    subprocess.run(["bazel", "build", *targets], cwd=ROOT, check=True)
    return subprocess.run(["bazel", "info", "bazel-bin"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()


def ensure_node_modules():
    if not os.path.isdir(os.path.join(HERE, "node_modules", "@grpc", "grpc-js")):
        log("installing tests/polyglot's npm packages (deploy/polyglot_setup.sh)")
        subprocess.run(["bash", os.path.join(ROOT, "deploy", "polyglot_setup.sh")], check=True)


def start_mtcute_bot(work, ready, key, presses):
    """mtcute signed in as fakedc's bot, answering `presses` button presses and as many inline
    queries (the bot_button and bot_inline checks fail if it does not get ready)."""
    interop = os.path.join(ROOT, "tests", "interop")
    if not os.path.isdir(os.path.join(interop, "node_modules", "@mtcute", "node")):
        subprocess.run(["bash", os.path.join(ROOT, "deploy", "interop_setup.sh")], check=False)
    port = next(e["port"] for e in ready["endpoints"] if e["dc"] == 2 and not e["media_only"])
    log_path = os.path.join(work, "mtcute.log")
    proc = subprocess.Popen(
        ["node", os.path.join(interop, "mtcute_client.mjs"), "--host", ready["address"],
         "--port", str(port), "--rsa-key", key, "--bot-token", BOT_TOKEN,
         "--scenario", "connect,signin-bot,answer-buttons", "--count", str(presses),
         "--timeout", "600"],
        cwd=interop, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    answering = threading.Event()

    def follow():
        with open(log_path, "w") as out:
            for line in proc.stderr:
                out.write(line)
                out.flush()
                if "answering buttons" in line:
                    answering.set()

    threading.Thread(target=follow, daemon=True).start()
    if not answering.wait(60):
        log(f"mtcute bot not ready in 60 s (log {log_path})")
    return proc


def mtcute_result(proc):
    """The answer-buttons step's line of the mtcute bot, once it is done."""
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    for line in out.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("step") == "answer-buttons":
            return record.get("ok", False), record.get("detail")
    return False, f"no answer-buttons result (exit {proc.returncode})"


def planned_checks(client, kind, argv):
    """The checks a client should print: the raw clients say which (--list-checks)."""
    if not kind.startswith("raw-"):
        return CHECKS + BOT_CHECKS.get(kind, []) + JOIN_CHECKS.get(kind, [])
    try:
        listed = subprocess.run(argv[:2] + ["--list-checks"], cwd=HERE, capture_output=True,
                                text=True, timeout=60)
        names = listed.stdout.split()
        if listed.returncode == 0 and names:
            return names
        why = f"exit {listed.returncode}: {listed.stderr.strip()[-200:]}"
    except (OSError, subprocess.TimeoutExpired) as error:
        why = str(error)
    log(f"{client}: --list-checks failed ({why})")
    return ["list-checks"]  # never printed by the client, so counted as a failure


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bazel-bin", help="bazel-bin with fakedc, tgrpcd, the descriptor "
                        "set and the raw API's .proto tar already built (default: build them)")
    parser.add_argument("--members", type=int, default=1000,
                        help="members of fakedc_big (paged by every client; the raw clients "
                        "sign in members 5 and 6, Telethon 7 and 8)")
    parser.add_argument("--clients", default=",".join(c[0] for c in CLIENTS))
    parser.add_argument("--keep", action="store_true", help="keep the state directory")
    args = parser.parse_args()
    start = time.monotonic()

    bazel_bin = build(args.bazel_bin)
    fakedc_bin = os.path.join(bazel_bin, "tests", "fakedc", "fakedc")
    tgrpcd_bin = os.path.join(bazel_bin, "service", "tgrpcd")
    descriptor_set = os.path.join(bazel_bin, "proto", "tgrpc_v1.binpb")
    raw_tar = os.path.join(bazel_bin, "proto", "raw", "raw_api_proto.tar")
    ensure_node_modules()

    work = tempfile.mkdtemp(prefix="tgrpc-polyglot-")
    results = []  # (client, check, passed)
    fakedc = tgrpcd = mtcute = None
    try:
        fakedc = Process("fakedc", [
            fakedc_bin, f"--state_dir={work}/fakedc", f"--public_key_out={work}/fakedc.pem",
            f"--schema_dir={ROOT}/tl/schema", f"--members={args.members}",
            f"--rsa_key={RSA_KEY}",
            "--flood=messages.sendMessage:1/60"], f"{work}/fakedc.log")
        ready = fakedc.ready_json()
        dcs = ",".join(f"{e['dc']}={ready['address']}:{e['port']}"
                       for e in ready["endpoints"] if not e["media_only"])
        token = secrets.token_urlsafe(24)
        with open(f"{work}/tokens", "w") as f:
            f.write(f"polyglot {token}\n")
        tgrpcd = Process("tgrpcd", [
            tgrpcd_bin, "--telegram=sandbox", f"--sandbox_dcs={dcs}",
            f"--sandbox_public_key={work}/fakedc.pem", "--api_id=1", "--api_hash=polyglot",
            f"--state_dir={work}/tgrpcd", f"--tokens_file={work}/tokens",
            "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0"], f"{work}/tgrpcd.log")
        target = f"127.0.0.1:{tgrpcd.ready_json()['grpc_port']}"
        # The independent clients' view of fakedc: its key as PKCS#1 PEM and its DCs.
        public_key = os.path.join(work, "fakedc_public.pem")
        with open(public_key, "w") as f:
            f.write(ready["public_key"])
        telethon_dcs = json.dumps({str(e["dc"]): [ready["address"], e["port"]]
                                   for e in ready["endpoints"] if not e["media_only"]})
        log(f"fakedc {dcs}, tgrpcd {target} ({time.monotonic() - start:.0f} s)")

        wanted = args.clients.split(",")
        presses = sum(1 for c, kind, _ in CLIENTS
                      if c in wanted and "bot_button" in BOT_CHECKS.get(kind, []))
        mtcute = start_mtcute_bot(work, ready, public_key, presses) if presses else None
        for client, kind, phone in CLIENTS:
            if client not in wanted:
                continue
            common = ["--target", target, "--token", token, "--codes-dir", f"{work}/fakedc/codes",
                      "--phone", phone, "--account", f"{client}-{phone[-1]}", "--client", client]
            if kind == "node":
                argv = ["node", os.path.join(HERE, "node_client.mjs"), *common]
            elif kind == "raw-node":
                argv = ["node", os.path.join(HERE, "raw_node.mjs"), *common, "--raw-tar", raw_tar]
            elif kind == "raw-python":
                argv = [PYTHON, os.path.join(HERE, "raw_python.py"), *common, "--raw-tar",
                        raw_tar, "--helper-phone", RAW_PYTHON_HELPER]
            else:
                argv = [PYTHON, os.path.join(HERE, "python_client.py"), *common,
                        "--stubs", kind, "--descriptor-set", descriptor_set, "--press-button"]
                if kind in JOIN_CHECKS:
                    argv += ["--telethon-dcs", telethon_dcs, "--telethon-rsa-key", public_key,
                             "--telethon-phones", TELETHON_PHONES]
            checks = planned_checks(client, kind, argv)
            began = time.monotonic()
            try:
                run = subprocess.run(argv, cwd=HERE, capture_output=True, text=True, timeout=180)
                out, err, rc = run.stdout, run.stderr, run.returncode
            except subprocess.TimeoutExpired as e:
                out, err, rc = (e.stdout or b"").decode(), (e.stderr or b"").decode(), "timeout"
            except OSError as e:  # e.g. no node on PATH
                out, err, rc = "", str(e), "unstarted"
            seen = set()
            for line in out.splitlines():
                words = line.split(" ")
                if len(words) >= 4 and words[0] == "polyglot" and words[1] == client:
                    verdict = words[3].rstrip(":")
                    seen.add(words[2])
                    results.append((client, words[2], verdict == "PASSED"))
                    print(line, flush=True)
                elif line.strip():
                    log(line)
            for check in checks:
                if check not in seen:
                    results.append((client, check, False))
                    print(f"polyglot {client} {check} FAILED: not run (the client exited {rc})",
                          flush=True)
            if rc != 0 and err.strip():
                log(f"{client} exited {rc}; its stderr ends:\n" + "\n".join(err.splitlines()[-15:]))
            log(f"{client}: {time.monotonic() - began:.1f} s")
        if mtcute is not None:
            ok, detail = mtcute_result(mtcute)
            results.append(("mtcute", "answer_buttons", ok))
            print(f"polyglot mtcute answer_buttons {'PASSED' if ok else 'FAILED'}: {detail}",
                  flush=True)
    except Exception as error:  # noqa: BLE001 - a setup failure fails the phase
        print(f"polyglot setup setup FAILED: {error}", flush=True)
        results.append(("setup", "setup", False))
    finally:
        if mtcute is not None and mtcute.poll() is None:
            mtcute.kill()
        if tgrpcd is not None:
            rc = tgrpcd.stop()
            ok = rc == 0
            results.append(("tgrpcd", "shutdown", ok))
            print(f"polyglot tgrpcd shutdown {'PASSED' if ok else 'FAILED'}: SIGTERM, exit {rc}",
                  flush=True)
        if fakedc is not None:
            fakedc.stop()
        if not all(passed for _, _, passed in results):
            for p in (tgrpcd, fakedc):
                if p is not None:
                    log(f"{p.name}'s log ends ({p.log_path}):\n{p.tail()}")
        if args.keep or not all(passed for _, _, passed in results):
            log(f"state kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    passed = sum(1 for _, _, ok in results if ok)
    print(f"polyglot: {passed} of {len(results)} checks passed in "
          f"{time.monotonic() - start:.0f} s", flush=True)
    return 0 if passed == len(results) and results else 1


if __name__ == "__main__":
    sys.exit(main())

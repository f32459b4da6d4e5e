#!/usr/bin/env bash
# The local sandbox: tgrpcd on SQLite against tests/fakedc (a local multi-DC Telegram), no
# Telegram credentials and no network needed. Run after deploy/setup.sh:
#
#     bash deploy/setup.sh && bash deploy/sandbox.sh
#
# It builds both, starts fakedc (any free ports, read from the JSON line it prints) and tgrpcd
# against it, prints the gRPC address, the API token, the metrics address and where the sign-in
# codes are, then serves in the foreground until Ctrl-C / SIGTERM, which stops both cleanly.
# Walk-through: docs/getting-started.md.
#
# Environment (all optional):
#   TGRPC_SANDBOX_DIR       state directory (default /tmp/tgrpc-sandbox): the token, logs,
#                           fakedc's codes/ and files/, tgrpcd's database and key
#   TGRPC_SANDBOX_GRPC      tgrpcd's gRPC address (default 127.0.0.1:50051)
#   TGRPC_SANDBOX_METRICS   tgrpcd's Prometheus address (default 127.0.0.1:9464)
#   TGRPC_SANDBOX_FAKEDC_PORTS  fakedc's --ports (DC 1,2,3,media; default: any free ones)
#   TGRPC_SANDBOX_MEMBERS   members of the seeded supergroup fakedc_big (default 10000)
#   TGRPC_SANDBOX_FAKEDC_FLAGS  more fakedc flags, e.g. "--verbose --flood=messages.sendMessage:5/10"
#   TGRPC_SANDBOX_TGRPCD_FLAGS  more tgrpcd flags, e.g. "--verbose"
#   TGRPC_SANDBOX_BIN       a bazel-bin that has tests/fakedc/fakedc and service/tgrpcd: no Bazel
#                           command at all (default: bazel build, then bazel info bazel-bin)
#
# Idempotent: a rerun reuses the token (kept in the state directory), stops a sandbox still
# running from the same directory (by the process ids it recorded) and starts afresh. fakedc keeps
# its Telegram in memory, so every start is a new Telegram (seeded the same way) and tgrpcd's
# database starts empty with it: accounts made in an earlier run are gone, the token is not.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

dir=${TGRPC_SANDBOX_DIR:-/tmp/tgrpc-sandbox}
grpc_listen=${TGRPC_SANDBOX_GRPC:-127.0.0.1:50051}
metrics_listen=${TGRPC_SANDBOX_METRICS:-127.0.0.1:9464}
members=${TGRPC_SANDBOX_MEMBERS:-10000}
read -r -a fakedc_extra <<<"${TGRPC_SANDBOX_FAKEDC_FLAGS:-}"
read -r -a tgrpcd_extra <<<"${TGRPC_SANDBOX_TGRPCD_FLAGS:-}"
py=/usr/bin/python3
[ -x "$py" ] || py=python3

log() { echo "sandbox: $*" >&2; }
die() { log "$*"; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# A sandbox still running from this directory (this script, or the processes it started): stop
# it by the ids it recorded, after checking that each id is still that program.
is_ours() {
  local argv
  [ -r "/proc/$1/cmdline" ] || return 1
  mapfile -d '' -t argv <"/proc/$1/cmdline" 2>/dev/null || return 1
  case $2 in
    sandbox) [[ "${argv[1]:-}" == *deploy/sandbox.sh ]] ;;
    *) [[ "${argv[0]:-}" == */$2 ]] ;;
  esac
}
stop_recorded() {
  local name pid
  for name in sandbox tgrpcd fakedc; do
    [ -f "$dir/$name.pid" ] || continue
    pid=$(cat "$dir/$name.pid")
    if [ -n "$pid" ] && [ "$pid" != "$$" ] && is_ours "$pid" "$name"; then
      log "stopping the $name (pid $pid) left running in $dir"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    fi
    rm -f "$dir/$name.pid"
  done
}
stop_recorded
echo $$ >"$dir/sandbox.pid"

if [ -n "${TGRPC_SANDBOX_BIN:-}" ]; then
  bin=$TGRPC_SANDBOX_BIN
else
  log "building //tests/fakedc:fakedc and //service:tgrpcd (a cold build takes several minutes)"
  bazel build //tests/fakedc:fakedc //service:tgrpcd >&2 || die "the build failed"
  # Not the bazel-bin link, which follows the last build's configuration (e.g. -c opt).
  bin=$(bazel info bazel-bin) || die "bazel info bazel-bin failed"
fi
fakedc_bin=$bin/tests/fakedc/fakedc
tgrpcd_bin=$bin/service/tgrpcd
[ -x "$fakedc_bin" ] && [ -x "$tgrpcd_bin" ] || die "no $fakedc_bin or $tgrpcd_bin: build them first"

# The API token: random, made once, kept in the state directory (mode 600).
if [ ! -s "$dir/token" ]; then
  (umask 077 && head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$dir/token")
  log "new API token in $dir/token"
fi
token=$(cat "$dir/token")
(umask 077 && echo "sandbox $token" >"$dir/tokens")

fakedc_pid=""
tgrpcd_pid=""
stopping=0
stop_all() {
  stopping=1
  trap '' INT TERM
  # tgrpcd first (it drains its calls), then the Telegram under it.
  local pid
  for pid in "$tgrpcd_pid" "$fakedc_pid"; do
    [ -n "$pid" ] || continue
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -f "$dir/tgrpcd.pid" "$dir/fakedc.pid" "$dir/sandbox.pid"
}
on_signal() {
  log "stopping tgrpcd and fakedc"
  stop_all
  log "stopped"
  exit 0
}
trap on_signal INT TERM
trap '[ "$stopping" = 1 ] || stop_all' EXIT

# Waits for the first line of a process's stdout file; fails if the process ends first.
first_line() {
  local file=$1 pid=$2 what=$3
  for _ in $(seq 600); do
    if [ -s "$file" ] && [ "$(wc -l <"$file")" -ge 1 ]; then head -n 1 "$file"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { log "$what exited; the end of its log:"; tail -n 20 "$4" >&2; return 1; }
    sleep 0.1
  done
  log "$what did not get ready in 60 s; the end of its log:"
  tail -n 20 "$4" >&2
  return 1
}

# fakedc. The test RSA key keeps the server key (and so the pem) the same across runs, and is one
# mtcute accepts, so the interop clients can sign in to the same sandbox.
fakedc_args=(--state_dir="$dir/fakedc" --public_key_out="$dir/fakedc.pem"
  --schema_dir="$root/tl/schema" --rsa_key="$root/mtproto/crypto/testdata/test_rsa_key.pem"
  --members="$members")
[ -z "${TGRPC_SANDBOX_FAKEDC_PORTS:-}" ] || fakedc_args+=(--ports="$TGRPC_SANDBOX_FAKEDC_PORTS")
mkdir -p "$dir/fakedc"
: >"$dir/fakedc.json"
"$fakedc_bin" "${fakedc_args[@]}" "${fakedc_extra[@]}" >"$dir/fakedc.json" 2>"$dir/fakedc.log" &
fakedc_pid=$!
echo "$fakedc_pid" >"$dir/fakedc.pid"
fakedc_line=$(first_line "$dir/fakedc.json" "$fakedc_pid" fakedc "$dir/fakedc.log") || exit 1
sandbox_dcs=$("$py" -c '
import json, sys
ready = json.loads(sys.argv[1])
print(",".join("%d=%s:%d" % (e["dc"], ready["address"], e["port"])
               for e in ready["endpoints"] if not e["media_only"]))' "$fakedc_line") ||
  die "cannot read fakedc's ready line: $fakedc_line"

# tgrpcd. fakedc is a new Telegram at each start, so the database starts afresh with it.
mkdir -p "$dir/tgrpcd"
rm -f "$dir/tgrpcd/tgrpc.db" "$dir/tgrpcd/tgrpc.db-wal" "$dir/tgrpcd/tgrpc.db-shm" \
  "$dir/tgrpcd/tgrpc.db.lock"
# fakedc, like Telegram, refuses sign-in without an api_id and api_hash (API_ID_INVALID); any
# values do for it.
tgrpcd_args=(--telegram=sandbox --sandbox_dcs="$sandbox_dcs" --sandbox_public_key="$dir/fakedc.pem"
  --api_id=1 --api_hash=sandbox --state_dir="$dir/tgrpcd" --tokens_file="$dir/tokens"
  --listen="$grpc_listen" --metrics_listen="$metrics_listen")
: >"$dir/tgrpcd.json"
"$tgrpcd_bin" "${tgrpcd_args[@]}" "${tgrpcd_extra[@]}" >"$dir/tgrpcd.json" 2>"$dir/tgrpcd.log" &
tgrpcd_pid=$!
echo "$tgrpcd_pid" >"$dir/tgrpcd.pid"
first_line "$dir/tgrpcd.json" "$tgrpcd_pid" tgrpcd "$dir/tgrpcd.log" >/dev/null || {
  grep -q -i "address already in use\|failed to bind\|bind" "$dir/tgrpcd.log" &&
    log "is $grpc_listen or $metrics_listen taken? Set TGRPC_SANDBOX_GRPC / TGRPC_SANDBOX_METRICS"
  exit 1
}

cat <<EOF

tgrpc sandbox is up (tgrpcd against fakedc, state in $dir)
  gRPC      $grpc_listen   (plaintext h2c, server reflection on)
  token     $token
            send it as metadata:  authorization: Bearer $token
            (kept in $dir/token; tenant "sandbox")
  metrics   http://$metrics_listen/metrics
  fakedc    $sandbox_dcs   (its RSA public key: $dir/fakedc.pem)
  logs      $dir/tgrpcd.log  $dir/fakedc.log
Sign in with a test number: +99966 X YYYY signs in on DC X with the code XXXXX, e.g. +9996620001
with code 22222 (a new number: SubmitCode answers SIGN_UP_NEEDED, then SignUp with a first name).
Seeded accounts: +15550000001 (alice), +15550000002 (bob); after StartLogin their code is in
  $dir/fakedc/codes/<phone digits>
Try it (docs/getting-started.md walks through sign-in, members and messages):
  tests/polyglot/node_modules/.bin/buf curl --protocol grpc --http2-prior-knowledge \\
    -H 'authorization: Bearer $token' \\
    -d '{"account_id": "tess", "account": {"phone_number": "+9996620001"}}' \\
    http://$grpc_listen/tgrpc.v1.AccountService/CreateAccount
Ctrl-C stops both.
EOF

# Serve until a signal, or until one of the two ends on its own (then stop the other).
set +e
wait -n "$fakedc_pid" "$tgrpcd_pid"
rc=$?
[ "$stopping" = 1 ] && exit 0
if ! kill -0 "$tgrpcd_pid" 2>/dev/null; then
  log "tgrpcd exited (status $rc); the end of $dir/tgrpcd.log:"
  tail -n 20 "$dir/tgrpcd.log" >&2
else
  log "fakedc exited (status $rc); the end of $dir/fakedc.log:"
  tail -n 20 "$dir/fakedc.log" >&2
fi
stop_all
exit 1

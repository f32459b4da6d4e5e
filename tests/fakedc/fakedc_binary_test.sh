#!/usr/bin/env bash
# The fakedc binary as scripts use it: its ready line, --list_methods, flag errors, and the
# run-time controls (SIGHUP re-reads --faults_file, SIGUSR1 drops connections, SIGUSR2 restarts).
set -euo pipefail
fakedc=tests/fakedc/fakedc
fail() { echo "FAIL: $*" >&2; [[ -f "$TEST_TMPDIR/err" ]] && tail -20 "$TEST_TMPDIR/err" >&2; exit 1; }

# --list_methods: sorted, one per line, with the sign-in and update methods.
$fakedc --list_methods --members=0 --state_dir="$TEST_TMPDIR/list" > "$TEST_TMPDIR/methods"
grep -qx 'auth.sendCode' "$TEST_TMPDIR/methods" || fail "auth.sendCode not listed"
grep -qx 'updates.getDifference' "$TEST_TMPDIR/methods" || fail "updates.getDifference not listed"
sort -c "$TEST_TMPDIR/methods" || fail "methods not sorted"

# Bad flags: exit 2 and a message naming the flag.
for bad in --delay_ms=-5 --fault_dcs=x --bogus=1 --network_dc=two; do
  set +e
  $fakedc "$bad" --members=0 > /dev/null 2> "$TEST_TMPDIR/bad"
  rc=$?
  set -e
  [[ $rc == 2 ]] || fail "$bad: exit $rc, want 2"
  grep -q usage: "$TEST_TMPDIR/bad" || fail "$bad: no usage"
done
set +e
$fakedc --network_dc=7 --members=0 > /dev/null 2> "$TEST_TMPDIR/bad"
rc=$?
set -e
[[ $rc == 1 ]] && grep -q 'network_dc 7 is not a DC' "$TEST_TMPDIR/bad" || fail "network_dc=7: $rc"

# Serve, with faults from a file applied on SIGHUP.
faults="$TEST_TMPDIR/faults"
echo '--bad_salt_packets=2 --fault_dcs=1,3' > "$faults"
$fakedc --members=0 --delay_ms=5 --faults_file="$faults" --state_dir="$TEST_TMPDIR/state" \
  --verbose > "$TEST_TMPDIR/out" 2> "$TEST_TMPDIR/err" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q '"ready":true' "$TEST_TMPDIR/out" 2>/dev/null && break
  sleep 0.1
done
grep -q '"ready":true' "$TEST_TMPDIR/out" || fail "no ready line"
grep -q '"endpoints":\[{"dc":1,' "$TEST_TMPDIR/out" || fail "no endpoints in the ready line"

wait_log() {  # a line matching $1 in the log within 5 s
  for _ in $(seq 50); do
    grep -q -- "$1" "$TEST_TMPDIR/err" && return 0
    sleep 0.1
  done
  fail "no log line matching: $1"
}
kill -HUP $pid
# The file's settings over the start flags (--delay_ms=5 kept).
wait_log 'faults now --drop_after_packets=0 --bad_salt_packets=2 --delay_ms=5 --update_gaps=0 --updates_too_long=0 --fault_dcs=1,3'
echo '--bad_salt_packets=oops' > "$faults"
kill -HUP $pid
wait_log 'faults not changed: .*bad value: --bad_salt_packets=oops'
kill -USR1 $pid
wait_log 'fault: dropping every connection'
kill -USR2 $pid
wait_log 'fault: restart: listening again on the same ports'
kill -0 $pid || fail "fakedc exited"
kill -TERM $pid
wait $pid || fail "exit status $? after SIGTERM"
trap - EXIT
echo PASS

#!/usr/bin/env bash
# End-to-end checks of tlconv: JSON -> hex -> JSON for an API method, a boxed type and the
# MTProto schema, and clear failures on bad input.
set -euo pipefail
tlconv=tl/tools/tlconv
fail() { echo "FAIL: $*" >&2; exit 1; }

json='{"_":"messages.sendMessage","peer":{"_":"inputPeerSelf"},"message":"hello","random_id":"-5","silent":true}'
hex=$(echo "$json" | $tlconv --type messages.sendMessage --from json --to hex)
# id 0xfef48f62 (layer 228) little-endian first, then flags with bit 5 (silent) = 0x20.
[[ $hex == 628ff4fe20000000c97ea07d0568656c6c6f0000fbffffffffffffff ]] || fail "unexpected encoding $hex"
back=$(echo "$hex" | $tlconv --type Function --from hex --to json)
[[ $back == '{"_":"messages.sendMessage","message":"hello","peer":{"_":"inputPeerSelf"},"random_id":"-5","silent":true}' ]] \
  || fail "unexpected JSON $back"

# raw binary through a file, boxed type name
echo "$json" | $tlconv --type messages.sendMessage --from json --to raw > "$TEST_TMPDIR/m.bin"
[[ $(od -An -tx1 -N4 "$TEST_TMPDIR/m.bin" | tr -d ' ') == 628ff4fe ]] || fail "raw output"
$tlconv --type Function --from raw --to json "$TEST_TMPDIR/m.bin" | grep -q '"message":"hello"' || fail "raw input"

# a vector type and a bool
v=$(echo '[{"_":"inputUserSelf"}]' | $tlconv --type 'Vector<InputUser>' --from json --to hex)
[[ $v == 15c4b51c01000000* ]] || fail "vector $v"
[[ $(echo 'b5757299' | $tlconv --type Bool --from hex --to json) == true ]] || fail "Bool"

# the MTProto schema
p=$(echo '{"_":"ping","ping_id":"7"}' | $tlconv --schema tl/schema/mtproto.tl --type Function --from json --to hex)
[[ $p == ec77be7a0700000000000000 ]] || fail "ping $p"

# errors: message on stderr, exit 1, no crash
if echo 'deadbeef' | $tlconv --type Updates --from hex --to json 2> "$TEST_TMPDIR/err"; then fail "bad id accepted"; fi
grep -q "unknown constructor id 0xefbeadde" "$TEST_TMPDIR/err" || fail "bad id message: $(cat "$TEST_TMPDIR/err")"
if echo '{"_":"inputPeerSelf","x":1}' | $tlconv --type InputPeer --from json --to hex 2> "$TEST_TMPDIR/err"; then fail "unknown field accepted"; fi
grep -q "has no field x" "$TEST_TMPDIR/err" || fail "unknown field message"
if echo '628ff4fe' | $tlconv --type Function --from hex --to json 2> /dev/null; then fail "truncated accepted"; fi
if echo 'zz' | $tlconv --type Function --from hex --to json 2> /dev/null; then fail "non-hex accepted"; fi
if $tlconv --type Nope --from hex --to json < /dev/null 2> /dev/null; then fail "unknown type accepted"; fi
echo "tlconv: all checks passed"

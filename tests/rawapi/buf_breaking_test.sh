#!/usr/bin/env bash
# Shows that the raw API's breaking check (tools/raw_api_buf.sh: `buf breaking` under
# proto/raw/buf.yaml, WIRE_JSON) fails on what would break callers and passes what a layer bump
# does through the lock file. The base is the raw API of the checkout's tl/schema/api.tl and
# raw_api.lock; two changed copies are compared with it:
#   allowed: a layer bump through `tlproto update-lock` (a new field, a dropped field, a dropped
#            constructor, a dropped method), a field appended by hand, a message moved to another
#            file of the package -- buf must pass;
#   breaking: a TL parameter's type changed (long -> int, the reverse of layer 133's ids), a
#            number edited in the lock, and in the .proto text a field renumbered, a field deleted
#            without `reserved`, an int32 made int64 (same wire, other JSON) -- buf must fail,
#            each with its rule on its message, and nothing else.
# Prints `rawapi breaking-<case> PASSED|FAILED` per case; tests/run_all.sh runs it (two buf runs,
# a few seconds). Usage: tests/rawapi/buf_breaking_test.sh [--bazel-bin DIR | --tlproto FILE]
# (without either it builds //tl/rawapi:tlproto); buf as in tools/raw_api_buf.sh ($TGRPC_BUF).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1

tlproto=""
case ${1:-} in
  --bazel-bin) tlproto=${2:?}/tl/rawapi/tlproto ;;
  --tlproto) tlproto=${2:?} ;;
  "")
    bazel build //tl/rawapi:tlproto || { echo "buf_breaking_test: build failed" >&2; exit 1; }
    tlproto=$(bazel info bazel-bin 2>/dev/null)/tl/rawapi/tlproto
    ;;
  *) echo "usage: $0 [--bazel-bin DIR | --tlproto FILE]" >&2; exit 2 ;;
esac
buf=${TGRPC_BUF:-$root/tests/polyglot/node_modules/.bin/buf}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rc=0

# result CASE OK [WHY]: one line per case; OK is 1 or 0.
result() {
  if [ "$2" = 1 ]; then
    echo "rawapi breaking-$1 PASSED"
  else
    echo "rawapi breaking-$1 FAILED${3:+ ($3)}"
    rc=1
  fi
}

# edit FILE SED_SCRIPT: the edit must change FILE, or the case would pass without testing anything.
edit() {
  cp "$1" "$work/before"
  sed -i "$2" "$1"
  if cmp -s "$1" "$work/before"; then
    echo "buf_breaking_test: '$2' changed nothing in $1" >&2
    edits_ok=0
  fi
}

# generate DIR API LOCK: the raw API's .proto files under DIR, with the committed buf.yaml.
generate() {
  "$tlproto" protos "$2" "$3" "$1" >"$work/tlproto.out" 2>&1 ||
    { cat "$work/tlproto.out" >&2; return 1; }
  cp proto/raw/buf.yaml "$1/"
}

# layer NAME: a copy of the checkout's schema and lock in $work/NAME/in, to edit.
layer() {
  mkdir -p "$work/$1/in"
  cp tl/schema/api.tl tl/schema/raw_api.lock "$work/$1/in/"
}

# findings JSON RULE MESSAGE: how many of buf's findings are RULE on MESSAGE.
findings() { grep -F "\"type\":\"$2\"" "$1" | grep -cF "on message \\\"$3\\\"" ; }

# Moves message $2 out of $1/types.proto into $1/moved.proto, which types.proto then imports.
move_message() {
  local dir=$1/tgrpc/raw/v1
  { printf 'syntax = "proto3";\n\npackage tgrpc.raw.v1;\n\n'
    sed -n "/^message $2 {/,/^}/p" "$dir/types.proto"; } >"$dir/moved.proto"
  edit "$dir/types.proto" "/^message $2 {/,/^}/d"
  edit "$dir/types.proto" 's|^package tgrpc.raw.v1;$|&\n\nimport "tgrpc/raw/v1/moved.proto";|'
}

if ! "$buf" --version >/dev/null 2>&1; then
  result all-cases 0 "no buf at $buf: run deploy/polyglot_setup.sh"
  exit 1
fi
generate "$work/base" tl/schema/api.tl tl/schema/raw_api.lock ||
  { result all-cases 0 "tlproto cannot generate the checkout's raw API"; exit 1; }

# Allowed: a layer bump through the lock, then hand edits a bump could make.
edits_ok=1
layer allowed
in=$work/allowed/in
edit "$in/api.tl" 's/^\(peerColor#[0-9a-f]* .*\) = PeerColor;$/\1 note:flags.5?string = PeerColor;/'
edit "$in/api.tl" '/^inputPeerUserFromMessage#/s/ msg_id:int//'
edit "$in/api.tl" '/^inputPeerColorCollectible#/d'
edit "$in/api.tl" '/^help\.getNearestDc#/d'
"$tlproto" update-lock "$in/api.tl" "$in/raw_api.lock" >"$work/update_lock.out" 2>&1 || edits_ok=0
grep -q 'peerColor note' "$work/update_lock.out" || edits_ok=0
generate "$work/allowed/out" "$in/api.tl" "$in/raw_api.lock" || edits_ok=0
out=$work/allowed/out
# What the lock is for: the dropped parameter's number and name stay reserved.
sed -n '/^message InputPeerUserFromMessage {/,/^}/p' "$out/tgrpc/raw/v1/types.proto" |
  grep -q 'reserved.*msg_id' ||
  { echo "buf_breaking_test: msg_id is not reserved" >&2; edits_ok=0; }
bump_ok=$edits_ok
edits_ok=1
edit "$out/tgrpc/raw/v1/types.proto" \
  '/^message InputPeerChat {/,/^}/s/^}$/  int64 appended = 2;\n}/'
append_ok=$edits_ok
edits_ok=1
move_message "$out" InputStickerSetShortName
move_ok=$edits_ok
(cd "$work/allowed" && "$buf" breaking out --against ../base --error-format json) \
  >"$work/allowed.json" 2>"$work/allowed.err"
allowed_rc=$?
if [ "$allowed_rc" != 0 ]; then
  head -n 20 "$work/allowed.json" "$work/allowed.err" | sed 's/^/  /'
fi
ok() { [ "$allowed_rc" = 0 ] && [ "$1" = 1 ] && echo 1 || echo 0; }
result allows-layer-bump "$(ok "$bump_ok")" "buf exit $allowed_rc"
result allows-appended-field "$(ok "$append_ok")" "buf exit $allowed_rc"
result allows-moved-message "$(ok "$move_ok")" "buf exit $allowed_rc"

# Breaking: the same kinds of change, each one that callers would notice.
edits_ok=1
layer breaking
in=$work/breaking/in
edit "$in/api.tl" '/^inputPeerChat#/s/chat_id:long/chat_id:int/'
edit "$in/raw_api.lock" \
  's/^field inputStickerSetShortName short_name 1$/field inputStickerSetShortName short_name 2/'
generate "$work/breaking/out" "$in/api.tl" "$in/raw_api.lock" || edits_ok=0
types=$work/breaking/out/tgrpc/raw/v1/types.proto
edit "$types" '/^message InputPeerUser {/,/^}/s/ user_id = 1;/ user_id = 9;/'
edit "$types" '/^message InputPeerChannel {/,/^}/{/ access_hash = 2;/d}'
edit "$types" '/^message PeerColor {/,/^}/s/optional int32 color = 1;/optional int64 color = 1;/'
(cd "$work/breaking" && "$buf" breaking out --against ../base --error-format json) \
  >"$work/breaking.json" 2>"$work/breaking.err"
breaking_rc=$?
[ -s "$work/breaking.err" ] && sed 's/^/  /' "$work/breaking.err"
# catches CASE RULE MESSAGE: buf failed (exit 100: breaking changes found) with RULE on MESSAGE.
catches() {
  local n
  n=$(findings "$work/breaking.json" "$2" "$3")
  if [ "$edits_ok" = 1 ] && [ "$breaking_rc" = 100 ] && [ "$n" -ge 1 ]; then
    result "$1" 1
  else
    result "$1" 0 "buf exit $breaking_rc, $n $2 on $3"
  fi
}
catches catches-tl-type-change FIELD_WIRE_JSON_COMPATIBLE_TYPE InputPeerChat
catches catches-lock-renumber FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED InputStickerSetShortName
catches catches-renumbered-field FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED InputPeerUser
catches catches-unreserved-delete FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED InputPeerChannel
catches catches-json-type-change FIELD_WIRE_JSON_COMPATIBLE_TYPE PeerColor
# And nothing about what did not change.
changed='on message \\"(InputPeerChat|InputStickerSetShortName|InputPeerUser|InputPeerChannel'
changed+='|PeerColor)\\"'
stray=$(grep -vcE "$changed" "$work/breaking.json")
[ "$stray" = 0 ] || grep -vE "$changed" "$work/breaking.json" | head -n 10 | sed 's/^/  /'
result only-changed-messages "$([ "$stray" = 0 ] && echo 1 || echo 0)" "$stray other findings"
exit "$rc"

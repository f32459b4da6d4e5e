#!/usr/bin/env bash
# Checks the generated raw API (package tgrpc.raw.v1) with buf: `buf lint` under the committed
# proto/raw/buf.yaml, then `buf breaking` (WIRE_JSON, see buf.yaml) against the raw API of a base
# git revision. Prints `rawapi buf-lint PASSED|FAILED` and
# `rawapi buf-breaking PASSED|FAILED (base <rev>)`, and exits non-zero if either failed.
# tests/run_all.sh runs it (a few seconds); tests/rawapi/buf_breaking_test.sh shows that the
# breaking check catches what it should.
#
#   tools/raw_api_buf.sh [--bazel-bin DIR] [--tar FILE] [--tlproto FILE] [--base REV|none]
#
# --bazel-bin DIR  use DIR/proto/raw/raw_api_proto.tar and DIR/tl/rawapi/tlproto as already built
#                  (CI reuses its build); --tar and --tlproto name them one by one. Whatever is
#                  not given is built: bazel build //proto/raw:raw_api //tl/rawapi:tlproto.
# --base REV       the revision to compare with (or $TGRPC_RAWAPI_BASE; `none` skips the check).
#                  Its raw API is REV's tl/schema/api.tl and raw_api.lock run through the current
#                  tlproto, so the check sees schema and lock changes (layer bumps, lock edits),
#                  not generator changes. Default: HEAD when the working tree's api.tl or
#                  raw_api.lock differ from HEAD (the change about to be committed), else HEAD~1
#                  (the change HEAD made, as CI sees a pushed commit). Not "the last commit that
#                  changed them": once a reviewed break is committed, that base would keep failing
#                  every later run. A CI job checking a branch of several commits passes its merge
#                  base. A base without raw_api.lock (before the raw API existed) passes: no base.
# buf is tests/polyglot/node_modules/.bin/buf (deploy/polyglot_setup.sh) unless $TGRPC_BUF.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

bazel_bin="" tar="" tlproto="" base=${TGRPC_RAWAPI_BASE:-}
while [ $# -gt 0 ]; do
  case $1 in
    --bazel-bin | --tar | --tlproto | --base)
      [ $# -ge 2 ] || { echo "raw_api_buf: $1 needs a value" >&2; exit 2; }
      case $1 in
        --bazel-bin) bazel_bin=$2 ;;
        --tar) tar=$2 ;;
        --tlproto) tlproto=$2 ;;
        --base) base=$2 ;;
      esac
      shift 2
      ;;
    *)
      echo "usage: $0 [--bazel-bin DIR] [--tar FILE] [--tlproto FILE] [--base REV|none]" >&2
      exit 2
      ;;
  esac
done
if [ -n "$bazel_bin" ]; then
  tar=${tar:-$bazel_bin/proto/raw/raw_api_proto.tar}
  tlproto=${tlproto:-$bazel_bin/tl/rawapi/tlproto}
elif [ -z "$tar" ] || [ -z "$tlproto" ]; then
  bazel build //proto/raw:raw_api //tl/rawapi:tlproto ||
    { echo "raw_api_buf: build failed" >&2; exit 1; }
  bazel_bin=$(bazel info bazel-bin 2>/dev/null)
  tar=${tar:-$bazel_bin/proto/raw/raw_api_proto.tar}
  tlproto=${tlproto:-$bazel_bin/tl/rawapi/tlproto}
fi
buf=${TGRPC_BUF:-$root/tests/polyglot/node_modules/.bin/buf}

if ! "$buf" --version >/dev/null 2>&1; then
  echo "rawapi buf-lint FAILED (no buf at $buf: run deploy/polyglot_setup.sh)"
  echo "rawapi buf-breaking FAILED (no buf)"
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/current"
tar -xf "$tar" -C "$work/current" || { echo "raw_api_buf: cannot extract $tar" >&2; exit 1; }
cp proto/raw/buf.yaml "$work/current/"

# Prints buf's findings indented, at most 40 of them.
show() {
  local n
  n=$(grep -c '' "$1")
  head -n 40 "$1" | sed 's/^/  /'
  [ "$n" -le 40 ] || echo "  ... $n lines in all"
}

rc=0
if (cd "$work/current" && "$buf" lint) >"$work/lint.out" 2>&1; then
  echo "rawapi buf-lint PASSED"
else
  show "$work/lint.out"
  echo "rawapi buf-lint FAILED"
  rc=1
fi

# `rawapi buf-breaking RESULT (DETAIL)`; FAILED sets rc.
breaking() {
  echo "rawapi buf-breaking $1 ($2)"
  [ "$1" = PASSED ] || rc=1
}

# Names in a directory of generated files: every message, and every RPC as Service/Method.
messages() { cat "$1"/tgrpc/raw/v1/*.proto | sed -nE 's/^message ([A-Za-z0-9_]+) .*/\1/p' | sort; }
rpcs() {
  cat "$1"/tgrpc/raw/v1/*.proto |
    awk '/^service /{s=$2} /^  rpc /{sub(/\(.*/, "", $2); print s "/" $2}' | sort
}

if [ -z "$base" ]; then
  if git diff --quiet HEAD -- tl/schema/api.tl tl/schema/raw_api.lock 2>/dev/null; then
    base=HEAD~1
  else
    base=HEAD
  fi
  explicit=0
else
  explicit=1
fi
if [ "$base" = none ]; then
  breaking PASSED "no base: --base none"
elif ! sha=$(git rev-parse --verify -q "$base^{commit}" 2>/dev/null); then
  if [ "$explicit" = 1 ]; then
    breaking FAILED "base $base: no such commit"
  else
    breaking PASSED "no base: $base is not in this checkout (first commit or shallow clone)"
  fi
else
  label=$base
  [[ $sha == "$base"* ]] || label="$base $(git rev-parse --short "$sha")"
  mkdir "$work/base_in" "$work/base"
  if ! git show "$sha:tl/schema/raw_api.lock" >"$work/base_in/raw_api.lock" 2>/dev/null ||
    ! git show "$sha:tl/schema/api.tl" >"$work/base_in/api.tl" 2>/dev/null; then
    breaking PASSED "no base: $label has no tl/schema/raw_api.lock"
  elif ! "$tlproto" protos "$work/base_in/api.tl" "$work/base_in/raw_api.lock" "$work/base" \
    >"$work/tlproto.out" 2>&1; then
    show "$work/tlproto.out"
    breaking FAILED "base $label: the current tlproto cannot generate it; --base none to skip"
  else
    cp proto/raw/buf.yaml "$work/base/"
    if (cd "$work" && "$buf" breaking current --against base) >"$work/breaking.out" 2>&1; then
      # WIRE_JSON lets a layer drop methods and constructors; say how many it dropped.
      gone_rpcs=$(comm -23 <(rpcs "$work/base") <(rpcs "$work/current") | grep -c '')
      gone_messages=$(comm -23 <(messages "$work/base") <(messages "$work/current") | grep -c '')
      [ "$gone_rpcs$gone_messages" = 00 ] || echo "  note: $gone_rpcs RPCs and" \
        "$gone_messages messages of the base are gone (dropped by the layer; WIRE_JSON allows it)"
      breaking PASSED "base $label"
    else
      show "$work/breaking.out"
      breaking FAILED "base $label"
    fi
  fi
fi
exit "$rc"

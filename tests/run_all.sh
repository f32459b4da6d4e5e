#!/usr/bin/env bash
# The README's test command: build everything, run every test, run the fuzz targets again under
# clang's libFuzzer with AddressSanitizer (own output base; see docs/testing.md), then run the
# independent clients (tests/interop) against fakedc and the polyglot callers (tests/polyglot)
# against tgrpcd, and check the generated raw API with buf (tools/raw_api_buf.sh). Prints a
# closing count line.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
# Our packages, not `//...`: Bazel's convenience link bazel-<checkout dir name> leads into the
# system repository (/usr), which `//...` would walk unless .bazelignore names that directory.
patterns=("//:all")
for d in */; do
  d=${d%/}
  case $d in bazel-*) continue ;; esac
  if [ -n "$(find "$d" -name node_modules -prune -o \( -name BUILD.bazel -o -name BUILD \) -print -quit)" ]; then
    patterns+=("//$d/...")
  fi
done
bazel build -- "${patterns[@]}" || { echo "build failed"; exit 1; }
echo "build: $((SECONDS - start)) s"
log=$(mktemp)
bazel test -- "${patterns[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
echo "gcc tests done: $((SECONDS - start)) s"

if [ "${TGRPC_SKIP_LIBFUZZER:-0}" != 1 ]; then
  # The short form leaves out //tests/fuzz:tl_decode_fuzz, whose generated TL API takes about
  # 3 minutes to compile again under clang with AddressSanitizer on a fresh machine; the gcc
  # pass above ran it (its corpus and seeded mutations). TGRPC_FUZZ_FULL=1 runs it here too.
  fuzz_filter=(-- "${patterns[@]}")
  [ "${TGRPC_FUZZ_FULL:-0}" = 1 ] || fuzz_filter+=(-//tests/fuzz:tl_decode_fuzz)
  fuzz_log=$(mktemp)
  bazel --output_base="$HOME/.cache/bazel-tgrpc-libfuzzer" test --config=libfuzzer \
    --build_tests_only --test_tag_filters=fuzz "${fuzz_filter[@]}" 2>&1 | tee "$fuzz_log"
  fuzz_rc=${PIPESTATUS[0]}
  # Count these as their own tests: the same targets, another engine.
  sed -E 's|^(//[^ ]+)|\1[libfuzzer]|' "$fuzz_log" >> "$log"
  [ "$fuzz_rc" -eq 0 ] || rc=$fuzz_rc
  echo "libfuzzer tests done: $((SECONDS - start)) s"
else
  echo "libfuzzer tests SKIPPED (TGRPC_SKIP_LIBFUZZER=1)"
fi

if [ "${TGRPC_SKIP_INTEROP:-0}" != 1 ]; then
  # mtcute, GramJS and Telethon against the fakedc binary built above, over every transport.
  interop_log=$(mktemp)
  /usr/bin/python3 tests/interop/run_interop.py --fakedc "$(bazel info bazel-bin 2>/dev/null)/tests/fakedc/fakedc" 2>&1 | tee "$interop_log"
  interop_rc=${PIPESTATUS[0]}
  grep -E '^interop [^ ]+ [^ ]+ [^ ]+ (PASSED|FAILED)' "$interop_log" >> "$log"
  [ "$interop_rc" -eq 0 ] || rc=$interop_rc
  echo "interop tests done: $((SECONDS - start)) s"
else
  echo "interop tests SKIPPED (TGRPC_SKIP_INTEROP=1)"
fi

if [ "${TGRPC_SKIP_POLYGLOT:-0}" != 1 ]; then
  # A Node (@grpc/grpc-js) and a Python (python3-grpcio) caller against tgrpcd on fakedc.
  polyglot_log=$(mktemp)
  /usr/bin/python3 tests/polyglot/run_polyglot.py --bazel-bin "$(bazel info bazel-bin 2>/dev/null)" 2>&1 | tee "$polyglot_log"
  polyglot_rc=${PIPESTATUS[0]}
  grep -E '^polyglot [^ ]+ [^ ]+ (PASSED|FAILED)' "$polyglot_log" >> "$log"
  [ "$polyglot_rc" -eq 0 ] || rc=$polyglot_rc
  echo "polyglot tests done: $((SECONDS - start)) s"
else
  echo "polyglot tests SKIPPED (TGRPC_SKIP_POLYGLOT=1)"
fi

if [ "${TGRPC_SKIP_SESSION_IMPORT:-0}" != 1 ]; then
  # Telethon's and GramJS's own session strings moved into tgrpcd and back.
  session_import_log=$(mktemp)
  /usr/bin/python3 tests/session_import/run_session_import.py --bazel-bin "$(bazel info bazel-bin 2>/dev/null)" 2>&1 | tee "$session_import_log"
  session_import_rc=${PIPESTATUS[0]}
  grep -E '^session_import [^ ]+ [^ ]+ (PASSED|FAILED)' "$session_import_log" >> "$log"
  [ "$session_import_rc" -eq 0 ] || rc=$session_import_rc
  echo "session import tests done: $((SECONDS - start)) s"
else
  echo "session import tests SKIPPED (TGRPC_SKIP_SESSION_IMPORT=1)"
fi

if [ "${TGRPC_SKIP_RAWAPI_BUF:-0}" != 1 ]; then
  # The generated raw API under buf (proto/raw/buf.yaml): lint, breaking against the previous
  # commit's schema and lock, and the test that breaking catches what it should. No build, no
  # server: about 10 s.
  rawapi_log=$(mktemp)
  rawapi_bin=$(bazel info bazel-bin 2>/dev/null)
  tools/raw_api_buf.sh --bazel-bin "$rawapi_bin" 2>&1 | tee "$rawapi_log"
  rawapi_rc=${PIPESTATUS[0]}
  tests/rawapi/buf_breaking_test.sh --bazel-bin "$rawapi_bin" 2>&1 | tee -a "$rawapi_log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || rawapi_rc=1
  grep -E '^rawapi [^ ]+ (PASSED|FAILED)' "$rawapi_log" >> "$log"
  [ "$rawapi_rc" -eq 0 ] || rc=$rawapi_rc
  echo "raw API buf checks done: $((SECONDS - start)) s"
else
  echo "raw API buf checks SKIPPED (TGRPC_SKIP_RAWAPI_BUF=1)"
fi

if [ "${TGRPC_SKIP_IMAGE:-0}" != 1 ]; then
  # The OCI images (deploy/build_image.sh: strip, buildah) checked offline by
  # deploy/image_test.sh, about 25 s. The test run packages the binaries this run built
  # (.bazelrc builds with -O2 -g0) instead of building -c opt again; the release build is
  # `bash deploy/build_image.sh` alone.
  image_log=$(mktemp)
  { TGRPC_IMAGE_BIN="$(bazel info bazel-bin 2>/dev/null)" bash deploy/build_image.sh &&
    bash deploy/image_test.sh; } 2>&1 | tee "$image_log"
  image_rc=${PIPESTATUS[0]}
  grep -E '^image [^ ]+ (PASSED|FAILED)' "$image_log" >> "$log"
  [ "$image_rc" -eq 0 ] || rc=$image_rc
  echo "image tests done: $((SECONDS - start)) s"
else
  echo "image tests SKIPPED (TGRPC_SKIP_IMAGE=1)"
fi

if [ "${TGRPC_SKIP_K8S:-0}" != 1 ]; then
  # deploy/k8s offline: each overlay renders, validates against the Kubernetes schemas, passes
  # the policy checks and yamllint, and tgrpcd parses the pod's settings (about 10 s).
  k8s_log=$(mktemp)
  deploy/k8s/check.sh --bazel-bin "$(bazel info bazel-bin 2>/dev/null)" 2>&1 | tee "$k8s_log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
  grep -E '^k8s [^ ]+ [^ ]+ (PASSED|FAILED)' "$k8s_log" >> "$log"
  echo "k8s checks done: $((SECONDS - start)) s"
else
  echo "k8s checks SKIPPED (TGRPC_SKIP_K8S=1)"
fi

passed=$(grep -cE '^(//[^ ]+|interop [^ ]+ [^ ]+ [^ ]+|polyglot [^ ]+ [^ ]+|session_import [^ ]+ [^ ]+|rawapi [^ ]+|k8s [^ ]+ [^ ]+|image [^ ]+) +(\(cached\) )?PASSED' "$log" || true)
failed=$(grep -cE '^(//[^ ]+|interop [^ ]+ [^ ]+ [^ ]+|polyglot [^ ]+ [^ ]+|session_import [^ ]+ [^ ]+|rawapi [^ ]+|k8s [^ ]+ [^ ]+|image [^ ]+) +(FAILED|TIMEOUT|NO STATUS|INCOMPLETE)' "$log" || true)
echo "tests: $passed passed, $failed failed"
echo "total: $((SECONDS - start)) s"
exit "$rc"

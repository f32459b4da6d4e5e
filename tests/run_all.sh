#!/usr/bin/env bash
# The README's test command: build everything and run every test. Prints a closing count line.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
bazel build //... || { echo "build failed"; exit 1; }
echo "build: $((SECONDS - start)) s"
log=$(mktemp)
bazel test //... 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log" || true)
failed=$(grep -cE '^//[^ ]+ +(FAILED|TIMEOUT|NO STATUS|INCOMPLETE)' "$log" || true)
echo "tests: $passed passed, $failed failed"
echo "total: $((SECONDS - start)) s"
exit "$rc"

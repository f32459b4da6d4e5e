#!/bin/bash
# Appends to tl/schema/raw_api.lock what the pinned schema has that the lock lacks (run after
# tl/schema/update_schema.py bumps the layer). Prints each change; numbers already in the lock
# never change. The build fails, naming this script, while the lock is stale.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bazel build //tl/rawapi:tlproto
bazel-bin/tl/rawapi/tlproto update-lock "$root/tl/schema/api.tl" "$root/tl/schema/raw_api.lock"

#!/bin/bash
# Writes every .proto file a caller needs into OUT_DIR, to generate stubs in any language:
#   OUT_DIR/tgrpc/raw/v1/*.proto   the raw API, generated from the pinned TL layer (build output)
#   OUT_DIR/tgrpc/v1/*.proto       the hand-designed API
#   OUT_DIR/google/rpc/*.proto     the error details tgrpcd sends
#   OUT_DIR/tgrpc_raw_v1.protoset  the raw API's descriptor set (imports included)
# Usage: tools/raw-api-protos.sh OUT_DIR
# The raw files use proto3 `optional`: protoc 3.15 or newer (Debian 12's protoc is 3.21).
set -euo pipefail
out="${1:?usage: tools/raw-api-protos.sh OUT_DIR}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bazel build //proto/raw:raw_api >&2
bin="$(bazel info bazel-bin 2>/dev/null)"
mkdir -p "$out"
tar -xf "$bin/proto/raw/raw_api_proto.tar" -C "$out"
cp "$bin/proto/raw/raw_api.protoset" "$out/tgrpc_raw_v1.protoset"
mkdir -p "$out/tgrpc/v1" "$out/google/rpc"
cp proto/tgrpc/v1/*.proto "$out/tgrpc/v1/"
cp proto/google/rpc/*.proto "$out/google/rpc/"
chmod -R u+w "$out"
echo "$(find "$out" -name '*.proto' | wc -l) .proto files in $out" >&2

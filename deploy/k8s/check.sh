#!/usr/bin/env bash
# Checks deploy/k8s offline, overlay by overlay (single, scaled, sandbox), and prints one line per
# check, `k8s <overlay> <check> PASSED|FAILED[: detail]`, with every problem of a failed check
# indented below it. Exits non-zero if any failed. About 10 s after deploy/k8s_setup.sh.
#   render    kubectl kustomize renders the overlay
#   schema    every object validates against its Kubernetes schema, no unknown fields
#             (validate.mjs: kubernetes-models; the ServiceMonitor by
#             @kubernetes-models/prometheus-operator)
#   policy    what README.md promises: restricted security contexts, requests and limits, gRPC
#             probes (readiness on tgrpc.readiness), a grace period longer than preStop +
#             shutdown_grace (+ the handover in cluster mode), a PodDisruptionBudget that lets
#             drains proceed one pod at a time, NetworkPolicy and ServiceMonitor for the pods,
#             Secrets as files only, a namespace on every object; in cluster mode (peer_listen)
#             the peer port as a container port reachable from tgrpcd's own pods only and
#             published by no Service, POD_IP from status.podIP as advertise_host, the pod name
#             as instance; and what the overlay is (scaled: a Deployment of 3 in cluster mode,
#             rolling maxSurge 1 / maxUnavailable 0; single and sandbox: one, not) (policy.mjs)
#   yamllint  the overlay's and the base's sources and the rendered output (.yamllint)
#   config    the real tgrpcd parses the pod's settings and exits: the rendered ConfigMap's
#             files, the Secrets as files (examples/secrets/ where the overlay makes none),
#             the environment and the args, through `tgrpcd <args> --version`; it reads every
#             --config file (each, spoilt, makes it fail); and in cluster mode it reads
#             peer_listen (without the database's file it refuses: cluster mode needs
#             PostgreSQL) and lease_ttl (spoilt out of range wherever the pod sets it, refused)
# and `k8s scaled policy-spoilt`: policy.mjs reports each of a list of spoilt variants of the
# rendered scaled overlay (policy_test.mjs), and `k8s sandbox fakedc-key`: the sandbox's copy of
# the tests' RSA key is still that key and public.pem its public half.
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
# The checks of an overlay after render, in order.
checks_after_render() {  # overlay
  echo schema policy
  [ "$1" != scaled ] || echo policy-spoilt
  echo yamllint config
}
fail_all() {  # reason: every check of every overlay fails with it
  local overlay check
  for overlay in "${overlays[@]}"; do
    for check in render $(checks_after_render "$overlay"); do
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
  check_cluster_config
}

# Runs tgrpcd with the pod's settings changed: $1 a filter (keeps or rewrites one arg or env
# entry, printing it or nothing), $2 the words its refusal must name. Uses args and env of
# check_config.
# shellcheck disable=SC2317  # called through check_config
refused_without() {  # filter words what
  local filter=$1 words=$2 what=$3 a new_args=() new_env=() out
  for a in "${args[@]}"; do
    a=$("$filter" "$a") && new_args+=("$a")
  done
  for a in "${env[@]}"; do
    a=$("$filter" "$a") && new_env+=("$a")
  done
  if out=$(env -i "${new_env[@]}" "$tgrpcd" "${new_args[@]}" --version 2>&1); then
    echo "tgrpcd accepted the pod's settings $what"
    return 1
  fi
  if [[ ${out%%$'\n'*} != *"$words"* ]]; then
    echo "tgrpcd refused the pod's settings $what, but not for $words: ${out%%$'\n'*}"
    return 1
  fi
}

# The --config files among the args that set a JSON key.
# shellcheck disable=SC2317
config_files_with() {  # key
  local arg
  for arg in "${args[@]}"; do
    [[ $arg == --config=* ]] || continue
    node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
             process.exit(Object.hasOwn(j, process.argv[2]) ? 0 : 1)' "${arg#--config=}" "$1" &&
      echo "${arg#--config=}"
  done
}

# shellcheck disable=SC2317
drop_db() {  # the database, wherever the pod sets it: --db, TGRPC_DB, a --config file with "db"
  case $1 in
    --db=* | TGRPC_DB=*) return 1 ;;
    --config=*) [[ " ${db_files[*]} " != *" ${1#--config=} "* ]] || return 1 ;;
  esac
  printf '%s' "$1"
}
# shellcheck disable=SC2317
spoil_lease_ttl() {  # lease_ttl out of range (tgrpcd takes 500ms..10m) in flags and environment
  case $1 in
    --lease_ttl=*) printf '%s' --lease_ttl=100ms ;;
    TGRPC_LEASE_TTL=*) printf '%s' TGRPC_LEASE_TTL=100ms ;;
    *) printf '%s' "$1" ;;
  esac
}

# Cluster mode (peer_listen set by a flag, TGRPC_PEER_LISTEN or a --config file): tgrpcd reads
# peer_listen and lease_ttl from where the pod sets them.
# shellcheck disable=SC2317
check_cluster_config() {
  local a cluster=0 db_files=() lease_files=() lease_elsewhere=0 file
  for a in "${args[@]}" "${env[@]}"; do
    [[ $a == --peer_listen=?* || $a == TGRPC_PEER_LISTEN=?* ]] && cluster=1
    [[ $a == --lease_ttl=* || $a == TGRPC_LEASE_TTL=* ]] && lease_elsewhere=1
  done
  [ -n "$(config_files_with peer_listen)" ] && cluster=1
  ((cluster)) || return 0
  mapfile -t db_files < <(config_files_with db)
  refused_without drop_db peer_listen "without its database" || return 1
  mapfile -t lease_files < <(config_files_with lease_ttl)
  ((${#lease_files[@]} || lease_elsewhere)) || return 0
  for file in "${lease_files[@]}"; do
    cp "$file" "$file.good"
    node -e 'const fs = require("fs"), f = process.argv[1], j = JSON.parse(fs.readFileSync(f))
             j.lease_ttl = "100ms"; fs.writeFileSync(f, JSON.stringify(j))' "$file"
  done
  local status=0
  refused_without spoil_lease_ttl lease_ttl "with lease_ttl 100ms" || status=1
  for file in "${lease_files[@]}"; do mv "$file.good" "$file"; done
  return "$status"
}

for overlay in "${overlays[@]}"; do
  rendered=$work/$overlay.yaml
  if ! [ -f "overlays/$overlay/kustomization.yaml" ]; then
    report "$overlay" render FAILED "no overlays/$overlay/kustomization.yaml"
    continue
  fi
  run_check "$overlay" render "$kubectl" kustomize "overlays/$overlay" -o "$rendered"
  if ! [ -s "$rendered" ]; then
    for check in $(checks_after_render "$overlay"); do
      report "$overlay" "$check" FAILED "not rendered"
    done
    continue
  fi
  run_check "$overlay" schema node validate.mjs schema "$rendered"
  run_check "$overlay" policy node validate.mjs policy "$rendered" "$overlay"
  if [ "$overlay" = scaled ]; then
    run_check "$overlay" policy-spoilt node policy_test.mjs "$rendered"
  fi
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

#!/usr/bin/env bash
# Checks the images deploy/build_image.sh built, offline and without a container runtime (none
# can run here): each image is pushed from buildah's storage to an OCI layout, its config read
# and its layers unpacked (owners kept, whiteouts applied) into a directory, and then:
#
#   entrypoint   the config's ENTRYPOINT is the binary (exec form: no shell needed)
#   user         USER is numeric and not root, with an /etc/passwd entry
#   binary       the layers hold the binary, stripped
#   libraries    every library `ldd <binary>` names is in the layers, and the image's own loader,
#                run in a chroot of the unpacked image, resolves them all there
#   state_volume VOLUME is the state directory, owned by USER, mode 0700
#   read_only    nothing else in the image is writable by USER or by anyone
#   no_shell     no /bin/sh or /bin/bash (scratch base only)
#   ports, labels  EXPOSE and the OCI labels
#   version (tgrpcd)  `tgrpcd --version` in a chroot of the image, as USER, says the label's version
#   usage (fakedc)    `fakedc --help` in the chroot prints its usage
#   serve        the ENTRYPOINT (and fakedc's CMD but its address and ports) runs in a chroot of
#                the image as USER under a read-only root (a read-only bind mount in a mount
#                namespace of its own) with the state directory a writable volume, as a runtime
#                would start it: fakedc until its ready line and public.pem; tgrpcd until its
#                ready line, grpc.health.v1 SERVING, /metrics, and a clean exit on SIGTERM with
#                tgrpc.db and master.key in the volume
#   sandbox      tgrpcd in its image signs in a test number on fakedc in its image: CreateAccount,
#                StartLogin (CODE_SENT), SubmitCode (SIGN_UP_NEEDED) through a host name in
#                --sandbox_dcs (the image's nsswitch.conf, /etc/hosts as a runtime would mount it)
#
# Prints `image <image>.<check> PASSED|FAILED[: detail]`, each image's size (compressed layer
# bytes and unpacked bytes), and `image: N passed, M failed`; exits 1 if anything failed. Runs as
# root (buildah's storage, chroot, mount namespace).
#
#   bash deploy/image_test.sh [--tgrpcd=localhost/tgrpcd:latest] [--fakedc=localhost/tgrpc-fakedc:latest] [--keep]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

tgrpcd_image=localhost/tgrpcd:latest
fakedc_image=localhost/tgrpc-fakedc:latest
keep=0
for arg in "$@"; do
  case $arg in
    --tgrpcd=*) tgrpcd_image=${arg#*=} ;;
    --fakedc=*) fakedc_image=${arg#*=} ;;
    --keep) keep=1 ;;
    *) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
# Debian's python3, which has python3-grpcio and python3-protobuf (a python3 first on PATH may not).
py=/usr/bin/python3
[ "$(id -u)" -eq 0 ] || { echo "image_test: run as root" >&2; exit 2; }
start=$SECONDS

work=$(mktemp -d /var/tmp/tgrpc-image-test.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  if [ "$keep" = 1 ]; then echo "image_test: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

passed=0
failed=0
result() {  # $1 image.check, $2 "" for PASSED or the failure, $3 detail when passed
  if [ -z "$2" ]; then
    echo "image $1 PASSED${3:+: $3}"
    passed=$((passed + 1))
  else
    echo "image $1 FAILED: $2"
    failed=$((failed + 1))
  fi
}

# OCI layout -> the config and the layers; config -> the fields the checks read.
cat >"$work/oci.py" <<'EOF'
import json, os, sys

def blob(layout, digest):
    algo, hexdigest = digest.split(":", 1)
    return os.path.join(layout, "blobs", algo, hexdigest)

cmd, arg = sys.argv[1], sys.argv[2]
if cmd == "layout":  # prints "config PATH" and "layer PATH SIZE MEDIATYPE" lines
    index = json.load(open(os.path.join(arg, "index.json")))
    manifest = json.load(open(blob(arg, index["manifests"][0]["digest"])))
    print("config", blob(arg, manifest["config"]["digest"]))
    for layer in manifest["layers"]:
        print("layer", blob(arg, layer["digest"]), layer["size"], layer["mediaType"])
elif cmd == "field":  # prints one config field: a string as is, a list NUL-separated, a dict's keys
    config = json.load(open(arg)).get("config", {})
    value = config.get(sys.argv[3])
    if isinstance(value, list):
        sys.stdout.write("".join(v + "\0" for v in value))
    elif isinstance(value, dict):
        if sys.argv[3] == "Labels":
            sys.stdout.write("".join(f"{k}={v}\0" for k, v in sorted(value.items())))
        else:
            sys.stdout.write("".join(k + "\0" for k in sorted(value)))
    elif value is not None:
        sys.stdout.write(str(value))
EOF

# Pushes image $2 to an OCI layout and unpacks it into $work/$1/rootfs.
unpack() {
  local name=$1 image=$2 dir=$work/$1 kind path size compressed=0 unpacked=0 layers=0 entry
  mkdir -p "$dir/rootfs"
  if ! buildah push --quiet "$image" "oci:$dir/oci:latest" >"$dir/push.log" 2>&1; then
    echo "image_test: buildah push $image failed: $(tail -1 "$dir/push.log")" >&2
    return 1
  fi
  while read -r kind path size _; do
    if [ "$kind" = config ]; then
      cp "$path" "$dir/config.json"
      continue
    fi
    layers=$((layers + 1))
    compressed=$((compressed + size))
    unpacked=$((unpacked + $(zcat -f "$path" | wc -c)))
    # Whiteouts first: .wh.NAME deletes NAME of the layers below, .wh..wh..opq a directory's
    # contents; then the layer's own files, owners and modes as recorded.
    while IFS= read -r entry; do
      entry=${entry#./}
      case ${entry##*/} in
        .wh..wh..opq) rm -rf "${dir:?}/rootfs/$(dirname "$entry")"/* ;;
        .wh.*) rm -rf "$dir/rootfs/$(dirname "$entry")/$(basename "$entry" | sed 's/^\.wh\.//')" ;;
      esac
    done < <(zcat -f "$path" | tar -t)
    zcat -f "$path" | tar -x --numeric-owner --same-owner --same-permissions \
      --exclude='.wh.*' -C "$dir/rootfs" || return 1
  done < <("$py" "$work/oci.py" layout "$dir/oci")
  echo "image $name size: layers=$layers compressed_bytes=$compressed unpacked_bytes=$unpacked"
  echo "$compressed $unpacked" >"$dir/sizes"
}

field() { "$py" "$work/oci.py" field "$work/$1/config.json" "$2"; }

# Runs the image's $1 command (argv after $3) in a chroot of its rootfs, as the image's USER and
# with its Env, the root read-only and $2 (a host directory) mounted at the state directory, in
# a mount namespace of its own. exec all the way down, from this shell on: run it in a subshell
# ($(...) or &), whose pid is then the program's.
run_in_image() {
  local name=$1 volume=$2 rootfs=$work/$1/rootfs user state env=()
  shift 2
  user=$(field "$name" User)
  state=$(field "$name" Volumes | tr '\0' '\n' | head -1)
  mapfile -d '' -t env < <(field "$name" Env)
  # shellcheck disable=SC2016  # the inner script's own variables
  exec unshare --mount -- /bin/bash -c '
    set -e
    rootfs=$1 state=$2 volume=$3
    shift 3
    mount --bind "$rootfs" "$rootfs"
    mount --bind "$volume" "$rootfs$state"
    mount -o remount,bind,ro "$rootfs"
    exec "$@"' run_in_image "$rootfs" "$state" "$volume" \
    env -i "${env[@]}" chroot --userspec="$user" "$rootfs" "$@"
}

# Waits for a JSON line in $1 from pid $2 (up to $3 seconds); prints it.
wait_ready() {
  local line
  for _ in $(seq $(($3 * 10))); do
    line=$(grep -m1 '^{' "$1" 2>/dev/null) && { echo "$line"; return 0; }
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Stops pid $1 with SIGTERM; returns its exit code (124 if it is still running after $2 s).
stop() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq $(($2 * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    return 124
  fi
  wait "$pid"
}

# The static checks, the same for both images. $1 name, $2 binary path, $3 state dir, $4 ports.
static_checks() {
  local name=$1 binary=$2 state=$3 ports=$4 rootfs=$work/$1/rootfs entrypoint=() user uid
  local err detail base lib missing=() resolved sonames=0 out writable p labels=() l

  mapfile -d '' -t entrypoint < <(field "$name" Entrypoint)
  err=
  [ "${entrypoint[0]:-}" = "$binary" ] || err="ENTRYPOINT is [${entrypoint[*]}], not $binary"
  result "$name.entrypoint" "$err" "[${entrypoint[*]}]"

  user=$(field "$name" User)
  uid=${user%%:*}
  err=
  if ! [[ $uid =~ ^[0-9]+$ ]]; then
    err="USER \"$user\" is not numeric"
  elif [ "$uid" -eq 0 ]; then
    err="USER is root"
  elif ! grep -q "^[^:]*:[^:]*:$uid:" "$rootfs/etc/passwd" 2>/dev/null; then
    err="no /etc/passwd entry for $uid"
  fi
  result "$name.user" "$err" "$user ($(grep "^[^:]*:[^:]*:$uid:" "$rootfs/etc/passwd" 2>/dev/null | cut -d: -f1))"

  err=
  if [ ! -f "$rootfs$binary" ] || [ ! -x "$rootfs$binary" ]; then
    err="no executable $binary in the layers"
  elif readelf -S "$rootfs$binary" | grep -q '\.symtab'; then
    err="$binary is not stripped (it has .symtab)"
  fi
  result "$name.binary" "$err" "$binary, $(stat -c %s "$rootfs$binary" 2>/dev/null) bytes, stripped"

  # What the host's ldd names (paths and sonames) against what the image's loader finds inside.
  err=
  out=$(ldd "$rootfs$binary" 2>&1) || err="ldd failed: $out"
  if [ -z "$err" ]; then
    sonames=0
    while read -r lib; do
      sonames=$((sonames + 1))
      [ -e "$rootfs$lib" ] || missing+=("$lib")
    done < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$out")
    ((${#missing[@]})) && err="not in the layers: ${missing[*]}"
  fi
  if [ -z "$err" ]; then
    local loader
    loader=$(readelf -l "$rootfs$binary" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
    resolved=$(chroot "$rootfs" "$loader" --list "$binary" 2>&1) ||
      err="the image's loader $loader failed: $(head -3 <<<"$resolved")"
    if [ -z "$err" ] && grep -q 'not found' <<<"$resolved"; then
      err="the image's loader finds no $(grep 'not found' <<<"$resolved" | awk '{print $1}' | paste -sd' ')"
    fi
    # The same sonames on both sides.
    if [ -z "$err" ] && ! diff <(awk '$2 == "=>" {print $1}' <<<"$out" | sort) \
      <(awk '$2 == "=>" {print $1}' <<<"$resolved" | sort) >/dev/null; then
      err="the image's loader resolves other libraries than ldd names"
    fi
  fi
  result "$name.libraries" "$err" "the $sonames files ldd names (loader included) are in the layers; the image's loader resolves all"

  err=
  if ! field "$name" Volumes | tr '\0' '\n' | grep -qx "$state"; then
    err="VOLUME is not $state"
  elif [ "$(stat -c '%u %a' "$rootfs$state" 2>/dev/null)" != "$uid 700" ]; then
    err="$state is $(stat -c 'owner %u mode %a' "$rootfs$state" 2>/dev/null), not owner $uid mode 700"
  fi
  result "$name.state_volume" "$err" "VOLUME $state, owner $uid, mode 0700"

  # Read-only root friendly: USER owns nothing else and nothing is world-writable but sticky
  # directories (a Debian base's /tmp), so with a read-only root nothing it expects to write is
  # outside the volume.
  writable=$(find "$rootfs" \( -path "$rootfs$state" -prune \) -o \( -uid "$uid" -o -gid "$uid" \
    -o \( -perm -0002 ! -type l ! \( -type d -perm -1000 \) \) \) -print 2>/dev/null |
    sed "s|^$rootfs||; s|^$|/|" | head -5)
  writable=$(grep -vx "$state" <<<"$writable")
  result "$name.read_only" "${writable:+writable outside $state: $(paste -sd' ' <<<"$writable")}" \
    "nothing outside $state is USER's or world-writable"

  base=$(field "$name" Labels | tr '\0' '\n' | sed -n 's/^org.opencontainers.image.base.name=//p')
  if [ "$base" = scratch ]; then
    err=
    for p in /bin/sh /usr/bin/sh /bin/bash /usr/bin/bash /bin/busybox; do
      [ -e "$rootfs$p" ] || [ -L "$rootfs$p" ] && err="$p is in the image"
    done
    result "$name.no_shell" "$err" "no sh, bash or busybox"
  fi

  err=
  for p in $ports; do
    field "$name" ExposedPorts | tr '\0' '\n' | grep -qx "$p" || err="$err $p not exposed"
  done
  result "$name.ports" "${err# }" "EXPOSE $ports"

  mapfile -d '' -t labels < <(field "$name" Labels)
  err=
  for l in title description version revision created base.name; do
    printf '%s\n' "${labels[@]}" | grep -q "^org.opencontainers.image.$l=." ||
      err="$err org.opencontainers.image.$l"
  done
  result "$name.labels" "${err:+missing:$err}" "org.opencontainers.image.{title,description,version,revision,created,base.name}"
}

label() { field "$1" Labels | tr '\0' '\n' | sed -n "s/^$2=//p"; }

# --- tgrpcd and fakedc: static checks ---
ok_tgrpcd=1
ok_fakedc=1
unpack tgrpcd "$tgrpcd_image" || { result tgrpcd.unpack "cannot push or unpack $tgrpcd_image"; ok_tgrpcd=0; }
unpack fakedc "$fakedc_image" || { result fakedc.unpack "cannot push or unpack $fakedc_image"; ok_fakedc=0; }
[ "$ok_tgrpcd" = 1 ] && static_checks tgrpcd /usr/local/bin/tgrpcd /var/lib/tgrpc "50051/tcp 9464/tcp"
[ "$ok_fakedc" = 1 ] &&
  static_checks fakedc /usr/local/bin/fakedc /var/lib/fakedc "4431/tcp 4432/tcp 4433/tcp 4434/tcp"

# --- tgrpcd --version, fakedc --help: as USER in a chroot of the image ---
if [ "$ok_tgrpcd" = 1 ]; then
  mkdir -p "$work/scratch-volume"
  out=$(run_in_image tgrpcd "$work/scratch-volume" /usr/local/bin/tgrpcd --version 2>&1)
  rc=$?
  version=$(label tgrpcd org.opencontainers.image.version)
  err=
  [ "$rc" -eq 0 ] || err="exit $rc: $(head -3 <<<"$out")"
  [ -z "$err" ] && [[ $out != "tgrpcd $version "* ]] && err="printed \"$out\", label version $version"
  result tgrpcd.version "$err" "$out"
fi
if [ "$ok_fakedc" = 1 ]; then
  mapfile -d '' -t entrypoint < <(field fakedc Entrypoint)
  mkdir -p "$work/scratch-volume"
  out=$(run_in_image fakedc "$work/scratch-volume" "${entrypoint[@]}" --help 2>&1)
  rc=$?
  err=
  # fakedc has no --help: an unknown flag prints the usage and exits 2.
  [ "$rc" -eq 2 ] && grep -q '^usage: fakedc' <<<"$out" || err="exit $rc: $(head -3 <<<"$out")"
  result fakedc.usage "$err" "fakedc --help: usage, exit 2"
fi

# A state volume as a runtime makes one from the image's directory: same owner and mode.
make_volume() {  # $1 image, $2 state dir -> prints the host dir
  local dir=$work/$1-volume
  mkdir -p "$dir"
  chown --reference="$work/$1/rootfs$2" "$dir"
  chmod --reference="$work/$1/rootfs$2" "$dir"
  echo "$dir"
}

# --- serve: fakedc, then tgrpcd against it ---
fakedc_ready=
if [ "$ok_fakedc" = 1 ]; then
  volume=$(make_volume fakedc /var/lib/fakedc)
  mapfile -d '' -t entrypoint < <(field fakedc Entrypoint)
  mapfile -d '' -t cmd < <(field fakedc Cmd)
  # CMD but its address and ports (loopback, any free ports: this machine's, not a pod's).
  args=()
  for a in "${cmd[@]}"; do
    case $a in --address=* | --ports=*) ;; *) args+=("$a") ;; esac
  done
  run_in_image fakedc "$volume" "${entrypoint[@]}" "${args[@]}" --address=127.0.0.1 \
    --members=100 >"$work/fakedc.out" 2>"$work/fakedc.err" &
  fakedc_pid=$!
  pids+=("$fakedc_pid")
  err=
  if ! fakedc_ready=$(wait_ready "$work/fakedc.out" "$fakedc_pid" 30); then
    err="no ready line: $(tail -3 "$work/fakedc.err")"
  elif [ "$(stat -c %u "$volume/public.pem" 2>/dev/null)" != "$(field fakedc User | cut -d: -f1)" ]; then
    err="no public.pem of USER's in the volume"
  fi
  result fakedc.serve "$err" "ready under a read-only root: $(grep -o '"endpoints":\[[^]]*\]' <<<"$fakedc_ready")"
fi

if [ "$ok_tgrpcd" = 1 ]; then
  volume=$(make_volume tgrpcd /var/lib/tgrpc)
  mapfile -d '' -t entrypoint < <(field tgrpcd Entrypoint)
  token=image-test-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  args=(--listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 "--token=image-test:$token")
  if [ -n "$fakedc_ready" ]; then
    # The fakedc by a host name, as a cluster's Service: /etc/hosts is what a runtime mounts.
    printf '127.0.0.1 localhost fakedc\n' >"$work/tgrpcd/rootfs/etc/hosts"
    dcs=$("$py" -c 'import json, sys
ready = json.loads(sys.argv[1])
print(",".join("%d=fakedc:%d" % (e["dc"], e["port"]) for e in ready["endpoints"] if not e["media_only"]))' "$fakedc_ready")
    install -m 0644 -o 0 -g 0 "$work/fakedc-volume/public.pem" "$volume/fakedc.pem"
    args+=(--telegram=sandbox "--sandbox_dcs=$dcs" --sandbox_public_key=/var/lib/tgrpc/fakedc.pem)
  else
    # No fakedc to point at: Telegram's settings, never used (no account is made).
    args+=(--api_id=1 --api_hash=0123456789abcdef0123456789abcdef)
  fi
  run_in_image tgrpcd "$volume" "${entrypoint[@]}" "${args[@]}" >"$work/tgrpcd.out" \
    2>"$work/tgrpcd.err" &
  tgrpcd_pid=$!
  pids+=("$tgrpcd_pid")
  err=
  detail=
  if ! ready=$(wait_ready "$work/tgrpcd.out" "$tgrpcd_pid" 30); then
    err="no ready line: $(tail -3 "$work/tgrpcd.err")"
  fi
  if [ -z "$err" ]; then
    grpc_port=$(sed -n 's/.*"grpc_port": *\([0-9]*\).*/\1/p' <<<"$ready")
    metrics_port=$(sed -n 's/.*"metrics_port": *\([0-9]*\).*/\1/p' <<<"$ready")
    # grpc.health.v1.Health/Check with an empty request: SERVING is field 1 = 1 (08 01).
    if ! out=$("$py" - "$grpc_port" "$token" "$metrics_port" 2>&1 <<'EOF'
import sys, urllib.request
import grpc
port, token, metrics_port = sys.argv[1], sys.argv[2], sys.argv[3]
channel = grpc.insecure_channel(f"127.0.0.1:{port}")
check = channel.unary_unary("/grpc.health.v1.Health/Check",
                            request_serializer=lambda m: m, response_deserializer=lambda m: m)
answer = check(b"", timeout=10, metadata=[("authorization", f"Bearer {token}")])
if answer != b"\x08\x01":
    sys.exit(f"health answered {answer.hex()}, not SERVING (0801)")
with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as r:
    body = r.read().decode()
    if r.status != 200 or "tgrpc_" not in body:
        sys.exit(f"/metrics: HTTP {r.status}, {len(body)} bytes, no tgrpc_ metric")
print(f"health SERVING, /metrics {len(body)} bytes")
EOF
    ); then
      err=$(tail -1 <<<"$out")
    else
      detail="ready line, $out"
    fi
  fi

  # The sandbox: a test number of DC 1 (its code is 11111) signs in through both images.
  if [ -n "$fakedc_ready" ] && [ -z "$err" ]; then
    protoc --include_imports --descriptor_set_out="$work/api.pb" -I proto \
      proto/tgrpc/v1/account.proto 2>"$work/protoc.err"
    sandbox_err=
    sandbox_out=$("$py" - "$work/api.pb" "$grpc_port" "$token" 2>&1 <<'EOF'
import sys
import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
descriptors, port, token = sys.argv[1:4]
pool = descriptor_pool.DescriptorPool()
files = descriptor_pb2.FileDescriptorSet.FromString(open(descriptors, "rb").read())
for f in files.file:
    pool.Add(f)
factory = message_factory.MessageFactory(pool)
service = pool.FindServiceByName("tgrpc.v1.AccountService")
channel = grpc.insecure_channel(f"127.0.0.1:{port}")
steps = []

def call(method, request):
    m = service.FindMethodByName(method)
    request_class = factory.GetPrototype(m.input_type)
    response_class = factory.GetPrototype(m.output_type)
    stub = channel.unary_unary(f"/tgrpc.v1.AccountService/{method}",
                               request_serializer=lambda r: r.SerializeToString(),
                               response_deserializer=response_class.FromString)
    response = stub(json_format.ParseDict(request, request_class()), timeout=30,
                    metadata=[("authorization", f"Bearer {token}")])
    return json_format.MessageToDict(response)

call("CreateAccount", {"account_id": "image-test", "account": {"phone_number": "+9996610001"}})
for method, request, want in [
        ("StartLogin", {"name": "accounts/image-test"}, "CODE_SENT"),
        ("SubmitCode", {"name": "accounts/image-test", "code": "11111"}, "SIGN_UP_NEEDED")]:
    step = call(method, request).get("step")
    if step != want:
        sys.exit(f"{method}: step {step}, not {want}")
    steps.append(f"{method} {step}")
print(", ".join(steps))
EOF
    ) || sandbox_err=$(tail -1 <<<"$sandbox_out")
  fi

  if [ -z "$err" ]; then
    stop "$tgrpcd_pid" 20
    rc=$?
    if [ "$rc" -ne 0 ]; then
      err="SIGTERM: exit $rc: $(tail -2 "$work/tgrpcd.err")"
    else
      uid=$(field tgrpcd User | cut -d: -f1)
      for f in tgrpc.db master.key; do
        [ "$(stat -c %u "$volume/$f" 2>/dev/null)" = "$uid" ] || err="$err no $f of USER's in the volume"
      done
      err=${err# }
    fi
  fi
  result tgrpcd.serve "$err" "under a read-only root: $detail, SIGTERM exit 0, tgrpc.db and master.key in the volume"
  if [ -n "$fakedc_ready" ]; then
    result sandbox.signin "${sandbox_err:-${err:+tgrpcd did not serve}}" \
      "tgrpcd's image on fakedc's image by host name: ${sandbox_out:-}"
  fi
fi
if [ -n "$fakedc_ready" ]; then
  stop "$fakedc_pid" 10
  rc=$?
  result fakedc.stop "$([ "$rc" -eq 0 ] || echo "SIGTERM: exit $rc: $(tail -2 "$work/fakedc.err")")" \
    "SIGTERM: exit 0"
fi

echo "image_test: $((SECONDS - start)) s" >&2
echo "image: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Builds tgrpc's two OCI images offline with buildah, from deploy/Containerfile (tgrpcd) and
# deploy/Containerfile.fakedc (fakedc, for a sandbox in a cluster):
#
#     bash deploy/image_setup.sh && bash deploy/build_image.sh && bash deploy/image_test.sh
#
# It builds the binaries with `bazel build -c opt`, strips them, stages one build context per image
# (the binary, and rootfs.tar: the dynamic loader and the libraries `ldd` names, /etc/passwd and
# /etc/group with the user 65532, /etc/nsswitch.conf, the state directory owned by 65532; fakedc's
# also has tl/schema) and runs `buildah bud` on the Containerfile, which only ADDs and COPYs: no
# RUN step, no container runtime, no network. Images land in buildah's local storage as
#   localhost/tgrpcd:<version>, localhost/tgrpcd:latest,
#   localhost/tgrpc-fakedc:<version>, localhost/tgrpc-fakedc:latest
# (with --base=debian: tags <version>-debian and debian). Layer timestamps are the commit's time
# (SOURCE_DATE_EPOCH overrides), so the same binaries give the same layers.
#
# Options:
#   --base=scratch   (default) nothing but the files above: tgrpcd's image is 19 MB
#                    compressed, 46 MB unpacked (deploy/README.md)
#   --base=debian    the same on a Debian 12 `debootstrap --variant=minbase` tree with the Debian
#                    packages of those libraries installed instead of copied (2.5 to 6 times the size;
#                    the tree is cached in $TGRPC_IMAGE_CACHE, default /var/tmp/tgrpc-image-cache;
#                    its first debootstrap takes 1-4 minutes and needs the machine's apt source)
#   --stage-only=DIR stage the two contexts in DIR/tgrpcd and DIR/fakedc and stop (for podman or
#                    docker build: see the Containerfiles' heads)
# Environment:
#   TGRPC_IMAGE_BIN  a bazel-bin holding service/tgrpcd and tests/fakedc/fakedc: no Bazel command
#   STORAGE_DRIVER, BUILDAH_ISOLATION  buildah's own (isolation defaults to chroot here)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

log() { echo "build_image: $*" >&2; }
die() { log "$*"; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

base=scratch
stage_only=
for arg in "$@"; do
  case $arg in
    --base=*) base=${arg#*=} ;;
    --stage-only=*) stage_only=${arg#*=} ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
case $base in scratch | debian) ;; *) die "--base: scratch or debian, not \"$base\"" ;; esac
[ "$(id -u)" -eq 0 ] || die "run as root (rootful buildah; the staged files keep their owners)"
start=$SECONDS

if [ -n "${TGRPC_IMAGE_BIN:-}" ]; then
  bin=$TGRPC_IMAGE_BIN
else
  log "bazel build -c opt //service:tgrpcd //tests/fakedc:fakedc"
  bazel build -c opt //service:tgrpcd //tests/fakedc:fakedc >&2 || die "the build failed"
  bin=$(bazel info -c opt bazel-bin 2>/dev/null) || die "bazel info -c opt bazel-bin failed"
fi
for b in service/tgrpcd tests/fakedc/fakedc; do
  [ -x "$bin/$b" ] || die "no $bin/$b"
done

epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
revision=$(git describe --always --dirty --abbrev=40 2>/dev/null || echo unknown)
version=$("$bin/service/tgrpcd" --version | awk '{print $2}')
[ -n "$version" ] || die "tgrpcd --version printed no version"
if [ "$base" = scratch ]; then
  tags=("$version" latest)
  base_name=scratch
else
  tags=("$version-debian" debian)
  base_name="debian:bookworm (debootstrap --variant=minbase)"
fi

work=$(mktemp -d /var/tmp/tgrpc-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
ctx=${stage_only:-$work/ctx}
mkdir -p "$ctx"

# The absolute paths of the loader and of every library `ldd` names for a binary.
needed_files() {
  local out
  out=$(ldd "$1") || die "ldd $1 failed"
  if grep -q 'not found' <<<"$out"; then die "ldd $1: $(grep 'not found' <<<"$out")"; fi
  awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$out" | sort -u
}

# The Debian packages that own files $1... (one a line). One dpkg -S for all (each call reads the
# whole database), asked for each path as named and as resolved (usrmerge: dpkg may know either).
owning_packages() {
  local path out line
  local -A owned=()
  out=$(for path in "$@"; do echo "$path"; readlink -f "$path"; done | sort -u |
    xargs dpkg -S 2>/dev/null | grep -E '^[^ ]+(, [^ ]+)*: /') || true
  while IFS= read -r line; do owned[${line#*: }]=1; done <<<"$out"
  for path in "$@"; do
    [ -n "${owned[$path]:-}" ] || [ -n "${owned[$(readlink -f "$path")]:-}" ] ||
      die "no Debian package owns $path"
  done
  sed 's/: \/.*//; s/, /\n/g' <<<"$out" | sed 's/:.*//' | sort -u
}

# Debian's minbase with the packages that own the binaries' libraries, slimmed like Debian's
# -slim images (no apt lists or caches, docs but copyright, man pages, locales), cached by
# package list.
debian_tree() {
  local files packages list dir mirror
  files=$(needed_files "$bin/service/tgrpcd")
  files+=" $(needed_files "$bin/tests/fakedc/fakedc")"
  # shellcheck disable=SC2086  # paths without spaces, one a word
  packages=$(owning_packages $files)
  list=$(paste -sd, - <<<"$packages")
  dir=${TGRPC_IMAGE_CACHE:-/var/tmp/tgrpc-image-cache}/minbase-$(sha256sum <<<"$list" | cut -c1-12)
  if [ ! -f "$dir/.complete" ]; then
    # The machine's own apt source, else debootstrap's default.
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    log "debootstrap --variant=minbase bookworm with $list"
    rm -rf "$dir.tmp"
    mkdir -p "$(dirname "$dir")"
    debootstrap --variant=minbase --include="$list" bookworm "$dir.tmp" ${mirror:+"$mirror"} >&2 ||
      die "debootstrap failed (log: $dir.tmp/debootstrap/debootstrap.log)"
    (
      cd "$dir.tmp"
      rm -rf var/cache/apt/* var/lib/apt/lists/* var/log/* usr/share/man/* usr/share/info/* \
        usr/share/locale/*
      find usr/share/doc -type f ! -name copyright -delete
      find usr/share/doc -type l -delete
    )
    du -s --apparent-size --block-size=1 "$dir.tmp" | cut -f1 >"$dir.tmp/.complete"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

# rootfs.tar for one image: $1 context dir, $2 the binary, $3 the state directory.
stage_rootfs() {
  local out=$1 binary=$2 state=$3 tree=$work/rootfs-${1##*/} files path packages package
  rm -rf "$tree"
  if [ "$base" = scratch ]; then
    files=$(needed_files "$binary")
    mkdir -p "$tree/etc"
    chmod 0755 "$tree" "$tree/etc"
    for path in $files; do
      mkdir -p "$tree$(dirname "$path")"
      cp -L "$path" "$tree$path"
    done
    # What vulnerability scanners read to tell the libraries' Debian versions (as distroless
    # images do): the OS release and one dpkg status paragraph per package the files came from.
    cp -L /etc/os-release "$tree/etc/os-release"
    mkdir -p "$tree/var/lib/dpkg/status.d"
    # shellcheck disable=SC2086
    packages=$(owning_packages $files)
    for package in $packages; do
      dpkg-query -s "$package" >"$tree/var/lib/dpkg/status.d/$package"
    done
    printf 'root:x:0:0:root:/root:/usr/sbin/nologin\n' >"$tree/etc/passwd"
    printf 'root:x:0:\n' >"$tree/etc/group"
    # Without this file glibc would ask DNS before /etc/hosts.
    printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$tree/etc/nsswitch.conf"
  else
    cp -a "$minbase/." "$tree/"
    # The runtime mounts /dev; debootstrap's device nodes would only be world-writable files.
    rm -rf "${tree:?}/.complete" "${tree:?}/dev/"*
  fi
  printf 'tgrpc:x:65532:65532:tgrpc:%s:/usr/sbin/nologin\n' "$state" >>"$tree/etc/passwd"
  printf 'tgrpc:x:65532:\n' >>"$tree/etc/group"
  chmod 0644 "$tree/etc/passwd" "$tree/etc/group"
  mkdir -p "$tree$state"
  chown 65532:65532 "$tree$state"
  chmod 0700 "$tree$state"
  # Owners as staged (root, and 65532 for the state directory), one time for every file.
  tar --create --file "$out/rootfs.tar" --format=gnu --sort=name --numeric-owner \
    --mtime="@$epoch" -C "$tree" .
  rm -rf "$tree"
}

stage() {  # $1 image (tgrpcd or fakedc), $2 the binary, $3 the state directory
  local out=$ctx/$1
  rm -rf "$out"
  mkdir -p "$out"
  strip --strip-all -o "$out/$1" "$2"
  chmod 0755 "$out/$1"
  stage_rootfs "$out" "$out/$1" "$3"
}

minbase=
if [ "$base" = debian ]; then minbase=$(debian_tree); fi
stage tgrpcd "$bin/service/tgrpcd" /var/lib/tgrpc
stage fakedc "$bin/tests/fakedc/fakedc" /var/lib/fakedc
mkdir -p "$ctx/fakedc/schema"
cp tl/schema/api.tl tl/schema/api_layer*.tl "$ctx/fakedc/schema/"
chmod 0644 "$ctx/fakedc/schema/"*
log "staged in $ctx ($((SECONDS - start)) s)"
if [ -n "$stage_only" ]; then
  trap - EXIT
  rm -rf "$work"
  exit 0
fi

export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}
build() {  # $1 image name, $2 Containerfile, $3 context
  local tag_args=() t
  for t in "${tags[@]}"; do tag_args+=(--tag "localhost/$1:$t"); done
  log "buildah bud -f $2 -> localhost/$1:${tags[0]}"
  buildah bud --quiet --layers --pull=false --timestamp "$epoch" \
    --build-arg VERSION="$version" --build-arg REVISION="$revision" \
    --build-arg CREATED="$created" --build-arg BASE_NAME="$base_name" \
    "${tag_args[@]}" -f "$2" "$3" >/dev/null || die "buildah bud -f $2 failed"
}
build tgrpcd deploy/Containerfile "$ctx/tgrpcd"
build tgrpc-fakedc deploy/Containerfile.fakedc "$ctx/fakedc"

for image in tgrpcd tgrpc-fakedc; do
  buildah images --format "{{.Name}}:{{.Tag}} {{.ID}} {{.Size}}" "localhost/$image:${tags[0]}"
done
log "done in $((SECONDS - start)) s"

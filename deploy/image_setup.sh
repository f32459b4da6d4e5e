#!/usr/bin/env bash
# Installs what deploy/build_image.sh and deploy/image_test.sh need on Debian 12, from Debian's
# packages only: buildah (builds the OCI images from deploy/Containerfile*), debootstrap (only for
# the `--base=debian` comparison build), binutils (strip), tar and python3 (the test unpacks the
# image and reads its JSON). No container runtime: nothing here runs a container. Idempotent:
# re-running it installs nothing new.
set -euo pipefail

packages=(buildah debootstrap binutils tar python3)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "image_setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  # Without recommends: buildah's (runc/crun, slirp4netns, fuse-overlayfs) are for RUN steps and
  # rootless builds, which these images do not use.
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
else
  echo "image_setup: all ${#packages[@]} Debian packages present"
fi

#!/usr/bin/env bash
# Installs the PostgreSQL server binaries (Debian's postgresql: initdb and postgres under
# /usr/lib/postgresql/<version>/bin) that //service/storage:postgres_storage_test runs. The test
# needs no running server: it makes a throwaway cluster of its own in /tmp and serves it on a Unix
# socket there, with no TCP port, so a system cluster, running or not, does not touch it.
#
# Debian's package makes a cluster "main" when it is first installed and starts it (through
# systemd, or /etc/init.d where there is none, as in a container). Nothing here needs it: during
# the install a policy-rc.d (if there is none already) tells invoke-rc.d to start no service, so a
# container without an init system cannot fail the install by failing to start one, and a cluster
# the install made is dropped again, so none is left to start at boot or to hold port 5432
# (`pg_createcluster --start 15 main` makes one again, should you want it). Clusters that were
# there before are left as they are.
#
# Idempotent: with the package installed it installs and changes nothing.
set -euo pipefail

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if installed postgresql; then
  echo "postgres_setup: postgresql present"
  exit 0
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
clusters() { command -v pg_lsclusters >/dev/null && pg_lsclusters -h | awk '{print $1 " " $2}'; }
before=$(clusters || true)

policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  # Exit status 101: "action forbidden by policy" (invoke-rc.d(8)).
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod 755 "$policy"
  trap '"${sudo_cmd[@]}" rm -f "$policy"' EXIT
fi

echo "postgres_setup: installing postgresql"
"${sudo_cmd[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
  postgresql

while read -r version name; do
  [ -n "$version" ] || continue
  if ! grep -qxF "$version $name" <<<"$before"; then
    echo "postgres_setup: dropping cluster $version/$name, which the install made (tests make their own)"
    "${sudo_cmd[@]}" pg_dropcluster --stop "$version" "$name"
  fi
done <<<"$(clusters || true)"
echo "postgres_setup: postgresql installed ($(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' '))"

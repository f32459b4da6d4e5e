#!/usr/bin/env bash
# Runs every interop driver over every transport it has against probe_listener.py (which reads the
# client's first packet and never answers) and prints a table: what the listener saw on the wire
# for each client x transport. It proves each driver selects the transport it claims and gets as far
# as sending its first handshake packet (req_pq_multi), with no server at all.
#
# Usage: tests/interop/probe_transports.sh [client ...]    (clients: mtcute gramjs telethon)
# Needs tests/interop/node_modules (deploy/interop_setup.sh) and Debian's python3-telethon.
# Exit status: 0 when every row matches.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
py=${INTEROP_PYTHON:-/usr/bin/python3}
node=${INTEROP_NODE:-node}
secret=0123456789abcdef0123456789abcdef
clients=("$@")
((${#clients[@]})) || clients=(mtcute gramjs telethon)

tmp=$(mktemp -d)
trap '[ -n "${INTEROP_PROBE_KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"' EXIT
$node -e 'process.stdout.write(require("crypto").generateKeyPairSync("rsa", { modulusLength: 2048,
  publicKeyEncoding: { type: "pkcs1", format: "pem" } }).publicKey)' >"$tmp/key.pem"

driver() {
  case "$1" in
    mtcute) echo "$node $here/mtcute_client.mjs" ;;
    gramjs) echo "$node $here/gramjs_client.mjs" ;;
    telethon) echo "$py $here/telethon_client.py" ;;
  esac
}

field() { # field JSON-LINE KEY
  "$py" -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"
}

printf '%-9s %-24s %-26s %-14s %s\n' client transport "listener saw" "first packet" result
failures=0
for client in "${clients[@]}"; do
  cmd=$(driver "$client")
  [ -n "$cmd" ] || { echo "unknown client $client"; exit 2; }
  list=$($cmd --list-transports) || { echo "$client: --list-transports failed"; failures=$((failures + 1)); continue; }
  for transport in $("$py" -c 'import json,sys; print(" ".join(json.loads(sys.argv[1])["transports"]))' "$list"); do
    rm -f "$tmp"/listener* "$tmp"/client*
    "$py" "$here/probe_listener.py" --once --secret "$secret" --timeout 8 >"$tmp/listener" 2>"$tmp/listener.err" &
    lpid=$!
    for _ in $(seq 50); do grep -q listening "$tmp/listener" 2>/dev/null && break; sleep 0.1; done
    port=$(field "$(head -1 "$tmp/listener")" listening)
    # Nobody answers the client, so its connect step would time out: once the listener has its
    # result (it exits), the client is stopped; only the listener's view matters here.
    timeout 30 $cmd --port "$port" --rsa-key "$tmp/key.pem" --transport "$transport" \
      --mtproxy-secret "$secret" --timeout 15 >"$tmp/client" 2>"$tmp/client.err" &
    cpid=$!
    for _ in $(seq 150); do kill -0 "$lpid" 2>/dev/null || break; sleep 0.1; done
    kill "$lpid" "$cpid" 2>/dev/null
    wait "$lpid" "$cpid" 2>/dev/null
    seen=$(sed -n 2p "$tmp/listener")
    if [ -z "$seen" ]; then
      saw="(no connection)"; packet=""
    else
      saw=$(field "$seen" transport); packet=$(field "$seen" message)
      dc=$(field "$seen" dc); [ -n "$dc" ] && saw="$saw dc=$dc"
      hmac=$(field "$seen" hmac); [ -n "$hmac" ] && packet="hello, hmac $hmac"
    fi
    result=MISMATCH
    if [ "${saw%% *}" = "$transport" ] && [[ "$packet" =~ ^(req_pq_multi|req_pq|hello,\ hmac\ ok)$ ]]; then
      result=ok
    else
      failures=$((failures + 1))
    fi
    printf '%-9s %-24s %-26s %-14s %s\n' "$client" "$transport" "$saw" "$packet" "$result"
    if [ "$result" != ok ] && [ -n "${INTEROP_PROBE_KEEP:-}" ]; then
      for f in listener listener.err client client.err; do cp "$tmp/$f" "$tmp/keep.$client.$transport.$f"; done
    fi
  done
done
echo "mismatches: $failures"
((failures == 0))

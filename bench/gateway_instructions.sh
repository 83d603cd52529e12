#!/usr/bin/env bash
# User-space instructions per request of `meshwasm run` (header_auth.wasm, one worker, the plugin
# included), counted by valgrind's callgrind: deterministic, so small changes show even on a busy
# machine. One sequential keep-alive client sends N deny requests (no allow header -> 403) and N
# allow requests (allow: true -> 418 from an nginx upstream); counters are zeroed after a warm-up.
#
# Usage: bench/gateway_instructions.sh [BUILD_DIR] [WASM_DIR]
# Environment: REQUESTS (per path, default 5000), ENGINE (aot; interp works too), TOP (how many
#              functions of the inclusive profile to print per path, default 0).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
wasm_dir=${2:-$build/wasm}
requests=${REQUESTS:-5000}
engine=${ENGINE:-aot}
top=${TOP:-0}
meshwasm=$build/bin/meshwasm
plugin=$wasm_dir/header_auth.wasm
for f in "$meshwasm" "$plugin"; do
  [ -e "$f" ] || { echo "missing $f (build first)" >&2; exit 1; }
done
for tool in valgrind callgrind_control callgrind_annotate python3; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (scripts/install-deps)" >&2; exit 1; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

tmp=$(mktemp -d /tmp/meshwasm-instr.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
upstream_port=$(free_port)
port=$(free_port)
admin_port=$(free_port)

printf 'teapot\n' >"$tmp/teapot.txt"
cat >"$tmp/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/body;
  proxy_temp_path $tmp/proxy;
  fastcgi_temp_path $tmp/fastcgi;
  uwsgi_temp_path $tmp/uwsgi;
  scgi_temp_path $tmp/scgi;
  server {
    listen 127.0.0.1:$upstream_port;
    location = /status/418 { error_page 418 /teapot.txt; return 418; }
    location = /teapot.txt { internal; root $tmp; }
  }
}
CONF
"$nginx_bin" -c "$tmp/nginx.conf" -p "$tmp" 2>"$tmp/nginx.stderr" &
pids+=($!)

valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" --dump-instr=no \
  "$meshwasm" run --plugin "$plugin" --engine "$engine" --workers 1 --no-access-log \
  --log-level warning --upstream "http://127.0.0.1:$upstream_port" \
  --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin_port" 2>"$tmp/gateway.stderr" &
vg_pid=$!
pids+=($vg_pid)
for _ in $(seq 1 300); do
  curl -s -o /dev/null "127.0.0.1:$admin_port/ready" && break
  sleep 0.2
done
curl -s -o /dev/null "127.0.0.1:$admin_port/ready" || {
  echo "the gateway did not start" >&2
  cat "$tmp/gateway.stderr" >&2
  exit 1
}

# Sequential keep-alive client: N requests on one connection, each answer read completely.
client() {  # count [header]
  python3 - "$port" "$1" "${2:-}" <<'PY'
import socket, sys
port, n, header = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
req = ("GET /status/418 HTTP/1.1\r\nHost: bench\r\n" + (header + "\r\n" if header else "") +
       "\r\n").encode()
statuses = {}
for _ in range(n):
    s.sendall(req)
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("connection closed")
        buf += chunk
        head, sep, body = buf.partition(b"\r\n\r\n")
        if not sep:
            continue
        lines = head.split(b"\r\n")
        length = [int(l.split(b":")[1]) for l in lines if l.lower().startswith(b"content-length")]
        if length and len(body) >= length[0]:
            status = lines[0].split()[1].decode()
            statuses[status] = statuses.get(status, 0) + 1
            break
print(" ".join(f"{k}x{v}" for k, v in sorted(statuses.items())))
PY
}

measure() {  # path header expected-status
  local warm out total
  warm=$(client 200 "$2")
  callgrind_control -z "$vg_pid" >/dev/null 2>&1
  out=$(client "$requests" "$2")
  callgrind_control --dump="$1" "$vg_pid" >/dev/null 2>&1
  [ "$out" = "$3x$requests" ] || { echo "$1: expected $3x$requests, got $out (warm-up $warm)" >&2; exit 1; }
  local file
  file=$(ls -t "$tmp"/cg.out.* | head -1)
  total=$(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  echo "$1: $((total / requests)) instructions per request ($requests requests, statuses $out)"
  if ((top > 0)); then
    callgrind_annotate --inclusive=yes "$file" 2>/dev/null | sed -n '/file:function/,$p' |
      awk -v n="$requests" 'NR > 2 && NF {v=$1; gsub(",", "", v); $1=""; $2=""; printf "  %8d %s\n", v / n, substr($0, 1, 150)}' |
      head -n "$top" || true
  fi
}

echo "meshwasm run, 1 worker, engine $engine, plugin log level warning, callgrind"
measure deny "" 403
measure allow "allow: true" 418

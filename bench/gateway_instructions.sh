#!/usr/bin/env bash
# User-space instructions per request of `meshwasm run` (header_auth.wasm, one worker, the plugin
# included) and, as the peer, of nginx doing the same job (the rule of bench/gateway.sh, one
# process), counted by valgrind's callgrind: deterministic, so small changes show even on a busy
# machine. One sequential keep-alive client sends N deny requests (no allow header -> 403) and N
# allow requests (allow: true -> 418 from an nginx upstream) to each; counters are zeroed after a
# warm-up.
#
# Usage: bench/gateway_instructions.sh [BUILD_DIR] [WASM_DIR]
# Environment: REQUESTS (per path, default 5000), ENGINE (aot; interp works too), TOP (how many
#              functions of the inclusive profile to print per path, default 0), KEEP (a
#              directory to copy the callgrind profiles into, as SERVER.PATH.out).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib/nginx_peer.sh
. bench/lib/run_dir.sh
build=${1:-build}
wasm_dir=${2:-$build/wasm}
requests=${REQUESTS:-5000}
engine=${ENGINE:-aot}
top=${TOP:-0}
keep=${KEEP:-}
meshwasm=$build/bin/meshwasm
plugin=$wasm_dir/header_auth.wasm
for f in "$meshwasm" "$plugin"; do
  [ -e "$f" ] || { echo "missing $f (build first)" >&2; exit 1; }
done
for tool in valgrind callgrind_control callgrind_annotate python3; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (scripts/install-deps)" >&2; exit 1; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

bench_run_dir instr
upstream_port=$(free_port)
port=$(free_port)
admin_port=$(free_port)
peer_port=$(free_port)

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

# nginx doing header_auth's job (the rule of bench/gateway.sh), one process (no master), as the
# peer; keepalive_requests raised so the one client connection is never closed by nginx.
cat >"$tmp/peer.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $tmp/peer.pid;
error_log $tmp/peer.error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/plain;
  keepalive_requests 1000000;
  client_body_temp_path $tmp/pbody;
  proxy_temp_path $tmp/pproxy;
  fastcgi_temp_path $tmp/pfastcgi;
  uwsgi_temp_path $tmp/puwsgi;
  scgi_temp_path $tmp/pscgi;
$(nginx_header_auth_rule "$peer_port" "$upstream_port" 16)
}
CONF

start_server() {  # name ready-url command...: starts the command under callgrind
  local name=$1 url=$2
  shift 2
  valgrind --tool=callgrind --callgrind-out-file="$tmp/$name.cg" --dump-instr=no "$@" \
    2>"$tmp/$name.stderr" &
  vg_pid[$name]=$!
  pids+=($!)
  for _ in $(seq 1 300); do
    curl -s -o /dev/null "$url" && return 0
    sleep 0.2
  done
  echo "$name did not start" >&2
  cat "$tmp/$name.stderr" >&2
  exit 1
}
declare -A vg_pid
start_server meshwasm "127.0.0.1:$admin_port/ready" \
  "$meshwasm" run --plugin "$plugin" --engine "$engine" --workers 1 --no-access-log \
  --log-level warning --upstream "http://127.0.0.1:$upstream_port" \
  --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin_port"
start_server nginx "127.0.0.1:$peer_port/" "$nginx_bin" -c "$tmp/peer.conf" -p "$tmp"

# Sequential keep-alive client: N requests on one connection, each answer read completely.
client() {  # port count [header]
  python3 - "$1" "$2" "${3:-}" <<'PY'
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

measure() {  # server port path header expected-status -> sets instr[server.path]
  local server=$1 port=$2 path=$3 header=$4 expected=$5 warm out total file
  local pid=${vg_pid[$server]}
  warm=$(client "$port" 200 "$header")
  callgrind_control -z "$pid" >/dev/null 2>&1
  out=$(client "$port" "$requests" "$header")
  callgrind_control --dump="$path" "$pid" >/dev/null 2>&1
  [ "$out" = "${expected}x$requests" ] || {
    echo "$server $path: expected ${expected}x$requests, got $out (warm-up $warm)" >&2
    exit 1
  }
  file=$(ls -t "$tmp/$server".cg.* | head -1)
  total=$(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  instr[$server.$path]=$((total / requests))
  printf '%-5s %-8s %7d instructions per request (%d requests, statuses %s)\n' "$path" "$server" \
    "$((total / requests))" "$requests" "$out"
  if [ -n "$keep" ]; then mkdir -p "$keep" && cp "$file" "$keep/$server.$path.out"; fi
  if ((top > 0)); then
    callgrind_annotate --inclusive=yes "$file" 2>/dev/null | sed -n '/file:function/,$p' |
      awk -v n="$requests" 'NR > 2 && NF {v=$1; gsub(",", "", v); $1=""; $2=""; printf "  %8d %s\n", v / n, substr($0, 1, 150)}' |
      head -n "$top" || true
  fi
}

declare -A instr
echo "1 worker each, meshwasm engine $engine, plugin log level warning, callgrind"
for path in deny allow; do
  header=""
  expected=403
  if [ "$path" = allow ]; then header="allow: true"; expected=418; fi
  measure meshwasm "$port" "$path" "$header" "$expected"
  measure nginx "$peer_port" "$path" "$header" "$expected"
  awk -v m="${instr[meshwasm.$path]}" -v n="${instr[nginx.$path]}" -v p="$path" \
    'BEGIN {printf "%-5s meshwasm/nginx %.2f\n", p, m / n}'
done

#!/usr/bin/env bash
# System calls and context switches per request of `meshwasm run` (header_auth.wasm) and of
# nginx doing the same job (the rule of bench/gateway.sh), under the same wrk load as
# bench/gateway.sh, counted by `perf stat` on the server's processes (kernel tracepoints; run
# as root or with kernel.perf_event_paranoid <= -1). Counts per request do not depend on how
# busy the machine is, so this shows kernel-side differences that req/s hides in noise.
#
# Usage: bench/gateway_syscalls.sh [BUILD_DIR] [WASM_DIR]
# Environment: DURATION (s, default 5), CONNECTIONS (default 32), THREADS (wrk, default 2),
#              WORKERS (default 2), ENGINE (aot).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib/nginx_peer.sh
. bench/lib/run_dir.sh
build=${1:-build}
wasm_dir=${2:-$build/wasm}
duration=${DURATION:-5}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
workers=${WORKERS:-2}
engine=${ENGINE:-aot}
meshwasm=$build/bin/meshwasm
plugin=$wasm_dir/header_auth.wasm
for f in "$meshwasm" "$plugin"; do
  [ -e "$f" ] || { echo "missing $f (build first)" >&2; exit 1; }
done
for tool in wrk perf curl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (scripts/install-deps)" >&2; exit 1; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
events=raw_syscalls:sys_enter,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto
events+=,syscalls:sys_enter_writev,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_ctl
events+=,context-switches
perf stat -e "$events" -- true >/dev/null 2>&1 ||
  { echo "perf cannot count syscall tracepoints here (root or perf_event_paranoid)" >&2; exit 1; }

bench_run_dir syscalls
upstream_port=$(free_port)
nginx_port=$(free_port)
gateway_port=$(free_port)
admin_port=$(free_port)
start_nginx_peers "$upstream_port" "$nginx_port"
"$meshwasm" run --plugin "$plugin" --engine "$engine" --workers "$workers" --no-access-log \
  --log-level warning --upstream "http://127.0.0.1:$upstream_port" \
  --listen "127.0.0.1:$gateway_port" --admin "127.0.0.1:$admin_port" 2>"$tmp/gateway.stderr" &
gateway_pid=$!
pids+=($gateway_pid)
for _ in $(seq 1 100); do
  curl -s -o /dev/null "127.0.0.1:$nginx_port/" &&
    curl -s -o /dev/null "127.0.0.1:$admin_port/ready" && break
  sleep 0.1
done

echo "wrk -t$threads -c$connections -d${duration}s, $workers workers each; per request:"
printf '%-6s %-9s %9s %9s %9s %9s %10s %10s %9s\n' path server syscalls recvfrom sendto writev \
  epoll_wait epoll_ctl switches
for path in deny allow; do
  header=()
  [ "$path" = allow ] && header=(-H "allow: true")
  for server in nginx meshwasm; do
    if [ "$server" = nginx ]; then
      port=$nginx_port
      targets=$(pgrep -P "$nginx_pid" | paste -sd,)  # the workers
    else
      port=$gateway_port
      targets=$gateway_pid
    fi
    wrk -t"$threads" -c"$connections" -d1s "${header[@]}" "http://127.0.0.1:$port/status/418" \
      >/dev/null  # warm-up
    perf stat -x, -e "$events" -p "$targets" -o "$tmp/$server.$path.perf" -- \
      sleep "$duration" &
    perf_pid=$!
    out=$(wrk -t"$threads" -c"$connections" -d"$((duration + 1))s" "${header[@]}" \
      "http://127.0.0.1:$port/status/418")
    wait "$perf_pid"
    # Requests inside perf's window: wrk's rate times the window.
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    awk -F, -v n="$(awk -v r="$rps" -v d="$duration" 'BEGIN {print r * d}')" \
      -v path="$path" -v server="$server" '
      $1 ~ /^[0-9.]+$/ { v[$3] = $1 / n }
      END {
        printf "%-6s %-9s %9.2f %9.2f %9.2f %9.2f %10.2f %10.2f %9.3f\n", path, server,
          v["raw_syscalls:sys_enter"], v["syscalls:sys_enter_recvfrom"],
          v["syscalls:sys_enter_sendto"], v["syscalls:sys_enter_writev"],
          v["syscalls:sys_enter_epoll_wait"], v["syscalls:sys_enter_epoll_ctl"],
          v["context-switches"]
      }' "$tmp/$server.$path.perf"
  done
done

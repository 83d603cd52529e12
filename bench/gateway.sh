#!/usr/bin/env bash
# meshwasm run (header_auth.wasm) against Debian's nginx with the equivalent rule, both in front
# of the same upstream (an nginx server block answering /status/418 with httpbin's teapot), driven
# by wrk over loopback: deny path (no allow header -> 403) and allow path (allow: true -> 418).
#
# Usage: bench/gateway.sh [BUILD_DIR] [WASM_DIR]
# Environment: DURATION (s, default 10), CONNECTIONS (default 32), THREADS (wrk, default 2),
#              WORKERS (gateway workers = nginx worker_processes, default 2), ENGINE (aot;
#              interp works too), LOG_LEVEL (plugin log level, default warning as in Istio
#              sidecars: header_auth logs one or two info lines per request, nginx logs nothing),
#              RUNS (rounds, default 1; each round measures every server once per path, in turn;
#              the order turns by one server per round),
#              BASELINE (a second build dir, e.g. one built from an older commit: its meshwasm
#              runs too, in the same rounds, so before/after share the same conditions),
#              BASELINE_PLUGIN (the baseline's header_auth.wasm; default the current one).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib/nginx_peer.sh
. bench/lib/run_dir.sh
build=${1:-build}
wasm_dir=${2:-$build/wasm}
duration=${DURATION:-10}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
workers=${WORKERS:-2}
engine=${ENGINE:-aot}
log_level=${LOG_LEVEL:-warning}
runs=${RUNS:-1}
baseline=${BASELINE:-}
baseline_plugin=${BASELINE_PLUGIN:-}
meshwasm=$build/bin/meshwasm
plugin=$wasm_dir/header_auth.wasm
baseline_plugin=${baseline_plugin:-$plugin}
for f in "$meshwasm" "$plugin" ${baseline:+"$baseline/bin/meshwasm" "$baseline_plugin"}; do
  [ -e "$f" ] || { echo "missing $f (build first)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk is not installed (scripts/install-deps)" >&2; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || { echo "nginx is not installed (scripts/install-deps)" >&2; exit 1; }

bench_run_dir bench
upstream_port=$(free_port)
nginx_port=$(free_port)
gateway_port=$(free_port)
admin_port=$(free_port)
base_port=$(free_port)
base_admin_port=$(free_port)

# The upstream both proxies use, and nginx doing what header_auth.wasm does.
start_nginx_peers "$upstream_port" "$nginx_port"
"$meshwasm" run --plugin "$plugin" --engine "$engine" --workers "$workers" --no-access-log \
  --log-level "$log_level" \
  --upstream "http://127.0.0.1:$upstream_port" --listen "127.0.0.1:$gateway_port" \
  --admin "127.0.0.1:$admin_port" 2>"$tmp/gateway.stderr" &
gateway_pid=$!
pids+=($gateway_pid)
if [ -n "$baseline" ]; then
  "$baseline/bin/meshwasm" run --plugin "$baseline_plugin" --engine "$engine" --workers "$workers" \
    --no-access-log --log-level "$log_level" \
    --upstream "http://127.0.0.1:$upstream_port" --listen "127.0.0.1:$base_port" \
    --admin "127.0.0.1:$base_admin_port" 2>"$tmp/baseline.stderr" &
  baseline_pid=$!
  pids+=($baseline_pid)
fi

for i in $(seq 1 100); do
  if curl -s -o /dev/null "127.0.0.1:$nginx_port/" &&
    curl -s -o /dev/null "127.0.0.1:$upstream_port/status/418" &&
    curl -s -o /dev/null "127.0.0.1:$admin_port/ready" &&
    { [ -z "$baseline" ] || curl -s -o /dev/null "127.0.0.1:$base_admin_port/ready"; }; then
    break
  fi
  sleep 0.1
done
check() {  # name url expected-status [header]
  local got args=()
  [ -n "${4:-}" ] && args=(-H "$4")
  got=$(curl -s -o /dev/null -w '%{http_code}' "${args[@]}" "$2")
  [ "$got" = "$3" ] || { echo "$1: expected $3, got $got" >&2; cat "$tmp"/*.stderr >&2; exit 1; }
}
check nginx-deny "127.0.0.1:$nginx_port/status/418" 403
check nginx-allow "127.0.0.1:$nginx_port/status/418" 418 "allow: true"
check gateway-deny "127.0.0.1:$gateway_port/status/418" 403
check gateway-allow "127.0.0.1:$gateway_port/status/418" 418 "allow: true"
if [ -n "$baseline" ]; then
  check baseline-deny "127.0.0.1:$base_port/status/418" 403
  check baseline-allow "127.0.0.1:$base_port/status/418" 418 "allow: true"
fi

# CPU ticks "user system" of a process and its children (nginx's workers), every thread.
cpu_ticks() {
  local u=0 sy=0 p task x
  for p in "$1" $(pgrep -P "$1" || true); do
    for task in /proc/"$p"/task/*; do
      [ -r "$task/stat" ] || continue
      read -r -a x < <(sed 's/.*) //' "$task/stat")
      u=$((u + x[11]))
      sy=$((sy + x[12]))
    done
  done
  echo "$u $sy"
}
run_wrk() {  # port pid [header] -> "rps p99_ms cpu_us_per_request sys_share"
  local out args=() u0 s0 u1 s1 rps p99 requests cpu sys
  [ -n "${3:-}" ] && args=(-H "$3")
  read -r u0 s0 < <(cpu_ticks "$2")
  out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "${args[@]}" \
    "http://127.0.0.1:$1/status/418")
  read -r u1 s1 < <(cpu_ticks "$2")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu=$(awk -v t=$((u1 - u0 + s1 - s0)) -v hz="$(getconf CLK_TCK)" -v r="$requests" \
    'BEGIN {printf "%.2f", t / hz * 1e6 / r}')
  if grep -q "Socket errors" <<<"$out"; then echo "wrk: $(grep 'Socket errors' <<<"$out")" >&2; fi
  sys=$(awk -v s=$((s1 - s0)) -v t=$((u1 - u0 + s1 - s0)) 'BEGIN {printf "%.2f", t ? s / t : 0}')
  echo "$rps $p99 $cpu $sys"
}

echo "wrk -t$threads -c$connections -d${duration}s, $workers workers each, engine $engine," \
  "plugin log level $log_level, $(nproc) cores, $runs round(s)"
fmt='%-6s %-8s %-10s %12s %10s %8s %9s %11s %9s %9s %s\n'
printf "$fmt" round path server req/s p99_ms ratio p99_ratio cpu_us/req cpu_ratio sys_share load
servers=(nginx meshwasm)
[ -n "$baseline" ] && servers+=(baseline)
declare -A port=([nginx]=$nginx_port [meshwasm]=$gateway_port [baseline]=$base_port)
declare -A pid=([nginx]=$nginx_pid [meshwasm]=$gateway_pid [baseline]=${baseline_pid:-0})
declare -A sum psum csum ratios
ratio() { awk -v g="$1" -v n="$2" 'BEGIN {printf "%.2f", g / n}'; }
add() { awk -v a="${1:-0}" -v r="$2" 'BEGIN {print a + r}'; }
for round in $(seq 1 "$runs"); do
  # The order of the servers turns by one each round, so none always runs first (on a machine
  # whose load drifts during a run, a fixed order would favour one side).
  shift_by=$(((round - 1) % ${#servers[@]}))
  order=("${servers[@]:shift_by}" "${servers[@]:0:shift_by}")
  for path in deny allow; do
    header=""
    [ "$path" = allow ] && header="allow: true"
    declare -A rps=() p99=() cpu=() sysshare=() loadat=()
    for server in "${order[@]}"; do
      loadat[$server]=$(cut -d' ' -f1 /proc/loadavg)
      read -r rps[$server] p99[$server] cpu[$server] sysshare[$server] < \
        <(run_wrk "${port[$server]}" "${pid[$server]}" "$header")
    done
    for server in "${servers[@]}"; do
      r=$(ratio "${rps[$server]}" "${rps[nginx]}")
      pr=$(ratio "${p99[$server]}" "${p99[nginx]}")
      cr=$(ratio "${cpu[$server]}" "${cpu[nginx]}")
      printf "$fmt" "$round" "$path" "$server" "${rps[$server]}" "${p99[$server]}" "$r" "$pr" \
        "${cpu[$server]}" "$cr" "${sysshare[$server]}" "${loadat[$server]}"
      sum[$path.$server]=$(add "${sum[$path.$server]:-}" "$r")
      psum[$path.$server]=$(add "${psum[$path.$server]:-}" "$pr")
      csum[$path.$server]=$(add "${csum[$path.$server]:-}" "$cr")
      ratios[$path.$server]+="$r "
    done
  done
done
mean() { awk -v s="$1" -v n="$runs" 'BEGIN {printf "%.2f", s / n}'; }
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
for path in deny allow; do
  for server in "${servers[@]}"; do
    [ "$server" = nginx ] && continue
    echo "$path: $server/nginx, mean of $runs round(s): req/s $(mean "${sum[$path.$server]}")" \
      "(goal >= 1), p99 $(mean "${psum[$path.$server]}") (goal <= 1)," \
      "CPU per request $(mean "${csum[$path.$server]}"); req/s median $(median "${ratios[$path.$server]}")" \
      "of rounds ${ratios[$path.$server]% }"
  done
done

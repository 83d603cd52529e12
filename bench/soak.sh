#!/usr/bin/env bash
# 60-second soak of `meshwasm run` (header_auth.wasm in front of the built-in httpbin) under wrk
# over loopback, alternating denied and allowed requests. Fails when wrk reports socket errors,
# the gateway answers anything but 403/418, or resident memory grows by more than MAX_GROWTH_KB
# between the end of a warm-up and the end of the run.
#
# Usage: bench/soak.sh [BUILD_DIR] [WASM_DIR]
# Environment: DURATION (s, default 60), CONNECTIONS (32), ENGINE (aot), MAX_GROWTH_KB (8192).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
wasm_dir=${2:-$build/wasm}
duration=${DURATION:-60}
connections=${CONNECTIONS:-32}
engine=${ENGINE:-aot}
max_growth_kb=${MAX_GROWTH_KB:-8192}
. bench/lib/run_dir.sh
bench_run_dir soak
port=$(free_port)
admin=$(free_port)
"$build/bin/meshwasm" run --plugin "$wasm_dir/header_auth.wasm" --engine "$engine" --workers 2 \
  --log-level warning --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin" \
  >"$tmp/access.log" 2>"$tmp/gateway.log" &
gw=$!
pids+=("$gw")
for i in $(seq 1 100); do curl -s -o /dev/null "127.0.0.1:$admin/ready" && break; sleep 0.1; done

# Every other request carries allow: true.
cat >"$tmp/mixed.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  if n % 2 == 0 then
    return wrk.format("GET", "/status/418", {["allow"] = "true"})
  end
  return wrk.format("GET", "/status/418")
end
LUA
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$gw/status"; }
wrk -t2 -c"$connections" -d5s -s "$tmp/mixed.lua" "http://127.0.0.1:$port/" >/dev/null
before=$(rss)
out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$tmp/mixed.lua" "http://127.0.0.1:$port/")
after=$(rss)
echo "$out" | grep -E "Requests/sec|Latency|99%|Socket errors|requests in" || true
stats=$(curl -s "127.0.0.1:$admin/stats")
rq_4xx=$(awk -F': ' '$1 == "http.ingress_http.downstream_rq_4xx" {print $2}' <<<"$stats")
rq_total=$(awk -F': ' '$1 == "http.ingress_http.downstream_rq_total" {print $2}' <<<"$stats")
others=$(awk -F': ' '$1 ~ /downstream_rq_[1235]xx$/ {s += $2} END {print s + 0}' <<<"$stats")
echo "rss before: ${before} kB, after: ${after} kB, growth: $((after - before)) kB (bound ${max_growth_kb} kB)"
echo "requests: $rq_total, 403/418: $rq_4xx, other statuses: $others"
fail=0
if grep -q "Socket errors" <<<"$out"; then echo "FAIL: socket errors" >&2; fail=1; fi
if [ "$others" != 0 ]; then echo "FAIL: unexpected statuses" >&2; fail=1; fi
if [ $((after - before)) -gt "$max_growth_kb" ]; then echo "FAIL: memory grew" >&2; fail=1; fi
if ! kill -0 "$gw" 2>/dev/null; then echo "FAIL: the gateway died" >&2; fail=1; fi
[ $fail = 0 ] && echo "soak: ok"
exit $fail

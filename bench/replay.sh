#!/usr/bin/env bash
# ns per request lifecycle of header_auth.wasm through `meshwasm replay --iterations`:
# context create, request headers, local reply through the response callbacks (deny) or an
# upstream response (allow), then log, done, delete. Prints a Markdown table.
#
#   bench/replay.sh [ITERATIONS]            (default 20000; interp runs 1/20th of it)
# Env: MESHWASM_BUILD_DIR (default build), MESHWASM_WASM_DIR (default $MESHWASM_BUILD_DIR/wasm),
#      ENGINES (default "interp aot").
set -euo pipefail

iterations=${1:-20000}
build=${MESHWASM_BUILD_DIR:-build}
wasm_dir=${MESHWASM_WASM_DIR:-$build/wasm}
meshwasm=$build/bin/meshwasm
plugin=$wasm_dir/header_auth.wasm
engines=${ENGINES:-interp aot}

for f in "$meshwasm" "$plugin"; do
  [[ -e $f ]] || { echo "replay.sh: missing $f (build first: scripts/build)" >&2; exit 1; }
done

deny='{"headers":[[":method","GET"],[":path","/status/418"],[":authority","example.com"],["user-agent","curl/7.88.1"],["accept","*/*"]]}'
allow='{"headers":[[":method","GET"],[":path","/status/418"],[":authority","example.com"],["user-agent","curl/7.88.1"],["accept","*/*"],["allow","true"]],"response_headers":[[":status","418"],["content-type","text/plain"],["content-length","135"]],"response_body":"teapot"}'

run() {  # engine requests-json iterations -> "wall cpu"
  timeout 600 "$meshwasm" replay --engine "$1" --plugin "$plugin" --iterations "$3" \
      --requests "$2" | jq -r 'select(.event=="bench") | "\(.ns_per_request_median) \(.cpu_ns_per_request_median)"'
}

echo "| engine | case | ns/request (median wall) | ns/request (median CPU) | iterations |"
echo "|---|---|---|---|---|"
for engine in $engines; do
  n=$iterations
  [[ $engine == interp ]] && n=$(( iterations / 20 > 0 ? iterations / 20 : 1 ))
  for case in deny allow mixed; do
    case $case in
      deny) reqs="[$deny]" ;;
      allow) reqs="[$allow]" ;;
      mixed) reqs="[$deny,$allow]" ;;
    esac
    read -r wall cpu < <(run "$engine" "$reqs" "$n")
    echo "| $engine | $case | $wall | $cpu | $n |"
  done
done

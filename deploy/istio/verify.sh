#!/bin/bash
# The tutorial's verification on a real cluster: deploy httpbin behind the ingress gateway,
# apply the WasmPlugin, then check what a client sees and what the gateway logs.
#
#   IMAGE=registry.example.com/meshwasm/header-auth:v1 deploy/istio/verify.sh
#
# Environment:
#   IMAGE           image reference to deploy (rendered with `meshwasm manifest`); unset:
#                   deploy/istio/wasmplugin.yaml as it is
#   PLUGIN_WASM     when set with IMAGE: build and push that module first (meshwasm image)
#   CONFIG          plugin configuration JSON file (default: {} = the tutorial policy)
#   KIND            WasmPlugin (default) or TrafficExtension
#   IMAGE_PULL_SECRET  Secret with the registry credentials, in the gateway's namespace
#   MESH_KUBECONFIG kubeconfig where the WasmPlugin goes (ASM: the mesh instance); default
#                   $KUBECONFIG
#   GATEWAY_URL     http://HOST[:PORT] of the ingress gateway; default: the LoadBalancer
#                   address of istio-system/istio-ingressgateway
#   GATEWAY_NS      namespace of the gateway pods (default istio-system)
#   CLEANUP=1       delete what the script applied at the end
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
meshwasm="${MESHWASM:-meshwasm}"
gateway_ns="${GATEWAY_NS:-istio-system}"
kind="${KIND:-WasmPlugin}"
mesh_kubectl=(kubectl)
if [[ -n "${MESH_KUBECONFIG:-}" ]]; then mesh_kubectl=(kubectl --kubeconfig "$MESH_KUBECONFIG"); fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

if [[ -n "${IMAGE:-}" && -n "${PLUGIN_WASM:-}" ]]; then
  step "build and push $IMAGE"
  "$meshwasm" image build "$PLUGIN_WASM" --format compat -o "$work/image"
  "$meshwasm" image push "$work/image" "$IMAGE"
fi

step "httpbin behind the ingress gateway"
kubectl apply -f "$here/httpbin.yaml"
kubectl -n default rollout status deployment/httpbin --timeout=180s

step "apply the $kind"
if [[ -n "${IMAGE:-}" ]]; then
  config="${CONFIG:-$work/config.json}"
  [[ -n "${CONFIG:-}" ]] || echo '{}' > "$config"
  extra=()
  [[ -z "${IMAGE_PULL_SECRET:-}" ]] || extra=(--image-pull-secret "$IMAGE_PULL_SECRET")
  "$meshwasm" manifest --kind "$kind" --image "$IMAGE" --config "$config" "${extra[@]}" \
    -o "$work/plugin.yaml"
  manifest="$work/plugin.yaml"
elif [[ "$kind" == TrafficExtension ]]; then
  manifest="$here/trafficextension.yaml"
else
  manifest="$here/wasmplugin.yaml"
fi
cat "$manifest"
"${mesh_kubectl[@]}" apply -f "$manifest"

if [[ -z "${GATEWAY_URL:-}" ]]; then
  addr="$(kubectl -n "$gateway_ns" get svc istio-ingressgateway \
    -o jsonpath='{.status.loadBalancer.ingress[0].ip}{.status.loadBalancer.ingress[0].hostname}')"
  [[ -n "$addr" ]] || fail "no LoadBalancer address for $gateway_ns/istio-ingressgateway; set GATEWAY_URL"
  GATEWAY_URL="http://$addr"
fi
echo "gateway: $GATEWAY_URL"

pod="$(kubectl -n "$gateway_ns" get pods -l istio=ingressgateway -o jsonpath='{.items[0].metadata.name}')"
step "wasm log level debug on $pod (Envoy admin /logging)"
kubectl -n "$gateway_ns" exec "$pod" -c istio-proxy -- \
  pilot-agent request POST 'logging?wasm=debug' >/dev/null

# status BODY_FILE CURL_ARGS...: prints the HTTP status
status() {
  local out="$1"; shift
  curl -sS --max-time 10 -o "$out" -w '%{http_code}' "$@" || echo 000
}

step "wait until the plugin answers (up to 180 s; the proxy pulls the image first)"
for i in $(seq 1 90); do
  code="$(status "$work/body" "$GATEWAY_URL/get")"
  [[ "$code" == 403 ]] && break
  sleep 2
done
[[ "$code" == 403 ]] || fail "no 403 without the allow header after 180 s (last status $code)"

step "no allow header: 403 from the plugin"
code="$(status "$work/body" -D "$work/headers" "$GATEWAY_URL/get")"
[[ "$code" == 403 ]] || fail "expected 403, got $code"
body="$(cat "$work/body")"
[[ "$body" == "Forbidden by ASM Wasm Plugin, cpp version" ]] || \
  fail "unexpected body '$body' (\"RBAC: access denied\" means the module failed to load under FAIL_CLOSE)"
grep -qi '^content-type: text/plain' "$work/headers" || fail "content-type is not text/plain"
echo "403: $body"

step "allow: false is denied too"
code="$(status "$work/body" -H 'allow: false' "$GATEWAY_URL/get")"
[[ "$code" == 403 ]] || fail "expected 403, got $code"

step "allow: true reaches httpbin"
code="$(status "$work/body" -H 'allow: true' "$GATEWAY_URL/get")"
[[ "$code" == 200 ]] || fail "expected 200, got $code"
code="$(status "$work/body" -H 'allow: true' "$GATEWAY_URL/status/418")"
[[ "$code" == 418 ]] || fail "expected 418 (teapot) from /status/418, got $code"
echo "200 from /get, 418 from /status/418"

step "the plugin logs every request"
if kubectl -n "$gateway_ns" logs "$pod" -c istio-proxy --since=5m | grep -m3 'wasm-cpp: on_http_request_headers'; then
  echo "log lines found"
else
  fail "no 'wasm-cpp: on_http_request_headers' line in $pod's log"
fi

if [[ "${CLEANUP:-0}" == 1 ]]; then
  step "cleanup"
  "${mesh_kubectl[@]}" delete -f "$manifest" --ignore-not-found
  kubectl delete -f "$here/httpbin.yaml" --ignore-not-found
fi
step "all checks passed"

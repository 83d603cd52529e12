#!/bin/bash
# The tutorial's verification on ASM: the WasmPlugin goes to the ASM instance (MESH_KUBECONFIG),
# httpbin and the gateway pods live in the ACK cluster ($KUBECONFIG).
#
#   MESH_KUBECONFIG=~/.kube/asm IMAGE=registry.cn-hangzhou.aliyuncs.com/NS/header-auth:v1 \
#     deploy/asm/verify.sh
#
# Same variables as deploy/istio/verify.sh. Without IMAGE it applies deploy/asm/wasmplugin.yaml.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ -n "${MESH_KUBECONFIG:-}" ]] || {
  echo "set MESH_KUBECONFIG to the kubeconfig of the ASM instance" >&2
  exit 2
}
if [[ -z "${IMAGE:-}" ]]; then
  # verify.sh applies deploy/istio/wasmplugin.yaml without IMAGE: use the ASM file instead.
  IMAGE="$(sed -n 's|^  url: oci://||p' "$here/wasmplugin.yaml")"
  export IMAGE
  export IMAGE_PULL_SECRET="${IMAGE_PULL_SECRET:-$(sed -n 's|^  imagePullSecret: ||p' "$here/wasmplugin.yaml")}"
fi
exec "$here/../istio/verify.sh"

#!/usr/bin/env bash
# Runs the CSI conformance suite (csi-sanity, from kubernetes-csi/csi-test) against this build: a local
# registry with samples/tiny-model pushed, one driver in --mode all (the suite reads the node socket's
# plugin capabilities to decide whether a controller exists) and one in --mode controller for the
# controller endpoint. csi-sanity is not vendored here and cannot be built in CI (it needs Go and the
# csi-test sources); build it once with Go >= 1.23:
#   git clone --branch v5.4.0 https://github.com/kubernetes-csi/csi-test && cd csi-test &&
#   GOFLAGS=-mod=vendor go build -o /usr/local/bin/csi-sanity ./cmd/csi-sanity
# Usage: scripts/csi-sanity.sh [path/to/csi-sanity] [extra csi-sanity flags...]   (root: it mounts)
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root=$(pwd)
sanity=${1:-csi-sanity}
shift || true
command -v "$sanity" >/dev/null 2>&1 || { echo "csi-sanity not found ($sanity); see the header of $0" >&2; exit 2; }

work=$(mktemp -d /tmp/modelcsi-sanity.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  grep -F " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build ModelCsi.sln -c Release --nologo -v quiet -clp:NoSummary
port=$(bash scripts/start-registry.sh "$work/registry")
pids+=("$(cat "$work/registry/registry.pid")")
ref="127.0.0.1:$port/sanity/tiny-model:v1"
dotnet "$repo_root/src/ModelCsi.Cli/bin/Release/net10.0/modelcsi.dll" push samples/tiny-model "$ref" --name tiny-model --version v1 >/dev/null

driver="$repo_root/src/ModelCsi.Driver/bin/Release/net10.0/modelcsi-driver.dll"
mkdir -p "$work/kubelet"
dotnet "$driver" --mode all --endpoint "unix://$work/node.sock" --node-id sanity-node --root-dir "$work/root" \
  --kubelet-dir "$work/kubelet" --metrics-address "" >"$work/node.log" 2>&1 &
pids+=("$!")
dotnet "$driver" --mode controller --endpoint "unix://$work/controller.sock" --node-id sanity-controller \
  --root-dir "$work/controller-root" --metrics-address "" >"$work/controller.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 300); do [ -S "$work/node.sock" ] && [ -S "$work/controller.sock" ] && break; sleep 0.1; done

printf 'modelRef: "%s"\n' "$ref" >"$work/parameters.yaml"
"$sanity" --csi.endpoint "unix://$work/node.sock" --csi.controllerendpoint "unix://$work/controller.sock" \
  --csi.mountdir "$work/kubelet/mount" --csi.stagingdir "$work/kubelet/staging" \
  --csi.testvolumeparameters "$work/parameters.yaml" "$@"

#!/usr/bin/env bash
# ModelCsi end to end on one machine, as root, no Kubernetes needed:
#   a local OCI registry, the sample model pushed as a ModelPack artifact, the CSI node plugin on a
#   unix socket, two "pods" publishing the model the way kubelet does, proof the mounts are
#   read-only and share one cached copy, then unpublish and stop everything.
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root=$PWD

if [ "$(id -u)" -ne 0 ]; then echo "demo: run as root (it bind-mounts)" >&2; exit 1; fi
bash scripts/install-deps.sh

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

work=$(mktemp -d /tmp/modelcsi-demo.XXXXXX)
registry_pid=""; driver_pid=""
cleanup() {
  set +e
  # Never leave a mount behind, even when a step failed half way.
  grep -F " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount "$m"; done
  [ -n "$driver_pid" ] && kill -TERM "$driver_pid" 2>/dev/null && wait "$driver_pid" 2>/dev/null
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

step "build (Release)"
dotnet build ModelCsi.sln -c Release --nologo -v quiet -clp:NoSummary
modelcsi() { dotnet "$repo_root/src/ModelCsi.Cli/bin/Release/net10.0/modelcsi.dll" "$@"; }

step "start a local OCI registry (docker-registry, filesystem storage in $work/registry)"
port=$(bash scripts/start-registry.sh "$work/registry")
registry_pid=$(cat "$work/registry/registry.pid")
ref="127.0.0.1:$port/demo/tiny-model:v1"
echo "registry on 127.0.0.1:$port"

step "push samples/tiny-model as a ModelPack artifact"
modelcsi push samples/tiny-model "$ref" --name tiny-model --version v1
modelcsi inspect "$ref"

step "pull it back into a directory and compare with the source"
modelcsi pull "$ref" "$work/pulled"
diff -r samples/tiny-model "$work/pulled" && echo "pulled copy is identical to samples/tiny-model"

step "start the CSI node plugin on a unix socket"
socket="$work/plugin/csi.sock"
metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
  || shuf -i 20000-60000 -n 1)
dotnet "$repo_root/src/ModelCsi.Driver/bin/Release/net10.0/modelcsi-driver.dll" \
  --endpoint "unix://$socket" --node-id demo-node --root-dir "$work/root" --kubelet-dir "$work/kubelet" \
  --metrics-address "127.0.0.1:$metrics_port" >"$work/driver.log" 2>&1 &
driver_pid=$!
for _ in $(seq 1 100); do [ -S "$socket" ] && break; sleep 0.1; done
modelcsi csi probe --endpoint "unix://$socket"

gets_before=$(grep -c '"GET /v2/demo/tiny-model/blobs/' "$work/registry/registry.log" || true)

step "two pods publish the model, as kubelet does for an inline csi volume"
kubelet="$work/kubelet/pods"
target_a="$kubelet/pod-a/volumes/kubernetes.io~csi/model/mount"
target_b="$kubelet/pod-b/volumes/kubernetes.io~csi/model/mount"
modelcsi csi publish --endpoint "unix://$socket" --volume-id csi-pod-a --target "$target_a" --model-ref "$ref" --pod demo/pod-a
modelcsi csi publish --endpoint "unix://$socket" --volume-id csi-pod-b --target "$target_b" --model-ref "$ref" --pod demo/pod-b

step "what pod-a sees"
(cd "$target_a" && find . -type f | sort | xargs ls -l)
echo
echo "mounts (from /proc/self/mountinfo):"
grep -F "$kubelet" /proc/self/mountinfo | awk '{print "  " $5 "  " $6 "  <- " $4}'

step "the mounts are read-only"
if (echo tampered > "$target_a/config.json") 2>"$work/write.err"; then
  echo "ERROR: write succeeded"; exit 1
else
  echo "write to $target_a/config.json refused: $(sed 's/.*: //' "$work/write.err")"
fi

step "both pods share one cached copy (same inode), downloaded once"
stat -c '%i %h %n' "$target_a/model.safetensors" "$target_b/model.safetensors"
gets_after=$(grep -c '"GET /v2/demo/tiny-model/blobs/' "$work/registry/registry.log" || true)
echo "blob GETs the registry served for both publishes: $((gets_after - gets_before)) (9 layers + 1 config, once)"
modelcsi csi stats --endpoint "unix://$socket" --volume-id csi-pod-a --path "$target_a"

step "what the node's metrics say (curl http://127.0.0.1:$metrics_port/metrics)"
curl -fsS "http://127.0.0.1:$metrics_port/metrics" \
  | grep -E '^modelcsi_(cache_(hits|misses)_total|pulls_succeeded_total|published_volumes|cache_models|downloaded_bytes_total) ' | sed 's/^/  /'

step "unpublish both pods"
modelcsi csi unpublish --endpoint "unix://$socket" --volume-id csi-pod-a --target "$target_a"
modelcsi csi unpublish --endpoint "unix://$socket" --volume-id csi-pod-b --target "$target_b"
if grep -qF "$kubelet" /proc/self/mountinfo; then echo "ERROR: a mount is left"; exit 1; fi
echo "no mounts left; targets removed: $( [ -e "$target_a" ] && echo no || echo yes )"

step "warming models ahead of pods (ModelCache)"
# There is no Kubernetes API server here, so the ModelCache part is not in this demo: the driver warms models from
# ModelCache objects it watches through the API server. The tests run exactly that against an HTTP-level fake API
# server (tests/ModelCsi.Driver.Tests/ModelCaches/ModelCacheWarmupTests.cs), and the README's "Warming models with
# ModelCache" section shows the resource and `kubectl get mcache`.
echo "skipped: needs a Kubernetes API server (see README, Warming models with ModelCache; the tests use an HTTP-level fake)"

step "stop the driver (SIGTERM) and the registry"
kill -TERM "$driver_pid"; wait "$driver_pid" || true; driver_pid=""
echo "driver log (last lines):"; tail -n 5 "$work/driver.log" | sed 's/^/  /'
echo
echo "demo finished"

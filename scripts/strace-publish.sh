#!/usr/bin/env bash
# Counts the driver's system calls over N warm publish+unpublish pairs made through `modelcsi csi`:
# a local registry with a tiny model, a driver on its own root, one warm-up publish, then strace -c
# attached to the driver only (the CLI processes are not traced). Needs root, docker-registry, strace.
# usage: scripts/strace-publish.sh [N] [Configuration]   (default 200, Debug; run after a build)
set -euo pipefail
n=${1:-200}
config=${2:-Debug}
here=$(cd "$(dirname "$0")/.." && pwd)
cli="dotnet $here/src/ModelCsi.Cli/bin/$config/net10.0/modelcsi.dll"
driver="$here/src/ModelCsi.Driver/bin/$config/net10.0/modelcsi-driver.dll"
work=$(mktemp -d /tmp/strace-publish.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  grep " $work" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "$1"; tail -20 "$work/driver.log"; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/registry.yml" <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: 127.0.0.1:$port}
YML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 & pids+=($!)
mkdir -p "$work/model"; echo '{}' > "$work/model/config.json"; head -c 65536 /dev/urandom > "$work/model/model.safetensors"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
$cli push -q "$work/model" "127.0.0.1:$port/bench/tiny:1" >/dev/null
sock="$work/plugin/csi.sock"
dotnet "$driver" --endpoint "unix://$sock" --root-dir "$work/root" --kubelet-dir "$work" --node-id strace-node --metrics-address "127.0.0.1:$mport" >"$work/driver.log" 2>&1 & dpid=$!; pids+=($dpid)
for _ in $(seq 1200); do [ -S "$sock" ] && break; kill -0 "$dpid" 2>/dev/null || fail "driver exited"; sleep 0.1; done
[ -S "$sock" ] || fail "no driver socket after 2 minutes"
csi() { $cli csi "$@" --endpoint "unix://$sock" -q >/dev/null; }
ref="127.0.0.1:$port/bench/tiny:1"
csi publish --volume-id warm --target "$work/pods/warm/mount" --model-ref "$ref"
csi unpublish --volume-id warm --target "$work/pods/warm/mount"
strace -qq -f -C -e trace=openat,read,pread64,statx,newfstatat,mount,umount2 -p "$dpid" -o "$work/strace.txt" & spid=$!
sleep 1
for i in $(seq "$n"); do
  csi publish --volume-id "v$i" --target "$work/pods/p$i/mount" --model-ref "$ref"
  csi unpublish --volume-id "v$i" --target "$work/pods/p$i/mount"
done
kill -INT "$spid"; wait "$spid" 2>/dev/null || true
echo "driver syscalls over $n publish+unpublish pairs (strace -qq -f -C -e trace=openat,read,pread64,statx,newfstatat,mount,umount2 -p DRIVER):"
sed -n '/% time/,$p' "$work/strace.txt"
echo "openat of /proc/self/mountinfo: $(grep -c 'openat(.*/proc/self/mountinfo' "$work/strace.txt" || true)"

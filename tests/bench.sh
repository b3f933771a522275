#!/usr/bin/env bash
# Benchmarks the node plugin against the machine's limits and against peers (issue 12, item 7).
# Creates its own journaled ext4 filesystem on a loop device (the VM's root filesystem makes
# small-file figures swing 3-25x), runs tests/ModelCsi.Benchmarks there, and removes it on exit.
# Limit = min(registry -> /dev/null via curl, disk write + fsync, OpenSSL sha256 x the cores the
# layers can use); skopeo (installed on demand) and curl | tar are the peers, run in the same
# repetition in alternating order. Prints one table; exits 0 when it ran (missed targets too).
# Needs root (loop device, bind mounts), docker-registry, curl, openssl, zstd.
#   tests/bench.sh [--quick] [--reps N] [--size-gib N] [--small-files K] [--warm N] [--keep] [--baseline DLL]
#   --quick: small sizes, 1 repetition (a few minutes; a smoke test, not results)
#   --baseline DLL: only cold pull, warm publish p50/p99 and RSS, another driver build (before) against this one (after)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "bench.sh needs root: it mounts a loop filesystem and the driver bind-mounts models" >&2
  exit 1
fi

size_gib=2
quick=0
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --quick) quick=1 ;;
    --size-gib) size_gib="${args[$((i + 1))]:-2}" ;;
    --work-dir) echo "bench.sh makes its own work filesystem; run the benchmark dll directly to choose one" >&2; exit 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
  esac
done
if [ "$quick" -eq 1 ] && [[ " $* " != *" --size-gib "* ]]; then
  size_gib=0.0625
fi

if ! command -v skopeo >/dev/null 2>&1; then
  echo "installing skopeo (the peer for raw layers)" >&2
  if ! (DEBIAN_FRONTEND=noninteractive apt-get install -y -q skopeo >/dev/null 2>&1 ||
        (apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q skopeo >/dev/null 2>&1)); then
    echo "skopeo could not be installed: its rows print n/a" >&2
  fi
fi

dotnet build tests/ModelCsi.Benchmarks/ModelCsi.Benchmarks.csproj -c Release --nologo -v quiet >&2

# Room for one model in the cache, the peer's copy of it, the dd probe and the journal, sparse on disk.
fs_gib=$(awk -v s="$size_gib" 'BEGIN { g = int(3 * s + 3); print (g < 4 ? 4 : g) }')
tmp=$(mktemp -d /var/tmp/modelcsi-bench.XXXXXX)
loop=""
cleanup() {
  cd /
  if mountpoint -q "$tmp/fs" 2>/dev/null; then
    umount -R "$tmp/fs" 2>/dev/null || umount -R -l "$tmp/fs" || true
  fi
  if [ -n "$loop" ]; then
    losetup -d "$loop" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

truncate -s "${fs_gib}G" "$tmp/fs.img"
# Inode tables and journal written now, so no lazy-init writeback is counted as the driver's writes.
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$tmp/fs.img"
# Direct I/O on the backing file: the loop device then writes through like a disk, not into a second page cache.
loop=$(losetup --find --show --direct-io=on "$tmp/fs.img" 2>/dev/null || losetup --find --show "$tmp/fs.img")
mkdir "$tmp/fs"
mount -t ext4 "$loop" "$tmp/fs"
echo "work filesystem: ext4 (data=ordered journal) on $loop, ${fs_gib} GiB sparse, at $tmp/fs" >&2

status=0
dotnet tests/ModelCsi.Benchmarks/bin/Release/net10.0/modelcsi-bench.dll --work-dir "$tmp/fs" "$@" || status=$?
exit "$status"

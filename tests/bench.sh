#!/usr/bin/env bash
# Benchmarks the node plugin: cold pull + publish of a large model from a local registry against the
# machine's own limits (curl and sha256sum on the same blobs), warm publish latency and the driver's
# peak RSS. Prints a table of figures and targets; it is not a test and exits 0 when it ran.
# Needs root (bind mounts), docker-registry and curl.
#   tests/bench.sh [--size-gib N] [--files K] [--warm N] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "bench.sh needs root: the driver bind-mounts models" >&2
  exit 1
fi
dotnet build tests/ModelCsi.Benchmarks/ModelCsi.Benchmarks.csproj -c Release --nologo -v quiet >&2
exec dotnet tests/ModelCsi.Benchmarks/bin/Release/net10.0/modelcsi-bench.dll "$@"

#!/usr/bin/env bash
# Runs every test project (unit, integration against a real registry, real mounts as root) and
# prints the summed totals as one closing line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

dotnet build ModelCsi.sln --nologo -v quiet -c Debug || { echo "0 passed, 1 failed"; exit 1; }

status=0
for project in tests/*.Tests/*.csproj; do
  name="$(basename "$project" .csproj)"
  echo "== $name"
  dotnet test "$project" --no-build --nologo -c Debug \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
    --logger "console;verbosity=minimal" || status=1
done

# Time-boxed fuzzing (scripts/fuzz.sh): each target counts as one test, failed when afl-fuzz saved a crash.
echo "== fuzz (${FUZZ_SECONDS:-45}s per target)"
FUZZ_RESULTS="$results/fuzz.txt" bash scripts/fuzz.sh --ci "${FUZZ_SECONDS:-45}" || status=1

sum() { grep -ho "$1=\"[0-9]*\"" "$results"/*.trx 2>/dev/null | grep -o '[0-9]*' | awk '{s+=$1} END {print s+0}'; }
passed=$(sum passed); failed=$(sum failed)
passed=${passed:-0}; failed=${failed:-0}
fuzz_passed=$(grep -c ' pass$' "$results/fuzz.txt" 2>/dev/null); fuzz_failed=$(grep -c ' fail$' "$results/fuzz.txt" 2>/dev/null)
passed=$((passed + ${fuzz_passed:-0})); failed=$((failed + ${fuzz_failed:-0}))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
exit "$status"

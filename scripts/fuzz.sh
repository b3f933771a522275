#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers and the layer unpacker with afl-fuzz (Debian's afl++) and SharpFuzz.
#
#   scripts/fuzz.sh TARGET SECONDS   fuzz one target (long runs: findings stay in $FUZZ_OUT/TARGET)
#   scripts/fuzz.sh --ci [SECONDS]   every target for SECONDS each (default 45); exit 1 if any crashed
#   scripts/fuzz.sh --list           the target names
#
# Seeds are tests/ModelCsi.Fuzz/corpus/TARGET/. A crash is saved under $FUZZ_OUT/TARGET/default/crashes/;
# reproduce it with `dotnet $FUZZ_OUT/bin/ModelCsi.Fuzz.dll TARGET FILE`, fix it, and add the input to a
# regression test. With FUZZ_RESULTS=FILE, --ci appends "TARGET pass|fail" lines to FILE (tests/run.sh counts them).
set -uo pipefail
cd "$(dirname "$0")/.."

targets=(tar tar-gzip tar-zstd manifest index config reference glob)
out="${FUZZ_OUT:-/tmp/modelcsi-fuzz}"
bin="$out/bin"
replay="$out/replay"
work_tmp="${TMPDIR:-/tmp}"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then work_tmp=/dev/shm; fi

usage() { echo "usage: $0 TARGET SECONDS | --ci [SECONDS] | --list (targets: ${targets[*]})" >&2; exit 2; }

build() {
  command -v afl-fuzz >/dev/null || { echo "fuzz: afl-fuzz not found (apt-get install afl++)" >&2; return 1; }
  rm -rf "$bin" "$replay"
  dotnet publish tests/ModelCsi.Fuzz/ModelCsi.Fuzz.csproj -c Release -o "$bin" --nologo -v quiet >/dev/null || return 1
  # An uninstrumented copy replays what afl-fuzz saved (the instrumented one only runs under afl-fuzz).
  cp -r "$bin" "$replay" || return 1
  dotnet tool restore >/dev/null || return 1
  # Only our code is instrumented: coverage of the runtime's tar/gzip code would drown ours.
  dotnet sharpfuzz "$bin/ModelCsi.Core.dll" >/dev/null || return 1
}

stat_of() { awk -F' *: *' -v key="$2" '$1 == key { print $2 }' "$1" 2>/dev/null; }

# fuzz TARGET SECONDS: runs afl-fuzz, prints one summary line, returns 1 when it saved a crash.
fuzz() {
  local target="$1" seconds="$2" dir="$out/$1"
  [ -d "tests/ModelCsi.Fuzz/corpus/$target" ] || { echo "fuzz: unknown target '$target'" >&2; return 2; }
  mkdir -p "$dir"
  # The target runs under dotnet (not instrumented itself: SharpFuzz reports coverage); no UI, no core dumps
  # needed (crashes are reported through the fork server), no CPU pinning on a shared machine.
  # The layer targets unpack into a temp directory per execution: on tmpfs that is about four times faster.
  TMPDIR="$work_tmp" AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 \
  AFL_FORKSRV_INIT_TMOUT=60000 AFL_AUTORESUME=1 \
    afl-fuzz -i "tests/ModelCsi.Fuzz/corpus/$target" -o "$dir" -V "$seconds" -t 5000+ -m none \
      -- "$(command -v dotnet)" "$bin/ModelCsi.Fuzz.dll" "$target" >"$dir/afl.log" 2>&1
  local rc=$?
  local stats="$dir/default/fuzzer_stats"
  local execs corpus crashes hangs
  execs="$(stat_of "$stats" execs_done)"; corpus="$(stat_of "$stats" corpus_count)"
  crashes="$(stat_of "$stats" saved_crashes)"; hangs="$(stat_of "$stats" saved_hangs)"
  if [ -z "$execs" ]; then
    echo "fuzz $target: afl-fuzz did not run (exit $rc); last lines of $dir/afl.log:"
    tail -n 15 "$dir/afl.log" | sed 's/^/  /'
    return 1
  fi
  # A saved crash counts when it crashes again on replay: under a heavily loaded machine the SharpFuzz fork
  # server very rarely reports a crash for an input that runs fine (seen twice in ~2M executions).
  local reproduced=0 flaky=0 crash
  for crash in "$dir"/default/crashes/id*; do
    [ -f "$crash" ] || continue
    # In a subshell, so the shell's "Aborted" notice for the crashing process goes to the log too.
    if (timeout 60 dotnet "$replay/ModelCsi.Fuzz.dll" "$target" "$crash") >"$crash.replay.log" 2>&1; then
      flaky=$((flaky + 1)); echo "  not reproduced on replay: $crash"
    else
      reproduced=$((reproduced + 1)); echo "  crash: $crash"; grep -m1 -i 'exception' "$crash.replay.log" | sed 's/^/    /'
    fi
  done
  echo "fuzz $target: ${execs} executions, corpus ${corpus}, crashes ${reproduced} (${flaky} not reproduced), hangs ${hangs:-0} (${seconds}s)"
  [ "$reproduced" -eq 0 ]
}

case "${1:-}" in
  --list) printf '%s\n' "${targets[@]}" ;;
  --ci)
    seconds="${2:-45}"
    build || { echo "fuzz: build failed" >&2; for t in "${targets[@]}"; do [ -n "${FUZZ_RESULTS:-}" ] && echo "$t fail" >>"$FUZZ_RESULTS"; done; exit 1; }
    status=0
    for target in "${targets[@]}"; do
      # A fresh output directory per CI run: findings of an earlier run must not be resumed or counted.
      rm -rf "${out:?}/$target"
      if fuzz "$target" "$seconds"; then result=pass; else result=fail; status=1; fi
      [ -n "${FUZZ_RESULTS:-}" ] && echo "$target $result" >>"$FUZZ_RESULTS"
    done
    exit "$status"
    ;;
  ""|-*) usage ;;
  *)
    [ $# -eq 2 ] || usage
    build || exit 1
    fuzz "$1" "$2"
    ;;
esac

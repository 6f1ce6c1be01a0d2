#!/usr/bin/env bash
# The libFuzzer targets of tests/fuzz/ (docs/testing.md, "Fuzzing"): builds
# them with clang, ASan and UBSan into build-fuzz/ (a unity build, 16 files
# a unit: two files of the library may not give one name to different things
# in anonymous namespaces), then runs each in turn on its committed seeds
# (tests/fuzz/corpus/<target>/) and prints, per target, executions, time,
# exec/s, corpus size and findings (crash, leak, timeout, out of memory).
# Exit 1 when anything was found; the input that found it is in
# build-fuzz/fuzz-artifacts/<target>/.
#
#   scripts/fuzz.sh [--smoke | --merge] [--jobs N] [TARGET...]   (default: every target)
#     (none)    the campaign: each target until 10,000,000 executions or 30
#               minutes, whichever comes first, at nice 15; what it finds
#               grows build-fuzz/fuzz-corpus/<target>/. Resumable: a target
#               whose row is in build-fuzz/fuzz-results/ is not run again
#               (delete the row, or FUZZ_AGAIN=1, to rerun it)
#     --smoke   about 10 s per target (FUZZ_SECONDS) on the committed seeds (CI)
#     --merge   minimise tests/fuzz/corpus/<target>/ with what the campaign
#               found (libFuzzer -merge=1): the seeds that add coverage
#     --jobs N  run N targets side by side (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=campaign
targets=()
jobs=1
usage() { echo "usage: scripts/fuzz.sh [--smoke | --merge] [--jobs N] [TARGET...]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) mode=smoke ;;
    --merge) mode=merge ;;
    --jobs) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; jobs=$2; shift ;;
    -*) usage ;;
    *) targets+=("$1") ;;
  esac
  shift
done

build=build-fuzz
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
start=$(date +%s)
[ -n "${FUZZ_NO_BUILD:-}" ] || cmake -S . -B $build -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_FLAGS="-O1 -gline-tables-only" -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" -DUPKEEP_FUZZ=ON \
  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 -DUPKEEP_STRIP_PROGRAMS=OFF "${launcher[@]}" >/dev/null
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(find tests/fuzz -name '*_fuzzer.cpp' -printf '%f\n' | sed 's/_fuzzer\.cpp$//' | sort)
fi
if [ -z "${FUZZ_NO_BUILD:-}" ]; then  # FUZZ_NO_BUILD=1: run what build-fuzz/ holds
  nice -n "${FUZZ_NICE:-15}" cmake --build $build -j"$(nproc)" --target "${targets[@]/%/_fuzzer}"
  echo "fuzz: built ${#targets[@]} targets in $(($(date +%s) - start)) s"
fi

# Targets that read JSON get the JSON dictionary.
json_targets=" json canonical_json root_metadata timestamp_metadata snapshot_metadata targets_metadata
  delegated_targets manifest delta_index config managed_policy "
scratch=$(mktemp -d "${FUZZ_TMPDIR:-/dev/shm}/upkeep-fuzz.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export TMPDIR=$scratch
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/fuzz/ubsan.supp

results=$build/fuzz-results
mkdir -p "$results"

# One target: its row goes to $results/<target>.row (campaign) or stdout.
run_one() {
  local t=$1
  local seeds=tests/fuzz/corpus/$t
  local grown=$build/fuzz-corpus/$t
  local artifacts=$build/fuzz-artifacts/$t/
  local log=$build/fuzz-logs/$t.log
  mkdir -p "$seeds" "$grown" "$artifacts" "$(dirname "$log")"
  local dict=()
  [[ $json_targets == *" $t "* ]] && dict=(-dict=tests/fuzz/json.dict)
  if [ $mode = merge ]; then
    local merged
    merged=$(mktemp -d)
    $build/tests/fuzz/${t}_fuzzer -merge=1 "${dict[@]}" "$merged" "$seeds" "$grown" >"$log" 2>&1
    rm -rf "$seeds" && mv "$merged" "$seeds" && chmod 755 "$seeds"
    echo "$t: $(ls "$seeds" | wc -l) seeds, $(du -sk "$seeds" | cut -f1) KiB"
    return 0
  fi
  local limits
  if [ $mode = smoke ]; then
    # The committed seeds only, nothing written back (a scratch copy takes the new inputs).
    limits=(-max_total_time="${FUZZ_SECONDS:-10}")
    grown=$scratch/corpus-$t
    mkdir -p "$grown"
  else
    limits=(-runs="${FUZZ_RUNS:-10000000}" -max_total_time="${FUZZ_MAX_TIME:-1800}")
  fi
  # The regressions too: a merge keeps only seeds that add coverage, and a
  # finding's input must be run again under the sanitizers that found it.
  local regressions=()
  [ -d tests/fuzz/regressions/$t ] && regressions=(tests/fuzz/regressions/$t)
  local t0 rc=0 secs runs corpus what="none"
  t0=$(date +%s.%N)
  nice -n "${FUZZ_NICE:-15}" $build/tests/fuzz/${t}_fuzzer "${limits[@]}" "${dict[@]}" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts" "$grown" "$seeds" "${regressions[@]}" >"$log" 2>&1 || rc=$?
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  [ -n "$runs" ] || runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  corpus=$(find "$grown" "$seeds" -type f | wc -l)
  if [ "$rc" -ne 0 ]; then
    # CI keeps no files: the finding's report goes to the output.
    [ $mode = smoke ] && tail -n 60 "$log" | sed "s/^/$t: /" >&2
    what="exit $rc: $(grep -m1 -oE 'ERROR: [A-Za-z]+: [a-z-]+|SUMMARY: [^ ]+ [^ ]+|deadly signal|timeout|out-of-memory' "$log" || echo see log) ($log)"
  fi
  local row
  row=$(printf '%-20s %12s %7.0f %9.0f %8s  %s' "$t" "${runs:-0}" "$secs" \
    "$(awk -v r="${runs:-0}" -v s="$secs" 'BEGIN { print r / s }')" "$corpus" "$what")
  if [ $mode = campaign ]; then
    echo "$row $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >"$results/$t.row"
  fi
  echo "$row"
  [ "$rc" -eq 0 ]
}

found=0
[ $mode = merge ] || printf '%-20s %12s %7s %9s %8s  %s\n' target executions seconds exec/s corpus findings
running=0
for t in "${targets[@]}"; do
  if [ $mode = campaign ] && [ -z "${FUZZ_AGAIN:-}" ] && [ -s "$results/$t.row" ]; then
    echo "$(cat "$results/$t.row")  (done before)"
    continue
  fi
  if [ "$running" -ge "$jobs" ]; then
    wait -n || found=1
    running=$((running - 1))
  fi
  run_one "$t" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || found=1
  running=$((running - 1))
done
exit $found

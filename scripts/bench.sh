#!/usr/bin/env bash
# bench.sh: runs every benchmark and rewrites the figures section of
# docs/benchmarks.md (between its bench-figures markers) with the machine,
# each bench's load, and each figure beside its target.
#
# It builds the Release benchmarks and the programs they run in build-bench/
# (ccache when present, the build at nice 10), runs each with --json into
# build-bench/figures/<bench>.json (its text into <bench>.log), and hands the
# records to scripts/bench_figures.py. A bench that fails is recorded as failed
# with its last error line; the others still run. Benches not run this time
# keep their rows from the previous section.
#
# usage: scripts/bench.sh [--quick] [--only NAME,...] [--no-build] [--no-write] [--fetch]
#   --quick     small sizes and few runs (see quick_args below; a few minutes in all)
#   --only      these benches only: launcher_overhead apply_time torture deploy_time
#               footprint handover_bench many_files_bench release_time patch_apply
#               delta_bench fleet_bench
#   --no-build  use what build-bench/ holds
#   --no-write  print the section instead of rewriting docs/benchmarks.md
#   --fetch     download the Debian packages delta_bench and patch_apply need
#               (bench/delta/fetch_debs.sh into build/delta-bench/); without it they
#               run only when those folders are there already, else are skipped
# Exit: 0 when every bench ran (or was skipped), 1 when one failed, 2 on a usage error.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
all=(launcher_overhead apply_time torture deploy_time footprint handover_bench many_files_bench release_time
  patch_apply delta_bench fleet_bench)

usage_error() {
  echo "bench.sh: $1 (see scripts/bench.sh --help)" >&2
  exit 2
}

quick=0 build=1 write=1 fetch=0 only=""
while [ $# -gt 0 ]; do
  case "$1" in
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  --quick) quick=1 ;;
  --no-build) build=0 ;;
  --no-write) write=0 ;;
  --fetch) fetch=1 ;;
  --only)
    [ $# -ge 2 ] || usage_error "--only expects NAME,..."
    only="$2"
    shift
    ;;
  --only=*) only="${1#--only=}" ;;
  *) usage_error "unknown argument '$1'" ;;
  esac
  shift
done

selected=("${all[@]}")
if [ -n "$only" ]; then
  IFS=, read -r -a selected <<<"$only"
  for name in "${selected[@]}"; do
    [[ " ${all[*]} " == *" $name "* ]] || usage_error "--only: no bench named '$name'"
  done
fi

# Arguments of each bench: --quick's small run, else the documented defaults.
quick_args() {
  case "$1" in
  launcher_overhead) echo "--runs 30 --warmup 3" ;;
  apply_time) echo "--runs 3 --cp-runs 1 --scale 2" ;;
  torture) echo "--trials 6 --broken 2 --concurrent 2" ;;
  deploy_time) echo "--runs 2 --files 20 --file-kib 64" ;;
  handover_bench) echo "--runs 1 --after-ms 200" ;;
  many_files_bench) echo "--files 1000 --runs 1 --exit-runs 1" ;;
  release_time) echo "--runs 1 --mib 16 --levels none" ;;
  patch_apply) echo "--runs 1 --files 1" ;;
  delta_bench) echo "--runs 1 --only openssl" ;;
  fleet_bench) echo "--clients 8 --seconds 2 --installations 20 --idle-minutes 10 --time-scale 120 --repeat 20" ;;
  esac
}

apps="$here/build/delta-bench/apps" # where fetch_debs.sh unpacks by default
# Why a bench cannot run here, or nothing.
skip_reason() {
  case "$1" in
  delta_bench)
    for p in openssl postgresql-15 libreoffice-core; do
      [ "$quick" = 1 ] && [ "$p" != openssl ] && continue
      [ -d "$apps/$p" ] || {
        echo "needs the Debian packages of bench/delta/fetch_debs.sh (a download): run with --fetch"
        return
      }
    done
    ;;
  patch_apply)
    [ -d "$apps/firefox-esr" ] || [ -d "$apps/chromium" ] ||
      echo "needs bench/delta/fetch_debs.sh chromium firefox-esr (a download): run with --fetch"
    ;;
  fleet_bench)
    [ -x /usr/sbin/nginx ] || echo "needs /usr/sbin/nginx (Debian's nginx package)"
    ;;
  esac
}

cd "$here"
out="build-bench"
if [ "$build" = 1 ]; then
  if command -v ccache >/dev/null; then
    export CMAKE_C_COMPILER_LAUNCHER="${CMAKE_C_COMPILER_LAUNCHER:-ccache}"
    export CMAKE_CXX_COMPILER_LAUNCHER="${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}"
  fi
  [ -f "$out/CMakeCache.txt" ] || cmake -S . -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release
  targets=()
  for name in "${selected[@]}"; do
    [ "$name" = footprint ] || targets+=("$name")
  done
  # The programs the benches start (add_dependencies covers only some of them).
  targets+=(launcher mainapp upkeep_cli upkeep_updater)
  nice -n 10 cmake --build "$out" --target "${targets[@]}"
fi

mode=full
[ "$quick" = 1 ] && mode=quick
if [ "$fetch" = 1 ]; then
  for name in "${selected[@]}"; do
    case "$name" in
    delta_bench)
      names=()
      [ "$quick" = 1 ] && names=(openssl) # --quick measures openssl alone
      bench/delta/fetch_debs.sh "${names[@]}"
      ;;
    patch_apply) bench/delta/fetch_debs.sh chromium firefox-esr libreoffice-core ;;
    esac
  done
fi

figures="$out/figures"
mkdir -p "$figures"
records=()
failed=0
for name in "${selected[@]}"; do
  rec="$figures/$name.json"
  records+=("$rec")
  reason="$(skip_reason "$name")"
  if [ -n "$reason" ]; then
    echo "bench.sh: $name skipped: $reason" >&2
    python3 scripts/bench_figures.py record --bench "$name" --mode "$mode" --skipped "$reason" >"$rec"
    continue
  fi
  args=()
  [ "$quick" = 1 ] && read -r -a args <<<"$(quick_args "$name")"
  case "$name" in
  footprint) cmd=(bench/footprint.sh --json "$out") ;;
  delta_bench) cmd=("$out/delta_bench" --json --apps "$apps" --cache "$here/build/delta-bench/tool-cache" "${args[@]}") ;;
  patch_apply) cmd=("$out/patch_apply" --json --apps "$apps" "${args[@]}") ;;
  *) cmd=("$out/$name" --json "${args[@]}") ;;
  esac
  echo "bench.sh: $name: ${cmd[*]} (text in $figures/$name.log)" >&2
  started=$SECONDS
  rc=0
  "${cmd[@]}" >"$figures/$name.out" 2>"$figures/$name.log" || rc=$?
  python3 scripts/bench_figures.py record --bench "$name" --mode "$mode" --rc "$rc" \
    --stdout "$figures/$name.out" --stderr "$figures/$name.log" >"$rec"
  if [ "$rc" != 0 ]; then
    failed=1
    echo "bench.sh: $name FAILED (exit $rc): $(grep -v '^\s*$' "$figures/$name.log" | tail -n 1)" >&2
  else
    echo "bench.sh: $name done in $((SECONDS - started)) s" >&2
  fi
done

if [ "$write" = 1 ]; then
  python3 scripts/bench_figures.py rewrite --doc docs/benchmarks.md "${records[@]}"
  echo "bench.sh: docs/benchmarks.md rewritten (figures section)" >&2
else
  python3 scripts/bench_figures.py rewrite --doc docs/benchmarks.md --print "${records[@]}"
fi
exit "$failed"

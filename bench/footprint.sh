#!/usr/bin/env bash
# footprint: what an install adds beyond the application, and how big an
# offline bundle of a tiny application is (docs/benchmarks.md, "Footprint").
#
# Publishes a 176-byte shell-script app with the real `upkeep release`,
# installs it with `upkeep install` (no shortcut) and bundles it with
# `upkeep bundle`, all with the programs in BIN_DIR (default: build/), then
# prints the sizes of the programs (and of their split-off debug info, when
# the build keeps it beside them), what the install root holds beyond
# versions/<v>/ (regular files, apparent sizes), and the bundle's size.
# Sizes only: no timing, nothing to compare against but the targets
# (install overhead <= 8 MB, bundle <= 10 MB).
#
# --json: the text goes to stderr and stdout holds one JSON object, the
# figures beside their targets (the shape of bench/figures.h, which
# scripts/bench.sh collects).
#
# usage: bench/footprint.sh [--json] [BIN_DIR]
set -euo pipefail
json=0
if [ "${1:-}" = "--json" ]; then
  json=1
  shift
fi
case "${1:-}" in
-h | --help)
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
  ;;
-*)
  echo "footprint.sh: unknown option ${1} (usage: bench/footprint.sh [--json] [BIN_DIR])" >&2
  exit 2
  ;;
esac
load() { cut -d' ' -f1 /proc/loadavg; }
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
load_start="$(load)"
if [ "$json" = 1 ]; then
  exec 3>&1 1>&2 # the text to stderr; fd 3 keeps stdout for the JSON object
fi
bin="$(cd "${1:-$(dirname "$0")/../build}" && pwd)"
work="$(mktemp -d "${TMPDIR:-/var/tmp}/upkeep-footprint.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Sum of the apparent sizes of the regular files under $1, skipping the paths find's $2... prune.
bytes_of() {
  local dir="$1"
  shift
  find "$dir" "$@" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'
}
row() { printf '  %-54s %12s bytes  %7.2f MB\n' "$1" "$(printf "%'d" "$2")" "$(echo "$2 / 1000000" | bc -l)"; }

"$bin/upkeep" keys init --app-id hello --keys "$work/keys" --repo "$work/repo" >/dev/null
mkdir -p "$work/build"
app="$work/build/hello"
printf '#!/bin/sh\n# hello: the tiny vendor application of bench/footprint.sh.\necho "hello from version ${UPKEEP_VERSION:-unknown}"\n' >"$app"
pad=$((176 - $(stat -c %s "$app") - 1))
printf '%*s\n' "$pad" '' | tr ' ' '#' >>"$app"
chmod 0755 "$app"
"$bin/upkeep" release "$work/build" --version 1.0.0 --keys "$work/keys" --repo "$work/repo" --no-delta >/dev/null
"$bin/upkeep" install --repo "file://$work/repo/" --prefix "$work/root" --no-shortcut \
  --trusted-root "$work/repo/metadata/1.root.json" >/dev/null
"$bin/upkeep" bundle --version 1.0.0 -o "$work/hello.bundle" --repo "$work/repo" \
  --update-url https://updates.example.com/ >/dev/null

echo "footprint of $bin ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo "programs:"
for p in launcher upkeep-updater upkeep; do
  row "$p" "$(stat -c %s "$bin/$p")"
  [ -f "$bin/$p.debug" ] && row "  its debug info ($p.debug, not installed)" "$(stat -c %s "$bin/$p.debug")"
done
echo "an install of a $(stat -c %s "$app")-byte app:"
row "the app (versions/1.0.0/)" "$(bytes_of "$work/root/versions/1.0.0")"
overhead="$(bytes_of "$work/root" -path "$work/root/versions/1.0.0" -prune -o)"
row "install overhead (the root but versions/1.0.0/)" "$overhead"
row "  of which the launcher and the updater" "$(($(stat -c %s "$work/root/hello") + $(stat -c %s "$work/root/upkeep-updater")))"
echo "an offline bundle of it:"
bundle="$(stat -c %s "$work/hello.bundle")"
row "hello.bundle" "$bundle"
[ "$json" = 1 ] || exit 0

# figure NAME BYTES LIMIT_MB TARGET_TEXT: one figure object, in MB (10^6 bytes).
figure() {
  local mb met
  mb="$(awk -v b="$2" 'BEGIN { printf "%.6f", b / 1e6 }')" # awk: bc would print .5 for 0.5
  met=false
  [ "$2" -le $(($3 * 1000000)) ] && met=true
  printf '{"name":"%s","value":%s,"unit":"MB","target":%s,"target_text":"%s","met":%s,"note":""}' \
    "$1" "$mb" "$3" "$4" "$met"
}
printf '{"bench":"footprint","started":"%s","load":{"start":%s,"end":%s},"figures":[%s,%s],"params":{"bin_dir":"%s"}}\n' \
  "$started" "$load_start" "$(load)" \
  "$(figure "install overhead, $(stat -c %s "$app")-byte app" "$overhead" 8 "≤ 8 MB")" \
  "$(figure "offline bundle of it" "$bundle" 10 "≤ 10 MB")" "$bin" >&3

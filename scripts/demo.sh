#!/usr/bin/env bash
# Quick start command 1: set up (packages, build), then run the whole update
# path against the built-in repository server on 127.0.0.1:
#   vendor keys -> release v1 and v2 -> serve -> install v1 -> launch v1 ->
#   v1 finds, downloads, verifies and stages v2 in the background ->
#   "restart to update?" answered yes -> the launcher applies v2 -> v2 runs.
set -euo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
if ! scripts/setup.sh launcher mainapp upkeep_cli upkeep_updater >"$log" 2>&1; then
  cat "$log" >&2
  echo "demo: set-up failed (output above)" >&2
  exit 1
fi
rm -f "$log"

bin="$PWD/build"
work="$(mktemp -d "${TMPDIR:-/tmp}/upkeep-demo.XXXXXX")"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# The per-user shortcut goes under XDG_DATA_HOME: keep it inside the demo's folder.
export XDG_DATA_HOME="$work/xdg/data" XDG_CONFIG_HOME="$work/xdg/config" \
  XDG_STATE_HOME="$work/xdg/state" XDG_CACHE_HOME="$work/xdg/cache"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "vendor: create signing keys and an empty repository"
"$bin/upkeep" keys init --app-id demo --keys "$work/keys" --repo "$work/repo"

step "vendor: publish mainapp 1.0.0 and 2.0.0"
for v in 1.0.0 2.0.0; do
  mkdir -p "$work/build-$v"
  cp "$bin/mainapp" "$work/build-$v/mainapp"
  strip --strip-debug "$work/build-$v/mainapp"
  echo "$v" > "$work/build-$v/VERSION"
done
# 2.0.0's program differs from 1.0.0's (bytes appended after the ELF image
# change nothing when it runs), so the update carries a binary patch.
printf 'build 2.0.0\n' >> "$work/build-2.0.0/mainapp"
echo "Starts faster; fixes the crash on exit." > "$work/notes-2.0.0"
shortcut=(--name "upkeep demo" --comment "The reference application of upkeep" --category Utility)
"$bin/upkeep" release "$work/build-1.0.0" --version 1.0.0 --keys "$work/keys" --repo "$work/repo" "${shortcut[@]}"
"$bin/upkeep" release "$work/build-2.0.0" --version 2.0.0 --notes "$work/notes-2.0.0" \
  --keys "$work/keys" --repo "$work/repo" "${shortcut[@]}"

step "serve the repository with the built-in server (127.0.0.1, ephemeral port)"
: > "$work/serve.out"  # before tail reads it: the server's own redirect may come later
"$bin/upkeep" serve "$work/repo" --port 0 >> "$work/serve.out" &
server_pid=$!
read -r line < <(tail -f "$work/serve.out" | head -n 1)
echo "$line"
url="${line##* at }"

step "install version 1.0.0 (trust pinned to the vendor's root keys)"
"$bin/upkeep" install --repo "$url" --prefix "$work/app" --version 1.0.0 \
  --trusted-root "$work/repo/metadata/1.root.json"
echo "its desktop shortcut ($XDG_DATA_HOME/applications/demo.desktop):"
sed 's/^/  /' "$XDG_DATA_HOME/applications/demo.desktop"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$XDG_DATA_HOME/applications/demo.desktop" && echo "  (valid: desktop-file-validate)"
fi

step "start the application through its launcher (it prints its web UI's URL); answer the restart prompt with 'y'"
# v1 exits after handing over to the launcher, which starts v2 detached; `| cat`
# waits until every program writing to this terminal (v1, launcher, v2) is done.
echo y | "$work/app/demo" --exit-after-check --progress=always --ui terminal | cat

step "what the update downloaded (delta: only the files 1.0.0 lacked)"
grep -h -o "rebuilt 2.0.0 from .*\|downloaded 2.0.0.package.zip: .*" "$work/app/logs/"*.log || true

step "what the launcher recorded"
"$work/app/demo" --upkeep-status

current="$(readlink "$work/app/current")"
if [ "$current" = "versions/2.0.0" ]; then
  printf '\ndemo: OK: updated from 1.0.0 to 2.0.0 (current -> %s)\n' "$current"
else
  printf '\ndemo: FAILED: current -> %s, expected versions/2.0.0\n' "$current" >&2
  exit 1
fi

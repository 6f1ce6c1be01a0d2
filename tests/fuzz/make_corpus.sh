#!/usr/bin/env bash
# Writes the seed corpora (tests/fuzz/corpus/<target>/) from real outputs:
# a repository made by `upkeep keys init` and two `upkeep release`s of a
# small build folder (a script, a symlink, a .gz, a .mo catalog, LLVM
# bitcode), with deltas; patches made by the library's patch makers
# (fuzz_make_patch_seeds); an offline bundle's layout around a real
# package; raw HTTP responses. Run after a normal build; then minimise
# with scripts/fuzz.sh --merge. Needs msgfmt, gzip, clang, python3.
#
#   tests/fuzz/make_corpus.sh [BUILD_DIR]     (default: build)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
out=$src/tests/fuzz/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

upkeep() { "$build/upkeep" "$@" >/dev/null 2>&1; }
# A build folder of version $1; $2 changes the content.
build_folder() {
  local d=$1 v=$2 n=$3
  mkdir -p "$d/share/locale/de/LC_MESSAGES" "$d/lib" "$d/bin"
  printf '#!/bin/sh\necho mainapp %s\n' "$v" >"$d/mainapp"
  chmod 755 "$d/mainapp"
  echo "$v" >"$d/VERSION"
  ln -sf ../mainapp "$d/bin/app"
  seq 1 $((300 + n * 20)) | sed 's/^/line /' | gzip -n -9 >"$d/share/changelog.gz"
  {
    printf 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    printf 'msgid "Hello"\nmsgstr "Hallo"\n\nmsgid "Update"\nmsgstr "Aktualisieren"\n'
    [ "$n" -gt 0 ] && printf '\nmsgid "Quit"\nmsgstr "Beenden"\n'
    true
  } >de.po
  msgfmt -o "$d/share/locale/de/LC_MESSAGES/demo.mo" de.po
  printf 'int add(int a, int b) { return a + b + %d; }\nint main(void) { return add(1, 2); }\n' "$n" >a.c
  clang -c -emit-llvm -O1 -o "$d/lib/demo.bc" a.c
}

upkeep keys init --app-id demo --keys keys --repo repo
build_folder b1 1.0.0 0
upkeep release b1 --version 1.0.0 --keys keys --repo repo
build_folder b2 1.1.0 1
upkeep release b2 --version 1.1.0 --keys keys --repo repo

rm -rf "$out"
mkdir -p "$out"
for f in changelog.gz demo.bc demo.mo mainapp; do
  name=$(basename "$f")
  "$build/tests/fuzz/fuzz_make_patch_seeds" "$(find b1 -name "$name")" "$(find b2 -name "$name")" "$out" "$name" >/dev/null
done
python3 "$src/tests/fuzz/make_corpus.py" repo b1 b2 "$out"
"$src/tests/fuzz/fileinfo/make_seeds.sh" "$out"
du -sh "$out"

#!/usr/bin/env bash
# Writes the seed corpora (tests/fuzz/corpus/<target>/) from real outputs:
# a repository made by `upkeep keys init` and two `upkeep release`s of a
# small build folder (a script, a symlink, a .gz, a .mo catalog, LLVM
# bitcode), with deltas; patches made by the library's patch makers
# (fuzz_make_patch_seeds); an offline bundle's layout around a real
# package; raw HTTP responses. Run after a normal build; then minimise
# with scripts/fuzz.sh --merge. Needs msgfmt, gzip, clang, python3, and
# aapt with android-framework-res for the APK seeds (binary_xml, resource_table).
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

# APKs built by aapt: $1 the name, $2 the <manifest> attributes, $3 the default version_name, $4 aapt's options.
apk_seed() {
  local d=apk-$1
  mkdir -p "$d/res/values" "$d/res/values-fr" "$out/binary_xml" "$out/resource_table"
  printf '<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.example.upkeep" %s>\n<application android:label="@string/app_name"/>\n</manifest>\n' "$2" >"$d/AndroidManifest.xml"
  printf '<resources><string name="app_name">Demo</string><string name="version_name">%s</string><string name="alias">@string/version_name</string></resources>\n' "$3" >"$d/res/values/strings.xml"
  printf '<resources><string name="version_name">fr</string></resources>\n' >"$d/res/values-fr/strings.xml"
  (cd "$d" && aapt package -f $4 -M AndroidManifest.xml -S res -I /usr/share/android-framework-res/framework-res.apk -F app.apk)
  unzip -p "$d/app.apk" AndroidManifest.xml >"$out/binary_xml/$1.axml"
  unzip -p "$d/app.apk" resources.arsc >"$out/resource_table/$1.arsc"
}
apk_seed literal 'android:versionCode="314" android:versionCodeMajor="2" android:versionName="3.1.4"' 1.0 ""
apk_seed utf8_reference 'android:versionCode="271" android:versionName="@string/version_name"' 2.7.1 "--min-sdk-version 21"
apk_seed reference_loop 'android:versionCode="5" android:versionName="@string/version_name"' @string/alias ""
du -sh "$out"

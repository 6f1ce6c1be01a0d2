#!/bin/bash
# fetch_debs.sh: the real software the delta benchmark (build/delta_bench)
# publishes. Downloads Debian packages of several versions of the same
# programs (apt-get download NAME=VERSION, kept in a cache folder) and
# unpacks each into an application folder APPS/<name>/<version>/.
#
# Symlinks and the folders left empty are dropped after dpkg-deb -x (many
# of a .deb's links are absolute, which a release refuses; the figures were
# taken without them: docs/benchmarks.md says so).
# Idempotent: a .deb already in the cache is not downloaded again, a folder
# already unpacked (marked by APPS/<name>/.<version>.unpacked, outside the
# folder so it is not released) is left alone.
#
# usage: bench/delta/fetch_debs.sh [--debs DIR] [--apps DIR] [NAME...]
#        defaults build/delta-bench/debs and build/delta-bench/apps; NAMEs:
#        only those packages (e.g. chromium firefox-esr, the big binaries)
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
debs="$here/build/delta-bench/debs"
only=()
apps="$here/build/delta-bench/apps"
while [ $# -gt 0 ]; do
  case "$1" in
    --debs) debs=$2; shift 2 ;;
    --apps) apps=$2; shift 2 ;;
    -*) echo "usage: $0 [--debs DIR] [--apps DIR] [NAME...]" >&2; exit 2 ;;
    *) only+=("$1"); shift ;;
  esac
done

# name version: the series delta_bench releases, oldest first.
packages=(
  "openssl 3.0.17-1~deb12u2"
  "openssl 3.0.20-1~deb12u2"
  "openssl 3.0.22-1~deb12u2"
  "postgresql-15 15.18-0+deb12u1"
  "postgresql-15 15.20-0+deb12u1"
  "libreoffice-core 4:7.4.7-1+deb12u13"
  "libreoffice-core 4:7.4.7-1+deb12u14"
  # Browser-class programs across a major version: the main binary is about
  # 200 MB (Debian 12's point release and its security update).
  "chromium 150.0.7871.100-1~deb12u1"
  "chromium 156.0.8078.129-1~deb12u1"
  "firefox-esr 140.12.0esr-1~deb12u1"
  "firefox-esr 153.8.0esr-1~deb12u1"
)

mkdir -p "$debs" "$apps"
for entry in "${packages[@]}"; do
  read -r name version <<<"$entry"
  if ((${#only[@]})) && [[ " ${only[*]} " != *" $name "* ]]; then continue; fi
  # apt-get names the file NAME_VERSION_ARCH.deb with ':' as %3a.
  pattern="${name}_${version//:/%3a}_*.deb"
  deb=$(compgen -G "$debs/$pattern" | head -n1 || true)
  if [ -z "$deb" ]; then
    echo "fetch_debs: downloading $name=$version"
    (cd "$debs" && apt-get download -q "$name=$version")
    deb=$(compgen -G "$debs/$pattern" | head -n1)
  fi
  dest="$apps/$name/$version"
  marker="$apps/$name/.$version.unpacked"
  if [ -e "$marker" ]; then continue; fi
  echo "fetch_debs: unpacking $(basename "$deb") into $dest"
  rm -rf "$dest"
  mkdir -p "$dest"
  dpkg-deb -x "$deb" "$dest"
  find "$dest" -type l -delete
  find "$dest" -mindepth 1 -type d -empty -delete
  touch "$marker"
done
echo "fetch_debs: $(find "$apps" -mindepth 2 -maxdepth 2 -type d | wc -l) application folders in $apps"

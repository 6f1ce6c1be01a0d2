#!/usr/bin/env bash
# Installs what the build and the tests need from Debian's archive (only when
# something is missing), installs the tuf-js client the interoperability test
# runs into build/interop, puppeteer-core, which the browser tests drive
# chromium with, into build/browser and s3rver, the S3 server of the hosting
# test, into build/s3rver (only when missing), then configures and
# builds upkeep into ./build (every target, or the targets named as arguments).
# Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config binutils ca-certificates
  libpoco-dev libsqlite3-dev libspdlog-dev libfmt-dev libssl-dev catch2
  libzstd-dev libdivsufsort-dev zlib1g-dev libbz2-dev
  # package.zip's deflate (update/zip_writer.h): about 3.5x zlib's speed at the same level
  libdeflate-dev
  # every program's command line (header-only)
  libcli11-dev
  # natural peers the tests talk to
  nginx-light curl strace desktop-file-utils
  # the hosting page's Apache configuration, served for real, and its S3 upload lines, run with
  # the real AWS CLI against s3rver below (tests/integration/hosting_test.cpp)
  apache2 awscli
  # clang makes real LLVM bitcode for the bitcode patch tests, msgfmt real catalogs for the catalog patch tests;
  # clang and libFuzzer (libclang-rt-14-dev) build the fuzz targets (scripts/fuzz.sh)
  clang libclang-rt-14-dev gettext
  # desktop notifications: sd-bus, and the real notification server the tests drive on a private bus and display
  libsystemd-dev dbus-daemon xvfb dunst libnotify-bin
  # the benchmarks' comparison tools (bench/delta, bench/deploy_time)
  bsdiff xdelta3 zstd unzip
  # sftp:// repositories: libssh, and the real sshd the tests start
  libssh-dev openssh-server
  # Android's aapt and the framework it compiles against: the APK fixtures of the fileinfo tests
  aapt android-framework-res
  # the browser the web UI's tests drive (tests/browser/, through puppeteer-core below)
  chromium
  # Windows programs with a VERSIONINFO resource, built at test time for `upkeep version-of` (tests/unit/fileinfo/)
  gcc-mingw-w64-x86-64-win32 binutils-mingw-w64-x86-64
)
# Node.js runs tuf-js, the independent TUF client of the interoperability test.
# Debian's packages only when there is no node at all (a NodeSource node brings its own npm).
command -v node >/dev/null || packages+=(nodejs npm)
# systemd-analyze verifies the update timers that `install --system` and `--schedule` write.
command -v systemd-analyze >/dev/null || packages+=(systemd)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# tuf-js 3.x supports Node ^18.17 (Debian 12) and >=20.5; pinned so every machine tests against the same client.
tuf_js_version=3.1.0
if [ ! -d build/interop/node_modules/tuf-js ]; then
  echo "setup: installing tuf-js $tuf_js_version into build/interop"
  mkdir -p build/interop
  npm install --prefix build/interop --save-exact --no-audit --no-fund --loglevel=error "tuf-js@$tuf_js_version" >/dev/null
fi

# puppeteer-core drives Debian's chromium in the web UI's browser tests (tests/browser/).
# 24.x is the last line that runs on Node 18/20 (25 needs Node >= 22.12); it speaks
# the DevTools protocol of Debian 12's chromium. Pinned like tuf-js.
puppeteer_core_version=24.43.1
if [ ! -f build/browser/node_modules/puppeteer-core/package.json ]; then
  echo "setup: installing puppeteer-core $puppeteer_core_version into build/browser"
  mkdir -p build/browser
  npm install --prefix build/browser --save-exact --no-audit --no-fund --loglevel=error \
    "puppeteer-core@$puppeteer_core_version" >/dev/null
fi

# s3rver is the S3-compatible server the hosting page's AWS CLI lines upload to
# (tests/integration/hosting_test.cpp): it keeps each object's Cache-Control. Pinned like tuf-js.
s3rver_version=3.7.1
if [ ! -f build/s3rver/node_modules/s3rver/package.json ]; then
  echo "setup: installing s3rver $s3rver_version into build/s3rver"
  mkdir -p build/s3rver
  npm install --prefix build/s3rver --save-exact --no-audit --no-fund --loglevel=error "s3rver@$s3rver_version" >/dev/null
fi

build_type="${UPKEEP_BUILD_TYPE:-RelWithDebInfo}"
# A unity build (16 files a unit) compiles the library in a quarter of the
# CPU time: its files share the same heavy headers (spdlog, fmt, Poco). Test
# files stay one by one (tests/CMakeLists.txt). UPKEEP_UNITY_BUILD=OFF for
# quicker rebuilds while editing one library file.
unity="${UPKEEP_UNITY_BUILD:-ON}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type" -DCMAKE_UNITY_BUILD="$unity" \
  -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j"$(nproc)" "${targets[@]}"

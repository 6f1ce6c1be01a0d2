#!/usr/bin/env bash
# Quick start command 2: set up (packages, build), then run the whole test
# suite through CTest. Extra arguments go to ctest (e.g. -L unit, -L integration).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"

#!/usr/bin/env bash
# The README's test command: set up, build, run every test suite with CTest.
# Exits non-zero when any test fails. With CI=true it needs no terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
scripts/setup.sh
scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 900 "$@"
echo "test.sh: finished in $(( $(date +%s) - start )) s"

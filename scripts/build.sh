#!/usr/bin/env bash
# Configures (CMake preset "default": RelWithDebInfo, Ninja, ./build) and builds.
# Extra arguments go to `cmake --build` (e.g. --target ptune-train).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" "$@"

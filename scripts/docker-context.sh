#!/usr/bin/env bash
# Packages built binaries into a Docker build context for docker/runtime.Dockerfile:
#   CONTEXT/bin/            ptune-scheduler, ptune-worker, ptune-train, ptunectl without
#                           debug info (RelWithDebInfo's is ~75% of their size) but with
#                           their symbols, so backtraces stay readable
#   CONTEXT/*.packages      the Debian packages the binaries' shared libraries come from
#                           (scripts/docker-runtime-packages.sh: ldd + dpkg -S, so an image
#                           gets the runtime side of what the build linked, no -dev)
#   CONTEXT/cache/          the offline model and data from $PTUNE_CACHE (worker)
#   CONTEXT/examples/, healthcheck.sh
#
#   scripts/docker-context.sh BUILD_DIR CONTEXT_DIR
# Runs on the build machine and inside docker/Dockerfile's build stage alike.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR CONTEXT_DIR" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
build=$1
context=$2
cache=${PTUNE_CACHE:-$HOME/.cache/ptune}

declare -A binaries=(
  [ptune-scheduler]=server/ptune-scheduler
  [ptune-worker]=worker/agent/ptune-worker
  [ptune-train]=worker/engine/ptune-train
  [ptunectl]=client/ptunectl
)
for name in "${!binaries[@]}"; do
  [ -x "$build/${binaries[$name]}" ] ||
    { echo "docker-context: $build/${binaries[$name]} not built" >&2; exit 1; }
done

rm -rf "$context"
mkdir -p "$context/bin" "$context/cache/models" "$context/cache/data"
for name in "${!binaries[@]}"; do
  objcopy --strip-debug "$build/${binaries[$name]}" "$context/bin/$name"
done
b=$context/bin
"$root/scripts/docker-runtime-packages.sh" "$b/ptune-scheduler" "$b/ptunectl" >"$context/scheduler.packages"
"$root/scripts/docker-runtime-packages.sh" "$b/ptune-worker" "$b/ptune-train" "$b/ptunectl" >"$context/worker.packages"
for needed in models/use-lite data/sentiment; do
  [ -d "$cache/$needed" ] ||
    { echo "docker-context: $cache/$needed missing (run scripts/setup.sh)" >&2; exit 1; }
  cp -r "$cache/$needed" "$context/cache/$needed"
done
cp -r "$root/examples" "$context/examples"
cp "$root/docker/healthcheck.sh" "$context/healthcheck.sh"
echo "docker-context: $context ($(du -sh "$context" | cut -f1)):" \
  "scheduler $(wc -l <"$context/scheduler.packages") packages," \
  "worker $(wc -l <"$context/worker.packages") packages"

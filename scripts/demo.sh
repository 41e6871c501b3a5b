#!/usr/bin/env bash
# The README's main command: set up, build, then run the product end to end on this
# machine: a scheduler (SQLite store), a worker, and an EPT + TSLoss job on the
# uci-sentiment data with the USE-Lite backbone, submitted and watched live with
# ptunectl. Cleans up its processes on exit and on Ctrl-C.
#
# Environment: PTUNE_DEMO_DIR (default ./out/demo), PTUNE_DEMO_PORT (default 50551),
# PTUNE_DEMO_SPEC (default examples/ept-tsloss-sentiment.yaml), PTUNE_DEMO_SKIP_SETUP=1
# to skip setup and build (when they already ran), PTUNE_DEMO_BUILD_DIR (default ./build)
# to use binaries built elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${PTUNE_DEMO_SKIP_SETUP:-0}" != 1 ]]; then
  scripts/setup.sh
  scripts/build.sh --target ptune-scheduler ptune-worker ptunectl
fi

bin=${PTUNE_DEMO_BUILD_DIR:-build}
work=${PTUNE_DEMO_DIR:-$PWD/out/demo}
port=${PTUNE_DEMO_PORT:-50551}
spec=${PTUNE_DEMO_SPEC:-examples/ept-tsloss-sentiment.yaml}
source scripts/demo-service.sh
demo_start_service demo-worker
demo_run_job
echo "demo: the trained prompt (plus a PEFT adapter for PT jobs) is in $work/$job:"
ls -l "$work/$job"

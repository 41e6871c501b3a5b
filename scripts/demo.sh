#!/usr/bin/env bash
# The README's main command: set up, build, then run the product end to end on this
# machine: a scheduler (SQLite store), a worker, and an EPT + TSLoss job on the
# uci-sentiment data with the USE-Lite backbone, submitted and watched live with
# ptunectl. Cleans up its processes on exit and on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh

work=${PTUNE_DEMO_DIR:-$PWD/out/demo}
port=${PTUNE_DEMO_PORT:-50551}
mkdir -p "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build/server/ptune-scheduler --listen "127.0.0.1:$port" --store "$work/ptune.db" \
  --metrics-listen 127.0.0.1:0 >"$work/scheduler.log" 2>&1 &
pids+=($!)
build/worker/agent/ptune-worker --scheduler "127.0.0.1:$port" --id demo-worker \
  >"$work/worker.log" 2>&1 &
pids+=($!)

ctl=(build/client/ptunectl --server "127.0.0.1:$port")
job=$("${ctl[@]}" submit examples/ept-tsloss-sentiment.yaml -o id)
echo "demo: submitted job $job (logs in $work)"
"${ctl[@]}" watch "$job"
"${ctl[@]}" download "$job" --out "$work/$job"
echo "demo: trained prompt and adapter are in $work/$job"

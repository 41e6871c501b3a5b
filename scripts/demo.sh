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
mkdir -p "$work"
rm -f "$work/ptune.db" "$work/ptune.db-wal" "$work/ptune.db-shm"
pids=()
cleanup() {
  # SIGTERM lets the worker checkpoint and report its job; it exits within 5 s.
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT TERM

"$bin/server/ptune-scheduler" --listen "127.0.0.1:$port" --store "$work/ptune.db" \
  --metrics-listen 127.0.0.1:0 >"$work/scheduler.log" 2>&1 &
pids+=($!)
"$bin/worker/agent/ptune-worker" --scheduler "127.0.0.1:$port" --id demo-worker \
  --work-dir "$work/worker" --shutdown-timeout 5 >"$work/worker.log" 2>&1 &
pids+=($!)

ctl=("$bin/client/ptunectl" --server "127.0.0.1:$port")
# Wait until the scheduler answers and the worker registered (bounded).
for _ in $(seq 1 100); do
  if "${ctl[@]}" workers 2>/dev/null | grep -q demo-worker; then break; fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "demo: a process died; see $work/*.log" >&2; exit 1; }
  done
  sleep 0.2
done

job=$("${ctl[@]}" submit "$spec" -o id)
echo "demo: submitted job $job (logs in $work)"
"${ctl[@]}" watch "$job"
"${ctl[@]}" download "$job" --out "$work/$job"
echo "demo: the trained prompt (plus a PEFT adapter for PT jobs) is in $work/$job:"
ls -l "$work/$job"

#!/usr/bin/env bash
# The language-model demo: prompt tuning of a real pretrained Llama (stories260k, in the
# tree under examples/models) through the service. Starts a scheduler and a worker that
# serves examples/models (--models-dir), submits examples/stories260k/pt-boat.yaml with
# ptunectl (causal LM on 40 stories about a little boat), watches it, downloads the
# prompt, and generates from BOS without and with the tuned prompt to show what changed.
# About a minute of training on 2 CPU cores. Cleans up its processes on exit and Ctrl-C.
#
# Environment: PTUNE_DEMO_DIR (default ./out/demo-stories260k), PTUNE_DEMO_PORT (default
# 50552), PTUNE_DEMO_SPEC (default examples/stories260k/pt-boat.yaml),
# PTUNE_DEMO_SKIP_SETUP=1 to skip setup and build, PTUNE_DEMO_BUILD_DIR (default ./build).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${PTUNE_DEMO_SKIP_SETUP:-0}" != 1 ]]; then
  scripts/setup.sh
  scripts/build.sh --target ptune-scheduler ptune-worker ptunectl ptune-train
fi

bin=${PTUNE_DEMO_BUILD_DIR:-build}
work=${PTUNE_DEMO_DIR:-$PWD/out/demo-stories260k}
port=${PTUNE_DEMO_PORT:-50552}
spec=${PTUNE_DEMO_SPEC:-examples/stories260k/pt-boat.yaml}
model=examples/models/stories260k
mkdir -p "$work"
rm -f "$work/ptune.db" "$work/ptune.db-wal" "$work/ptune.db-shm"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT TERM

generate() {  # generate PROMPT_DIR_OR_EMPTY: greedy, from BOS, 60 new tokens
  local prompt=()
  [[ -n "$1" ]] && prompt=(--prompt "$1")
  "$bin/worker/engine/ptune-train" --threads 1 generate --model "$model" "${prompt[@]}" \
    --text "" --max-new-tokens 60 2>/dev/null
}

echo "demo: stories260k from BOS, no prompt (greedy):"
echo "  $(generate "")"

"$bin/server/ptune-scheduler" --listen "127.0.0.1:$port" --store "$work/ptune.db" \
  --metrics-listen 127.0.0.1:0 >"$work/scheduler.log" 2>&1 &
pids+=($!)
# One training thread: on a small model more threads only add synchronisation.
"$bin/worker/agent/ptune-worker" --scheduler "127.0.0.1:$port" --id demo-lm-worker \
  --models-dir "$PWD/examples/models" --threads 1 \
  --work-dir "$work/worker" --shutdown-timeout 5 >"$work/worker.log" 2>&1 &
pids+=($!)

ctl=("$bin/client/ptunectl" --server "127.0.0.1:$port")
for _ in $(seq 1 100); do
  if "${ctl[@]}" workers 2>/dev/null | grep -q demo-lm-worker; then break; fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "demo: a process died; see $work/*.log" >&2; exit 1; }
  done
  sleep 0.2
done

job=$("${ctl[@]}" submit "$spec" -o id)
echo "demo: submitted job $job (logs in $work)"
"${ctl[@]}" watch "$job"
"${ctl[@]}" download "$job" --out "$work/$job"
echo "demo: the trained prompt and its PEFT adapter are in $work/$job"
echo "demo: stories260k from BOS behind the tuned prompt (greedy):"
echo "  $(generate "$work/$job")"

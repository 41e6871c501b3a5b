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

generate() {  # generate PROMPT_DIR_OR_EMPTY: greedy, from BOS, 60 new tokens
  local prompt=()
  [[ -n "$1" ]] && prompt=(--prompt "$1")
  "$bin/worker/engine/ptune-train" --threads 1 generate --model "$model" "${prompt[@]}" \
    --text "" --max-new-tokens 60 2>/dev/null
}

echo "demo: stories260k from BOS, no prompt (greedy):"
echo "  $(generate "")"

source scripts/demo-service.sh
# One training thread: on a small model more threads only add synchronisation.
demo_start_service demo-lm-worker --models-dir "$PWD/examples/models" --threads 1
demo_run_job
echo "demo: the trained prompt and its PEFT adapter are in $work/$job"
echo "demo: stories260k from BOS behind the tuned prompt (greedy):"
echo "  $(generate "$work/$job")"

#!/usr/bin/env bash
# The training engine's evidence (docs/training.md, "Measurements"): PT throughput on
# USE-Lite and the accuracy of the default recipe against frozen-encoder anchors.
#
#   bench/engine/run_evidence.sh [throughput|accuracy|anchors|all]
#
# Environment: BUILD_DIR (default build), SPEC (examples/pt-sentiment.yaml), SEEDS
# (0 1 2), THREADS (0 = every core), STEPS (20 timed steps per throughput row).
# Every piece is a separate process. On a machine shared through the ptune CPU lock
# (/tmp/ptune-cpu.lock) the timing pieces take it exclusively and the accuracy pieces
# shared, niced; without flock(1) they simply run.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
SPEC=${SPEC:-examples/pt-sentiment.yaml}
SEEDS=${SEEDS:-0 1 2}
BENCH=("$BUILD_DIR/bench/engine/pt_train_bench" --threads "${THREADS:-0}")
LOCK=/tmp/ptune-cpu.lock
if [[ ! -f ${PTUNE_CACHE:-$HOME/.cache/ptune}/models/use-lite/dist/model.json ]]; then
  echo "error: USE-Lite is missing; run scripts/setup.sh first" >&2
  exit 1
fi
case ${1:-all} in
  throughput | accuracy | anchors | all) ;;
  *) echo "usage: $0 [throughput|accuracy|anchors|all]" >&2; exit 2 ;;
esac

exclusive() { if command -v flock >/dev/null; then flock -x "$LOCK" "$@"; else "$@"; fi; }
shared() { if command -v flock >/dev/null; then flock -s "$LOCK" nice -n 10 "$@"; else "$@"; fi; }
[[ -x ${BENCH[0]} ]] || shared cmake --build "$BUILD_DIR" -j2 --target pt_train_bench

throughput() {
  # One configuration set per lock hold (each well under 6 minutes on 2 cores).
  exclusive "${BENCH[@]}" throughput --lengths 20,100 --precisions fp32 --steps "${STEPS:-20}"
  exclusive "${BENCH[@]}" throughput --lengths 20 --precisions bf16,fp32 --steps "${STEPS:-20}"
}
accuracy() {
  for seed in $SEEDS; do shared "${BENCH[@]}" accuracy --spec "$SPEC" --seed "$seed"; done
}
anchors() { shared "${BENCH[@]}" anchors --spec "$SPEC"; }

case ${1:-all} in
  throughput) throughput ;;
  accuracy) accuracy ;;
  anchors) anchors ;;
  all) throughput && anchors && accuracy ;;
esac

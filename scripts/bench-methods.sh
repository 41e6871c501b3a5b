#!/usr/bin/env bash
# The methods evidence run: PT (l=100), DePT and EPT at PT's parameter budget, each with
# and without TSLoss, on USE-Lite + uci-sentiment, >= 3 seeds, same step budget. Writes
# the raw telemetry to $OUT, then the tables and SVG plots (bench/methods/report.py).
#
#   scripts/bench-methods.sh [OUT_DIR]
#
# Environment: BUILD_DIR (default build-methods), STEPS (150), BATCH (32), SEEDS (0,1,2),
# MAX_SEQ_LEN (32), EVAL_EVERY (25), TARGET (0.80: validation accuracy for the
# steps-to-target column), THREADS (0 = every core). Sized for ~20 minutes on 2 idle cores; on a loaded
# machine use fewer STEPS (docs/results/methods.md was run with STEPS=10 BATCH=16
# EVAL_EVERY=1000).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-methods}
OUT=${1:-$BUILD_DIR/bench-methods}
if [[ ! -f ${PTUNE_CACHE:-$HOME/.cache/ptune}/models/use-lite/dist/model.json ]]; then
  echo "error: USE-Lite is missing; run scripts/setup.sh first" >&2
  exit 1
fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j2 --target methods_bench
mkdir -p "$OUT"
"$BUILD_DIR/bench/methods/methods_bench" --out "$OUT" --seeds "${SEEDS:-0,1,2}" \
  --steps "${STEPS:-150}" --batch "${BATCH:-32}" --max-seq-len "${MAX_SEQ_LEN:-32}" \
  --eval-every "${EVAL_EVERY:-25}" --threads "${THREADS:-0}"
python3 bench/methods/report.py "$OUT" --target "${TARGET:-0.80}" --plots "$OUT/plots" \
  | tee "$OUT/table.md"
echo "plots: $OUT/plots/methods-loss.svg $OUT/plots/methods-topology.svg" >&2

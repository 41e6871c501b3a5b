#!/usr/bin/env bash
# The methods evidence run: PT (l=100), DePT and EPT at PT's parameter budget, each with
# and without TSLoss, on USE-Lite + uci-sentiment, >= 3 seeds, same step budget. Writes
# the raw telemetry to $OUT, then the tables and SVG plots (bench/methods/report.py).
#
#   scripts/bench-methods.sh [OUT_DIR]
#
# Environment: BUILD_DIR (default build-methods), STEPS (150), BATCH (32), SEEDS (0,1,2),
# METHODS (pt,dept,ept), TSLOSS (off,on), MAX_SEQ_LEN (32), EVAL_EVERY (25), TARGET
# (0.65,0.70,0.75: validation accuracies for the steps-to-target table), THREADS (0 =
# every core).
#
# Every job is its own methods_bench invocation (they extend OUT/grid.json), run under
# $LOCK_CMD when set, so on a shared machine the lock is held for one job at a time;
# with YIELD_LOCK=<lock file> each job first waits (up to 3 minutes) while an exclusive
# locker is queued on that file, so back-to-back shared jobs do not starve it. The run
# of docs/results/methods.md:
#   LOCK_CMD="nice -n 10 flock -s /tmp/ptune-cpu.lock" YIELD_LOCK=/tmp/ptune-cpu.lock \
#   THREADS=1 STEPS=160 BATCH=16 EVAL_EVERY=20 scripts/bench-methods.sh build-methods/bench-acc
# Timing figures need an idle machine (or an exclusive lock) and are taken with a
# separate short run, see docs/results/methods.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-methods}
OUT=${1:-$BUILD_DIR/bench-methods}
LOCK_CMD=${LOCK_CMD:-}
if [[ ! -f ${PTUNE_CACHE:-$HOME/.cache/ptune}/models/use-lite/dist/model.json ]]; then
  echo "error: USE-Lite is missing; run scripts/setup.sh first" >&2
  exit 1
fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
$LOCK_CMD cmake --build "$BUILD_DIR" -j2 --target methods_bench
mkdir -p "$OUT"
IFS=, read -r -a seeds <<<"${SEEDS:-0,1,2}"
IFS=, read -r -a methods <<<"${METHODS:-pt,dept,ept}"
IFS=, read -r -a tslosses <<<"${TSLOSS:-off,on}"
# Seeds outermost so a partial run still covers every method.
for seed in "${seeds[@]}"; do
  for method in "${methods[@]}"; do
    for ts in "${tslosses[@]}"; do
      if [[ -n ${YIELD_LOCK:-} ]]; then
        ino=$(stat -c %i "$YIELD_LOCK")
        for _ in $(seq 90); do
          grep -q -- "-> FLOCK  ADVISORY  WRITE .*:$ino " /proc/locks || break
          sleep 2
        done
      fi
      echo "$(date +%H:%M:%S) $method tsloss=$ts seed=$seed load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
      $LOCK_CMD "$BUILD_DIR/bench/methods/methods_bench" --out "$OUT" --seeds "$seed" \
        --methods "$method" --tsloss "$ts" --steps "${STEPS:-150}" --batch "${BATCH:-32}" \
        --max-seq-len "${MAX_SEQ_LEN:-32}" --eval-every "${EVAL_EVERY:-25}" \
        --threads "${THREADS:-0}"
    done
  done
done
python3 bench/methods/report.py "$OUT" --target "${TARGET:-0.65,0.70,0.75}" --plots "$OUT/plots" \
  | tee "$OUT/table.md"
echo "plots: $OUT/plots/methods-loss.svg $OUT/plots/methods-topology.svg" >&2

#!/usr/bin/env bash
# CPU step time of ptune's prompt-tuning (PT) step vs HF transformers' same step in Python
# (docs/models.md, "CPU step time vs HF transformers"). Builds lm_step_bench, writes a
# 58.5M Llama-shaped and a 60.5M T5-small-shaped model with random weights once (HF
# save_pretrained, safetensors) and times both sides on the same files, ALTERNATING
# ptune / HF for REPS repetitions; each repetition is a fresh process with WARMUP untimed
# steps and STEPS timed ones. Prints per side the median s/step over all timed steps, the
# spread (min..max of the per-repetition medians) and the ratio HF / ptune (> 1: ptune faster).
# Batch 8, 64 text tokens + 20 prompt rows, T5 16 labels, fp32, THREADS torch threads.
#
#   flock /tmp/ptune-build.lock scripts/bench-lm-step.sh
#
# Env: BUILD_DIR (build), REPS (3), STEPS (3), WARMUP (1), THREADS (2), MODELS ("llama t5"),
#      HF_ORACLE (/tmp/hf-oracle: env.sh + Debian's /usr/bin/python3 with torch 1.13).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
REPS=${REPS:-3} STEPS=${STEPS:-3} WARMUP=${WARMUP:-1} THREADS=${THREADS:-2}
MODELS=${MODELS:-"llama t5"}
HF_ORACLE=${HF_ORACLE:-/tmp/hf-oracle}

cmake --build "$BUILD_DIR" --target lm_step_bench >/dev/null
# shellcheck disable=SC1091
source "$HF_ORACLE/env.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 bench/engine/hf_lm_step.py make "$work/models"

# Median of the numbers on stdin.
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "uptime_start: $(uptime)"
for model in $MODELS; do
  dir="$work/models/$model"
  : >"$work/$model.ptune" && : >"$work/$model.hf" && : >"$work/$model.ptune.reps" && : >"$work/$model.hf.reps"
  for rep in $(seq "$REPS"); do
    "$BUILD_DIR/bench/engine/lm_step_bench" --model "$dir" --steps "$STEPS" --warmup "$WARMUP" \
      --threads "$THREADS" | awk '$1 == "step_s" {print $2}' >"$work/rep"
    cat "$work/rep" >>"$work/$model.ptune" && median <"$work/rep" >>"$work/$model.ptune.reps"
    /usr/bin/python3 bench/engine/hf_lm_step.py step "$dir" "$STEPS" "$WARMUP" |
      awk '$1 == "step_s" {print $2}' >"$work/rep"
    cat "$work/rep" >>"$work/$model.hf" && median <"$work/rep" >>"$work/$model.hf.reps"
    echo "$model rep $rep: ptune $(tail -1 "$work/$model.ptune.reps") s/step, hf $(tail -1 "$work/$model.hf.reps") s/step"
  done
  p=$(median <"$work/$model.ptune") h=$(median <"$work/$model.hf")
  spread() { sort -g "$1" | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.3f..%.3f", lo, hi}'; }
  printf '%s: ptune %.3f s/step (reps %s), hf %.3f s/step (reps %s), ratio hf/ptune %.2fx\n' \
    "$model" "$p" "$(spread "$work/$model.ptune.reps")" "$h" "$(spread "$work/$model.hf.reps")" \
    "$(awk -v h="$h" -v p="$p" 'BEGIN {print h / p}')"
done
echo "uptime_end: $(uptime)"

#!/usr/bin/env bash
# Installs the JavaScript reference implementation of USE-Lite that the C++ backbone is
# tested against: npm @energetic-ai/embeddings (tokenizer + inference) and its peer
# @energetic-ai/core (TF.js with the WASM backend), at pinned versions, into
# CACHE_DIR/node-ref (never into git). Idempotent; no install scripts run.
# scripts/golden/use_lite_golden.js uses it (see docs/use-lite.md).
#
#   scripts/setup-node-reference.sh [CACHE_DIR]     (default ${PTUNE_CACHE:-~/.cache/ptune})
set -euo pipefail

cache=${1:-${PTUNE_CACHE:-$HOME/.cache/ptune}}
dest=$cache/node-ref
# The reference and everything it pulls in, pinned exactly so goldens are reproducible.
pins=(
  @energetic-ai/embeddings@0.2.0
  @energetic-ai/core@0.2.0
  long@4.0.0
  seedrandom@3.0.5
  node-fetch@2.6.13
)
stamp="${pins[*]}"

if ! command -v npm >/dev/null 2>&1; then
  echo "setup-node-reference: npm not found; skipping the node reference (parity tests need it)" >&2
  exit 0
fi
if [ -f "$dest/.ptune-pins" ] && [ "$(cat "$dest/.ptune-pins")" = "$stamp" ] &&
  [ -f "$dest/node_modules/@energetic-ai/embeddings/package.json" ]; then
  echo "setup-node-reference: reference already in $dest"
  exit 0
fi
mkdir -p "$dest"
cd "$dest"
[ -f package.json ] || echo '{"name": "ptune-node-ref", "private": true}' > package.json
npm install --silent --ignore-scripts --no-audit --no-fund --save-exact "${pins[@]}"
echo "$stamp" > .ptune-pins
echo "setup-node-reference: ${pins[*]} -> $dest"

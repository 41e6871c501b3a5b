#!/usr/bin/env bash
# Regenerates the tokenizer parity expectations under tests/engine/tokenizers/expected/
# with HF tokenizers from npm (installed into a scratch directory, never into git).
# Needs node/npm and, for Qwen3, the tokenizer scripts/setup.sh extracts into the cache.
#
#   scripts/tokenizer-oracle/regenerate.sh [SCRATCH_DIR]   (default /tmp/ptune-tokenizer-oracle)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
scratch=${1:-/tmp/ptune-tokenizer-oracle}
cache=${PTUNE_CACHE:-$HOME/.cache/ptune}
tests=$root/tests/engine/tokenizers

mkdir -p "$scratch"
if [ ! -f "$scratch/node_modules/@anush008/tokenizers/package.json" ]; then
  (cd "$scratch" && { [ -f package.json ] || echo '{"name":"oracle","private":true}' > package.json; } &&
    npm install --silent --no-audit --no-fund --save-exact @anush008/tokenizers@0.6.0)
fi
python3 "$here/make_fixtures.py" "$tests/fixtures"
mkdir -p "$tests/expected"
run() { NODE_PATH=$scratch/node_modules node "$here/generate.js" "$tests/texts.json" "$tests/expected/$1.json" "$2"; }
for file in "$tests"/fixtures/*.json; do
  run "$(basename "$file" .json)" "$file"
done
run stories260k "$root/examples/models/stories260k/tokenizer.json"
qwen3=$cache/models/tokenizer-qwen3/tokenizer.json
if [ -f "$qwen3" ]; then
  run qwen3 "$qwen3"
else
  echo "regenerate: $qwen3 missing (run scripts/setup.sh); qwen3 expectations not regenerated" >&2
fi

#!/usr/bin/env bash
# Regenerates the USE-Lite goldens with the JavaScript reference into OUT_DIR:
#   use_lite_golden.json          ids + embeddings of scripts/golden/use_lite_sentences.json
#   use_lite_sentiment_ids.json   ids of the 3,000 UCI sentiment texts
# Run by CTest (fixture of backbone_use_lite_node_parity_test) and by hand to refresh the
# committed golden:  scripts/golden/use_lite_regenerate.sh /tmp/g &&
#                    cp /tmp/g/use_lite_golden.json tests/engine/golden/
# Needs scripts/setup.sh (model, data and the node reference in $PTUNE_CACHE).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: use_lite_regenerate.sh OUT_DIR}
cache=${PTUNE_CACHE:-$HOME/.cache/ptune}
model=$cache/models/use-lite/dist
ref=$cache/node-ref
data=$cache/data/sentiment/test/fixtures

for need in "$model/model.json" "$ref/node_modules/@energetic-ai/embeddings/package.json" \
  "$data/amazon.json"; do
  if [ ! -f "$need" ]; then
    echo "use_lite_regenerate: $need is missing; run scripts/setup.sh" >&2
    exit 1
  fi
done
mkdir -p "$out"
node "$here/use_lite_golden.js" --model-dir "$model" --node-ref "$ref" \
  --input "$here/use_lite_sentences.json" --out "$out/use_lite_golden.json"
# The three fixture files as one input list (with node -e, argv[1] is the first file).
node -e '
  const fs = require("fs");
  const all = process.argv.slice(1).flatMap((f) => JSON.parse(fs.readFileSync(f, "utf-8")));
  fs.writeFileSync("/dev/stdout", JSON.stringify(all.filter((d) => d && d.text !== undefined)));
' "$data/amazon.json" "$data/imdb.json" "$data/yelp.json" > "$out/sentiment_texts.json"
node "$here/use_lite_golden.js" --model-dir "$model" --node-ref "$ref" --ids-only \
  --input "$out/sentiment_texts.json" --out "$out/use_lite_sentiment_ids.json"

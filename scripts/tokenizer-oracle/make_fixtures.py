#!/usr/bin/env python3
"""Writes the small hand-built tokenizer.json files of the tokenizer parity tests.

One file per model type and pipeline shape the engine must load (T5-like Unigram,
SentencePiece BPE with byte fallback in the Metaspace style, Llama-3-like and GPT-2-like
byte-level BPE). Vocabularies and merges are learnt from a tiny corpus with a plain BPE /
frequency count, so every merge is consistent; the ids each file gives are not written
here but by HF tokenizers itself (generate.js). Deterministic: rerunning rewrites the same
bytes.

  python3 scripts/tokenizer-oracle/make_fixtures.py tests/engine/tokenizers/fixtures
"""
import base64
import collections
import json
import math
import os
import sys

CORPUS = """The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs.
Once upon a time there was a little girl who loved the sea and the sun.
Café au lait, naïve résumé. 日本語 中文 한국어. Numbers 123 and 2024.
It's what we'll do, they'd say. Hello world! hello again, world.
""" * 3

LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def added(id_, content, special=True, normalized=False, lstrip=False, rstrip=False,
          single_word=False):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip,
            "rstrip": rstrip, "normalized": normalized, "special": special}


def learn_merges(words, base, count):
    """Plain BPE: `words` is {tuple(symbols): freq}; returns merges and the new tokens."""
    merges = []
    vocab = list(base)
    known = set(vocab)
    words = dict(words)
    for _ in range(count):
        pairs = collections.Counter()
        for word, freq in words.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += freq
        if not pairs:
            break
        (a, b), _ = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        merges.append([a, b])
        if a + b not in known:
            known.add(a + b)
            vocab.append(a + b)
        merged = {}
        for word, freq in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + freq
        words = merged
    return merges, vocab


def byte_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def sentencepiece_bpe():
    """Llama-2 style (Metaspace pre-tokenizer, prepend_scheme first), byte fallback."""
    specials = ["<unk>", "<s>", "</s>"]
    byte_tokens = ["<0x%02X>" % b for b in range(256)]
    words = collections.Counter()
    for word in CORPUS.replace("\n", " ").split(" "):
        if word:
            words[tuple("\u2581" + word)] += 1
    # Leave some characters out of the vocabulary so byte fallback has work to do.
    chars = sorted({c for w in words for c in w} - set("한국어z"))
    words = {w: f for w, f in words.items() if all(c in chars for c in w)}
    merges, learnt = learn_merges(words, chars, 120)
    vocab = {t: i for i, t in enumerate(specials + byte_tokens + learnt)}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>"),
                         added(len(vocab), "<sep>", special=False, lstrip=True, rstrip=True),
                         added(len(vocab) + 1, "fox", special=False, normalized=True,
                               single_word=True)],
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first",
                          "split": False},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>",
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": [" ".join(m) for m in merges]},
    }


def byte_level_words(text, add_prefix_space):
    table = byte_to_unicode()
    words = collections.Counter()
    for word in text.replace("\n", " \n ").split(" "):
        if not word:
            continue
        piece = (" " + word) if add_prefix_space else word
        words[tuple(table[b] for b in piece.encode("utf-8"))] += 1
    return words, [table[b] for b in range(256)]


def llama3_like():
    words, base = byte_level_words(CORPUS, add_prefix_space=True)
    merges, learnt = learn_merges(words, sorted(set(base)), 200)
    vocab = {t: i for i, t in enumerate(learnt)}
    n = len(vocab)
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(n, "<|begin_of_text|>"), added(n + 1, "<|end_of_text|>"),
                         added(n + 2, "<|eot_id|>")],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_REGEX}, "behavior": "Isolated",
             "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
             "use_regex": False}]},
        "post_processor": {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
             "use_regex": True},
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                        {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                      {"Sequence": {"id": "A", "type_id": 0}},
                      {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}},
                      {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [n],
                                                      "tokens": ["<|begin_of_text|>"]}}}]},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                  "vocab": vocab, "merges": merges},
    }


def gpt2_like():
    """ByteLevel with the GPT-2 regex and a prefix space, Digits, a lowercasing normalizer
    and a normalized, non-special added token outside ASCII."""
    words, base = byte_level_words(CORPUS.lower(), add_prefix_space=True)
    merges, learnt = learn_merges(words, sorted(set(base)), 150)
    vocab = {t: i for i, t in enumerate(learnt)}
    n = len(vocab)
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(n, "<|endoftext|>"),
                         added(n + 1, "naïve", special=False, normalized=True)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFKC"}, {"type": "Lowercase"},
            {"type": "Replace", "pattern": {"Regex": "\\d{4,}"}, "content": "#"}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
             "use_regex": True}]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                           "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [" ".join(m) for m in merges]},
    }


def unigram_t5_like():
    """T5's pipeline shape, with NFKC + a space-run Replace standing in for T5's
    Precompiled charsmap, WhitespaceSplit + Metaspace, </s> appended, Metaspace decoder."""
    counts = collections.Counter()
    for word in CORPUS.replace("\n", " ").split():
        word = "\u2581" + word
        for i in range(len(word)):
            for j in range(i + 1, min(len(word), i + 6) + 1):
                counts[word[i:j]] += 1
    # Single characters (except a few, for unk) and the most frequent longer substrings.
    singles = sorted(c for c in counts if len(c) == 1 and c not in "한국어z")
    longer = sorted((s for s in counts if len(s) > 1), key=lambda s: (-counts[s], s))[:250]
    total = sum(counts[s] for s in singles + longer)
    pieces = [["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]]
    pieces += [[s, round(math.log(counts[s] / total), 4)] for s in singles + longer]
    n = len(pieces)
    pieces += [["<extra_id_1>", 0.0], ["<extra_id_0>", 0.0]]
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(0, "<pad>"), added(1, "</s>"), added(2, "<unk>"),
                         added(n, "<extra_id_1>"), added(n + 1, "<extra_id_0>")],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFKC"}, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "WhitespaceSplit"},
            {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
             "split": True}]},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}},
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
                    "split": True},
        "model": {"type": "Unigram", "unk_id": 2, "vocab": pieces, "byte_fallback": False},
    }


def unigram_byte_fallback():
    """Unigram with byte fallback and the Prepend/Replace normalizer, no pre-tokenizer."""
    base = unigram_t5_like()
    pieces = base["model"]["vocab"][:-2] + [["<0x%02X>" % b, -20.0] for b in range(256)]
    base["added_tokens"] = base["added_tokens"][:3]
    base["model"] = {"type": "Unigram", "unk_id": 2, "vocab": pieces, "byte_fallback": True}
    base["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Prepend", "prepend": "\u2581"},
        {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]}
    base["pre_tokenizer"] = None
    base["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    return base


def darts_charsmap(rules):
    """A SentencePiece precompiled charsmap for `rules` {source: replacement}: a
    darts-clone double array (u32 units, XOR-addressed children, a label-0 leaf holding the
    replacement's offset) after its byte size, then the NUL-terminated replacements."""
    blob = b""
    offsets = {}
    for source, target in sorted(rules.items()):
        offsets[source] = len(blob)
        blob += target.encode("utf-8") + b"\0"
    trie = {}
    for source in rules:
        node = trie
        for byte in source.encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = offsets[source]
    units = {}
    bases = set()  # distinct per node, or a lookup could walk into another node's children

    def place(node, pos, label):
        labels = [0 if k is None else k for k in node]
        base = 1
        while (base in bases or base == pos or
               any((base ^ c) in units or (base ^ c) == pos for c in labels)):
            base += 1
        bases.add(base)
        offset = pos ^ base
        assert offset < (1 << 21)
        units[pos] = (offset << 10) | ((1 << 8) if None in node else 0) | label
        for key in node:
            units[base ^ (0 if key is None else key)] = None  # reserve
        for key, child in node.items():
            if key is None:
                units[base] = child | (1 << 31)
            else:
                place(child, base ^ key, key)

    units[0] = None
    place(trie, 0, 0)
    # Every base ^ byte must be inside the array (HF's reader does not bounds-check).
    size = ((max(max(units), max(bases)) | 0xFF) + 1)
    array = b"".join(((units.get(i) or 0)).to_bytes(4, "little") for i in range(size))
    return base64.b64encode(len(array).to_bytes(4, "little") + array + blob).decode()


def unigram_precompiled():
    """T5's real normalizer shape: a Precompiled charsmap (hand-built rules: ligatures,
    full-width letters, odd spaces, a composed accent, and "Å" whose match replaces the
    whole grapheme "Å\u0301") followed by the space-run Replace."""
    base = unigram_t5_like()
    rules = {"\ufb01": "fi", "\uff46": "f", "\uff55": "u", "\uff4c": "l", "\u00a0": " ",
             "\u3000": " ", "\u2003": " ", "\t": " ", "e\u0301": "\u00e9", "\u2460": "1",
             "\u00c5": "a", "ab": "AB"}
    base["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Precompiled", "precompiled_charsmap": darts_charsmap(rules)},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}
    return base


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, build in [("unigram_t5_like", unigram_t5_like),
                        ("unigram_precompiled", unigram_precompiled),
                        ("unigram_byte_fallback", unigram_byte_fallback),
                        ("bpe_sentencepiece", sentencepiece_bpe),
                        ("bpe_llama3_like", llama3_like),
                        ("bpe_gpt2_like", gpt2_like)]:
        with open(os.path.join(out, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(build(), f, ensure_ascii=False, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()

"""Writes tests/engine/hf/fixtures/stories260k_greedy.json: the ids HF transformers 4.44.2's
LlamaForCausalLM.generate (greedy, from BOS = 1) gives for examples/models/stories260k, and their
text decoded with the model's tokenizer.json vocabulary (SentencePiece BPE, byte fallback). Run by hand:

    source /tmp/hf-oracle/env.sh
    /usr/bin/python3 scripts/hf_fixtures/stories260k_greedy.py examples/models/stories260k \
        tests/engine/hf/fixtures/stories260k_greedy.json
"""
import json, sys
import torch
from transformers import LlamaForCausalLM

MAX_NEW_TOKENS = 128


def decode(ids, vocab):
    pieces = {v: k for k, v in vocab.items()}
    out = bytearray()
    for i in ids:
        p = pieces[i]
        if p.startswith("<0x") and p.endswith(">") and len(p) == 6:
            out.append(int(p[3:5], 16))
        elif p not in ("<s>", "</s>", "<unk>"):
            out += p.replace("\u2581", " ").encode()
    return out.decode("utf-8", errors="replace").lstrip(" ")


def main():
    model_dir, out = sys.argv[1], sys.argv[2]
    model = LlamaForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
    with torch.no_grad():
        ids = model.generate(torch.tensor([[1]]), max_new_tokens=MAX_NEW_TOKENS, do_sample=False)[0, 1:].tolist()
    vocab = json.load(open(f"{model_dir}/tokenizer.json"))["model"]["vocab"]
    text = decode(ids, vocab)
    json.dump({"bos": 1, "max_new_tokens": MAX_NEW_TOKENS, "ids": ids, "text": text}, open(out, "w"), indent=1)
    print(len(ids), "ids:", text)


if __name__ == "__main__":
    main()

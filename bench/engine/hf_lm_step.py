"""The HF transformers side of the LM step benchmark: one prompt-tuning (PT) step in Python.

    make OUT_DIR [NAME ...]            writes OUT_DIR/NAME (random weights, config.json +
                                       model.safetensors) that both sides load; NAME is one of
                                       MODELS below (default: llama t5)
    step MODEL_DIR STEPS WARMUP [--batch B] [--prompt-len P] [--text-len L] [--threads T] [--device D]
                                       times STEPS PT steps after WARMUP untimed ones and prints
                                       one line per timed step: "step_s <seconds> loss <value>"

Run with the oracle (../shared/oracles/hf/README.md): source /tmp/hf-oracle/env.sh; /usr/bin/python3.
The step is what bench/engine/lm_step_bench.cc does with ptune's backbones: a P-row soft prompt
(default 20, the only trainable tensor) prepended to the token embeddings of a batch of B x L ids
(default 8 x 64), attention mask all ones, the frozen model in eval mode, cross-entropy, backward,
torch.optim.AdamW on the prompt. Decoder-only: labels = [-100] x P + ids (next-token loss on the
text). T5: the P + L rows feed the encoder and HF shifts the 16 labels right into
decoder_input_ids. 2 threads by default.
"""
import argparse, os, sys, time
import torch

LABEL_LEN = 16

# name -> (family, sizes). "llama" and "t5" are the shapes of docs/models.md (58.5M, 60.5M);
# the llama-* ladder is the model-size scaling of scripts/bench.sh; *-tiny are its smoke models.
MODELS = {
    "llama": ("llama", dict(vocab_size=32000, hidden_size=512, intermediate_size=1408, num_hidden_layers=8,
                            num_attention_heads=8)),
    "llama-s": ("llama", dict(vocab_size=32000, hidden_size=256, intermediate_size=704, num_hidden_layers=4,
                              num_attention_heads=4)),
    "llama-xs": ("llama", dict(vocab_size=32000, hidden_size=128, intermediate_size=352, num_hidden_layers=2,
                               num_attention_heads=2)),
    "t5": ("t5", dict(vocab_size=32128, d_model=512, d_kv=64, d_ff=2048, num_layers=6, num_decoder_layers=6,
                      num_heads=8)),
    "llama-tiny": ("llama", dict(vocab_size=512, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                 num_attention_heads=2)),
    "t5-tiny": ("t5", dict(vocab_size=512, d_model=32, d_kv=16, d_ff=64, num_layers=1, num_decoder_layers=1,
                           num_heads=2)),
}


def build(name):
    from transformers import LlamaConfig, LlamaForCausalLM, T5Config, T5ForConditionalGeneration
    family, sizes = MODELS[name]
    if family == "llama":
        return LlamaForCausalLM(LlamaConfig(
            num_key_value_heads=sizes["num_attention_heads"], max_position_embeddings=2048,
            rms_norm_eps=1e-6, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2, **sizes))
    return T5ForConditionalGeneration(T5Config(
        feed_forward_proj="relu", dropout_rate=0.0, decoder_start_token_id=0, pad_token_id=0,
        eos_token_id=1, **sizes))


def make(out_dir, names):
    for name in names:
        torch.manual_seed(0)
        model = build(name)
        d = os.path.join(out_dir, name)
        model.save_pretrained(d, safe_serialization=True)
        params = sum(p.numel() for p in model.parameters())
        print(f"{name}: {params / 1e6:.1f}M parameters -> {d}")


def step(model_dir, steps, warmup, batch, prompt_len, text_len, threads, device):
    from transformers import AutoConfig, LlamaForCausalLM, T5ForConditionalGeneration
    torch.set_num_threads(threads)
    config = AutoConfig.from_pretrained(model_dir)
    cls = T5ForConditionalGeneration if config.is_encoder_decoder else LlamaForCausalLM
    model = cls.from_pretrained(model_dir).eval().to(device)
    for p in model.parameters():
        p.requires_grad_(False)
    torch.manual_seed(1)
    table = model.get_input_embeddings().weight
    # Random draws on the CPU generator (the C++ side's stream), then moved.
    prompt = (torch.randn(prompt_len, table.shape[1]) * table.std().item()).to(device).requires_grad_(True)
    optimizer = torch.optim.AdamW([prompt], lr=1e-3, weight_decay=0.01)
    ids = torch.randint(3, config.vocab_size, (batch, text_len))
    mask = torch.ones(batch, prompt_len + text_len, dtype=torch.long)
    if config.is_encoder_decoder:
        labels = torch.randint(3, config.vocab_size, (batch, LABEL_LEN))
    else:
        labels = torch.cat([torch.full((batch, prompt_len), -100), ids], 1)
    ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
    for i in range(warmup + steps):
        start = time.perf_counter()
        optimizer.zero_grad()
        embeds = torch.cat([prompt.unsqueeze(0).expand(batch, -1, -1), model.get_input_embeddings()(ids)], 1)
        loss = model(inputs_embeds=embeds, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        loss_value = loss.item()  # on CUDA this waits for the step
        elapsed = time.perf_counter() - start
        if i >= warmup:
            print(f"step_s {elapsed:.6f} loss {loss_value:.4f}", flush=True)


def main(argv):
    if len(argv) >= 2 and argv[0] == "make":
        names = argv[2:] or ["llama", "t5"]
        unknown = [n for n in names if n not in MODELS]
        if unknown:
            sys.exit(f"error: unknown model {unknown}; known: {sorted(MODELS)}")
        make(argv[1], names)
        return
    if argv[:1] != ["step"]:
        sys.exit(__doc__)
    parser = argparse.ArgumentParser(prog="hf_lm_step.py step")
    parser.add_argument("model_dir")
    parser.add_argument("steps", type=int)
    parser.add_argument("warmup", type=int)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--prompt-len", type=int, default=20)
    parser.add_argument("--text-len", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:n] (untested: no GPU here)")
    a = parser.parse_args(argv[1:])
    step(a.model_dir, a.steps, a.warmup, a.batch, a.prompt_len, a.text_len, a.threads, a.device)


if __name__ == "__main__":
    main(sys.argv[1:])

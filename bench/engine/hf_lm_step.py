"""The HF transformers side of bench-lm-step.sh: one prompt-tuning (PT) step in Python.

    make OUT_DIR                       writes OUT_DIR/llama and OUT_DIR/t5 (random weights,
                                       config.json + model.safetensors) that both sides load
    step MODEL_DIR STEPS WARMUP        times STEPS PT steps after WARMUP untimed ones and prints
                                       one line per timed step: "step_s <seconds>"

Run with the oracle (../shared/oracles/hf/README.md): source /tmp/hf-oracle/env.sh; /usr/bin/python3.
The step is what bench/engine/lm_step_bench.cc does with ptune's backbones: a 20-row soft prompt P
(the only trainable tensor) prepended to the token embeddings of a batch of 8 x 64 ids, attention
mask all ones, the frozen model in eval mode, cross-entropy, backward, torch.optim.AdamW on P.
Decoder-only: labels = [-100] x 20 + ids (next-token loss on the text). T5: the 84 rows feed the
encoder and HF shifts the 16 labels right into decoder_input_ids. 2 threads.
"""
import os, sys, time
import torch

BATCH, TEXT_LEN, PROMPT_LEN, LABEL_LEN, THREADS = 8, 64, 20, 16, 2


def make(out_dir):
    from transformers import LlamaConfig, LlamaForCausalLM, T5Config, T5ForConditionalGeneration
    torch.manual_seed(0)
    llama = LlamaForCausalLM(LlamaConfig(
        vocab_size=32000, hidden_size=512, intermediate_size=1408, num_hidden_layers=8,
        num_attention_heads=8, num_key_value_heads=8, max_position_embeddings=2048,
        rms_norm_eps=1e-6, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2))
    t5 = T5ForConditionalGeneration(T5Config(
        vocab_size=32128, d_model=512, d_kv=64, d_ff=2048, num_layers=6, num_decoder_layers=6,
        num_heads=8, feed_forward_proj="relu", dropout_rate=0.0, decoder_start_token_id=0,
        pad_token_id=0, eos_token_id=1))
    for name, model in (("llama", llama), ("t5", t5)):
        d = os.path.join(out_dir, name)
        model.save_pretrained(d, safe_serialization=True)
        params = sum(p.numel() for p in model.parameters())
        print(f"{name}: {params / 1e6:.1f}M parameters -> {d}")


def step(model_dir, steps, warmup):
    from transformers import AutoConfig, LlamaForCausalLM, T5ForConditionalGeneration
    torch.set_num_threads(THREADS)
    config = AutoConfig.from_pretrained(model_dir)
    cls = T5ForConditionalGeneration if config.is_encoder_decoder else LlamaForCausalLM
    model = cls.from_pretrained(model_dir).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    torch.manual_seed(1)
    table = model.get_input_embeddings().weight
    prompt = (torch.randn(PROMPT_LEN, table.shape[1]) * table.std()).requires_grad_(True)
    optimizer = torch.optim.AdamW([prompt], lr=1e-3, weight_decay=0.01)
    ids = torch.randint(3, config.vocab_size, (BATCH, TEXT_LEN))
    mask = torch.ones(BATCH, PROMPT_LEN + TEXT_LEN, dtype=torch.long)
    if config.is_encoder_decoder:
        labels = torch.randint(3, config.vocab_size, (BATCH, LABEL_LEN))
    else:
        labels = torch.cat([torch.full((BATCH, PROMPT_LEN), -100), ids], 1)
    for i in range(warmup + steps):
        start = time.perf_counter()
        optimizer.zero_grad()
        embeds = torch.cat([prompt.unsqueeze(0).expand(BATCH, -1, -1), model.get_input_embeddings()(ids)], 1)
        loss = model(inputs_embeds=embeds, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        elapsed = time.perf_counter() - start
        if i >= warmup:
            print(f"step_s {elapsed:.6f} loss {loss.item():.4f}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "step":
        step(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)

"""Writes the parity fixtures of ptune's HF-format backbones (tests/engine/hf/fixtures/).

For each tiny random model: an HF folder (config.json + model.safetensors, or shards + index)
and expected.safetensors computed by HF transformers 4.44.2 on torch 1.13 CPU, fp32, eager
attention. Run by hand with the oracle (../shared/oracles/hf/README.md):

    source /tmp/hf-oracle/env.sh
    /usr/bin/python3 scripts/hf_fixtures/generate.py tests/engine/hf/fixtures

expected.safetensors holds
  input_ids, attention_mask (B x L; row 1 right-padded, row 2 left-padded),
  logits, last_hidden            forward of the ids alone (padded positions are not compared),
  prompt (l x d), labels         a soft prompt given through inputs_embeds and CE labels,
  prompt_loss, prompt_grad       the loss of [prompt; embed(ids)] and d loss / d prompt.
Decoder-only models get position_ids = cumsum(mask) - 1 (what generate() uses, so left padding
does not shift positions); T5 models also hold decoder_input_ids, decoder_attention_mask and
encoder_last_hidden. Weights are stored in the dtype named by the config (F32, BF16 or F16)
and the reference runs in fp32 on exactly those rounded values.
"""
import json, os, shutil, sys
import torch
from safetensors.torch import save_file
from transformers import (GemmaConfig, GemmaForCausalLM, LlamaConfig, LlamaForCausalLM, Qwen2Config,
                          Qwen2ForCausalLM, T5Config, T5ForConditionalGeneration)

VOCAB = 64
DEC = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=32, num_hidden_layers=2,
           num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
           rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2, pad_token_id=0,
           attn_implementation="eager")
T5 = dict(vocab_size=VOCAB, d_model=16, d_kv=8, d_ff=32, num_layers=2, num_heads=2, dropout_rate=0.0,
          relative_attention_num_buckets=8, relative_attention_max_distance=6,
          decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)


def dec(**kw):
    return {**DEC, **kw}


# name -> (model class, config, weight dtype, max shard size or None)
MODELS = {
    "llama_gqa": (LlamaForCausalLM, LlamaConfig(**dec(rope_theta=10000.0)), torch.float32, None),
    "llama_mqa_tied_bias": (LlamaForCausalLM, LlamaConfig(**dec(
        num_key_value_heads=1, tie_word_embeddings=True, attention_bias=True)), torch.bfloat16, None),
    "llama_rope_linear": (LlamaForCausalLM, LlamaConfig(**dec(
        rope_theta=500000.0, rope_scaling={"type": "linear", "factor": 2.0})), torch.float32, None),
    "llama_rope_llama3": (LlamaForCausalLM, LlamaConfig(**dec(
        rope_theta=10000.0, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                          "high_freq_factor": 4.0,
                                          "original_max_position_embeddings": 16})),
        torch.float32, None),
    "qwen2_bias_tied": (Qwen2ForCausalLM, Qwen2Config(**dec(tie_word_embeddings=True, rope_theta=1e6)),
                        torch.float16, None),
    "qwen2_untied_sharded": (Qwen2ForCausalLM, Qwen2Config(**dec(
        num_key_value_heads=4, tie_word_embeddings=False, rope_theta=1e6)), torch.float32, "20KB"),
    "gemma_mqa_head_dim": (GemmaForCausalLM, GemmaConfig(**dec(
        num_key_value_heads=1, head_dim=16, hidden_activation="gelu_pytorch_tanh")), torch.float32, None),
    "t5_v1_0": (T5ForConditionalGeneration, T5Config(**T5, feed_forward_proj="relu"), torch.float32, None),
    "t5_v1_1": (T5ForConditionalGeneration, T5Config(**{**T5, "d_kv": 12}, feed_forward_proj="gated-gelu",
                                                     num_decoder_layers=3, tie_word_embeddings=False),
                torch.float32, None),
}

IDS = torch.tensor([[5, 17, 42, 3, 60, 1, 8], [7, 8, 9, 10, 11, 0, 0], [0, 0, 0, 12, 13, 14, 15]])
MASK = torch.tensor([[1] * 7, [1, 1, 1, 1, 1, 0, 0], [0, 0, 0, 1, 1, 1, 1]])
DEC_IDS = torch.tensor([[0, 7, 8, 9, 4], [0, 4, 4, 2, 0], [0, 30, 31, 0, 0]])
DEC_MASK = torch.tensor([[1] * 5, [1, 1, 1, 1, 0], [1, 1, 1, 0, 0]])
DEC_LABELS = torch.tensor([[7, 8, 9, 4, 1], [4, 4, 2, 1, -100], [30, 31, 1, -100, -100]])
PROMPT_LEN = 3


def positions(mask):
    return (mask.cumsum(-1) - 1).clamp(min=0)


def fixture(name, cls, config, dtype):
    torch.manual_seed(0)
    model = cls(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)  # non-trivial norms and biases
        for p in model.parameters():  # the reference sees the stored, rounded weights (not buffers)
            p.copy_(p.to(dtype).to(torch.float32))
    for p in model.parameters():
        p.requires_grad_(False)
    table = model.get_input_embeddings().weight
    prompt = (torch.randn(PROMPT_LEN, table.shape[1]) * table.std()).requires_grad_(True)
    batch = IDS.shape[0]
    full_embeds = torch.cat([prompt.unsqueeze(0).expand(batch, -1, -1), model.get_input_embeddings()(IDS)], 1)
    full_mask = torch.cat([torch.ones(batch, PROMPT_LEN, dtype=MASK.dtype), MASK], 1)
    exp = {"input_ids": IDS, "attention_mask": MASK}
    if config.is_encoder_decoder:
        with torch.no_grad():
            o = model(input_ids=IDS, attention_mask=MASK, decoder_input_ids=DEC_IDS,
                      decoder_attention_mask=DEC_MASK, output_hidden_states=True)
        exp.update(decoder_input_ids=DEC_IDS, decoder_attention_mask=DEC_MASK, logits=o.logits,
                   last_hidden=o.decoder_hidden_states[-1], encoder_last_hidden=o.encoder_last_hidden_state)
        labels = DEC_LABELS
        out = model(inputs_embeds=full_embeds, attention_mask=full_mask, decoder_input_ids=DEC_IDS,
                    decoder_attention_mask=DEC_MASK, labels=labels)
    else:
        with torch.no_grad():
            o = model(input_ids=IDS, attention_mask=MASK, position_ids=positions(MASK), output_hidden_states=True)
        exp.update(logits=o.logits, last_hidden=o.hidden_states[-1])
        labels = torch.cat([torch.full((batch, PROMPT_LEN), -100), IDS.masked_fill(MASK == 0, -100)], 1)
        out = model(inputs_embeds=full_embeds, attention_mask=full_mask, position_ids=positions(full_mask),
                    labels=labels)
    out.loss.backward()
    exp.update(prompt=prompt.detach(), labels=labels, prompt_loss=out.loss.detach().reshape(1),
               prompt_grad=prompt.grad)
    return model, exp


def main():
    out_root = sys.argv[1]
    for name, (cls, config, dtype, shard) in MODELS.items():
        model, exp = fixture(name, cls, config, dtype)
        d = os.path.join(out_root, name)
        shutil.rmtree(d, ignore_errors=True)
        model.to(dtype).save_pretrained(d, safe_serialization=True, **({"max_shard_size": shard} if shard else {}))
        if os.path.exists(os.path.join(d, "generation_config.json")):
            os.remove(os.path.join(d, "generation_config.json"))
        save_file({k: v.contiguous() for k, v in exp.items()}, os.path.join(d, "expected.safetensors"))
        files = sorted(os.listdir(d))
        size = sum(os.path.getsize(os.path.join(d, f)) for f in files)
        print(f"{name:22s} {str(dtype):15s} params={sum(p.numel() for p in model.parameters()):6d} "
              f"loss={exp['prompt_loss'].item():.5f} {size // 1024} KiB {files}")


if __name__ == "__main__":
    main()

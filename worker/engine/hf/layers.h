#ifndef PTUNE_WORKER_ENGINE_HF_LAYERS_H_
#define PTUNE_WORKER_ENGINE_HF_LAYERS_H_

// The small tensor functions T5 and the Llama family share, written to round the way
// transformers 4.44 does (norms and softmax in fp32, results cast back). Torch header.

#include <torch/torch.h>

#include <string>

namespace ptune::engine::hf {

// RMS norm: x / rms(x) in fp32, cast back, times `weight` (Llama, Qwen2, T5LayerNorm), or
// times (1 + weight) in fp32 before the cast (Gemma).
torch::Tensor RmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps,
                      bool one_plus_weight = false);

// An HF activation by its ACT2FN name: silu, relu, gelu (exact), gelu_new and
// gelu_pytorch_tanh (both the tanh approximation).
torch::Tensor Activate(const torch::Tensor& x, const std::string& name);

// Additive attention bias B x 1 x Q x K in `dtype`: 0 where key k may be attended from
// query q, the dtype's lowest value elsewhere (as HF, so fully masked rows stay finite).
// `key_mask` is B x K (nonzero = real token); `causal` also forbids k > q + (K - Q).
torch::Tensor AttentionBias(const torch::Tensor& key_mask, int64_t queries, bool causal,
                            torch::Dtype dtype);

// softmax(scores + bias) @ v with the softmax in fp32; scores B x H x Q x K, v B x H x K x D.
torch::Tensor Attend(const torch::Tensor& scores, const torch::Tensor& bias,
                     const torch::Tensor& v);

}  // namespace ptune::engine::hf

#endif  // PTUNE_WORKER_ENGINE_HF_LAYERS_H_

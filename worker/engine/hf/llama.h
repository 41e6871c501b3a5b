#ifndef PTUNE_WORKER_ENGINE_HF_LLAMA_H_
#define PTUNE_WORKER_ENGINE_HF_LLAMA_H_

// Llama-family decoders (LlamaForCausalLM, Qwen2ForCausalLM, GemmaForCausalLM) as
// transformers 4.44 computes them: pre-norm blocks of RoPE self-attention (GQA/MQA,
// rope_scaling linear or llama3, optional q/k/v(/o) biases) and a gated MLP (SwiGLU, or
// Gemma's tanh GELU), RMSNorm (Gemma: 1 + w), Gemma's sqrt(d) input scale, explicit
// head_dim, tied or untied head. Positions count real tokens only (cumsum(mask) - 1), so a
// left-padded row computes what the unpadded row does. Torch header.

#include <torch/torch.h>

#include <memory>

#include "absl/status/statusor.h"
#include "worker/engine/hf/hf_model.h"
#include "worker/engine/hf/weights.h"

namespace ptune::engine::hf {

class LlamaModel : public HfModel {
 public:
  // Takes every tensor the config implies from `weights`, converted to `options`.
  static absl::StatusOr<std::shared_ptr<LlamaModel>> Load(const HfConfig& config,
                                                          const HfWeights& weights,
                                                          const torch::TensorOptions& options);

  HfOutputs ForwardAll(const LanguageModelInputs& inputs) override;
  torch::Tensor EmbedTokens(const torch::Tensor& ids) override;
  torch::Tensor EmbeddingTable() override { return embed_; }

 private:
  struct Layer {
    torch::Tensor input_norm, post_norm;
    torch::Tensor q, k, v, o, q_bias, k_bias, v_bias, o_bias;  // biases may be undefined
    torch::Tensor gate, up, down, gate_bias, up_bias, down_bias;
  };
  explicit LlamaModel(HfConfig config) : HfModel(std::move(config)) {}
  torch::Tensor Block(const Layer& layer, const torch::Tensor& x, const torch::Tensor& cos,
                      const torch::Tensor& sin, const torch::Tensor& bias) const;

  torch::Tensor embed_, final_norm_, head_;
  torch::Tensor inv_freq_;  // head_dim / 2, fp32
  std::vector<Layer> layers_;
};

// RoPE inverse frequencies (fp32) for `config`'s rope_theta, head_dim and rope_scaling.
torch::Tensor RopeInverseFrequencies(const HfConfig& config);

}  // namespace ptune::engine::hf

#endif  // PTUNE_WORKER_ENGINE_HF_LLAMA_H_

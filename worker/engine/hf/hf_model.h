#ifndef PTUNE_WORKER_ENGINE_HF_HF_MODEL_H_
#define PTUNE_WORKER_ENGINE_HF_HF_MODEL_H_

// What ptune's HF-format backbones (llama.h, t5.h) add to LanguageModelImpl: their config
// (token ids for generation) and the last hidden states next to the logits (parity tests,
// pooling). Torch header.

#include <torch/torch.h>

#include <algorithm>
#include <string>

#include "worker/engine/backbones/language_model.h"
#include "worker/engine/hf/hf_config.h"

namespace ptune::engine::hf {

struct HfOutputs {
  torch::Tensor logits;               // as LanguageModelImpl::Forward
  torch::Tensor last_hidden;          // after the final norm: B x T x d (decoder-only) or B x S x d
  torch::Tensor encoder_last_hidden;  // encoder-decoder only: B x T x d
};

class HfModel : public LanguageModelImpl {
 public:
  explicit HfModel(HfConfig config) : config_(std::move(config)) {}

  const HfConfig& config() const { return config_; }
  virtual HfOutputs ForwardAll(const LanguageModelInputs& inputs) = 0;

  torch::Tensor Forward(const LanguageModelInputs& inputs) override {
    return ForwardAll(inputs).logits;
  }
  bool is_encoder_decoder() const override { return config_.is_encoder_decoder(); }
  int64_t hidden_size() const override { return config_.hidden_size; }
  int64_t vocab_size() const override { return config_.vocab_size; }
  int64_t max_positions() const override { return config_.max_position_embeddings; }

 protected:
  // Registers `t` under `name` (dots become underscores) as a frozen parameter.
  torch::Tensor Keep(const std::string& name, const torch::Tensor& t) {
    if (!t.defined()) return t;  // a failed Take; the loader returns its status
    std::string key = name;
    std::replace(key.begin(), key.end(), '.', '_');
    return register_parameter(key, t, /*requires_grad=*/false);
  }
  // Eval mode and requires_grad false everywhere; called once at the end of loading.
  void Freeze() {
    eval();
    for (torch::Tensor& p : parameters()) p.requires_grad_(false);
  }

 private:
  const HfConfig config_;
};

}  // namespace ptune::engine::hf

#endif  // PTUNE_WORKER_ENGINE_HF_HF_MODEL_H_

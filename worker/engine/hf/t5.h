#ifndef PTUNE_WORKER_ENGINE_HF_T5_H_
#define PTUNE_WORKER_ENGINE_HF_T5_H_

// T5ForConditionalGeneration as transformers 4.44 computes it: T5 v1.0 (ReLU FFN, head
// tied to the shared table with the d_model^-0.5 rescale) and v1.1 / flan (gated GELU,
// untied head), d_kv x heads independent of d_model, relative position buckets (the first
// block's table serves every block; bidirectional in the encoder, causal in the decoder,
// log-spaced past max_exact and clamped at relative_attention_max_distance), T5LayerNorm
// (RMS, no mean, no bias), unscaled dot-product attention, cross-attention, padding masks
// on both sides. A soft prompt goes in front of the encoder input (as PEFT does), the
// decoder sees only decoder_input_ids. Torch header.

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/engine/hf/hf_model.h"
#include "worker/engine/hf/weights.h"

namespace ptune::engine::hf {

class T5Model : public HfModel {
 public:
  static absl::StatusOr<std::shared_ptr<T5Model>> Load(const HfConfig& config,
                                                       const HfWeights& weights,
                                                       const torch::TensorOptions& options);

  HfOutputs ForwardAll(const LanguageModelInputs& inputs) override;
  torch::Tensor EmbedTokens(const torch::Tensor& ids) override;
  torch::Tensor EmbeddingTable() override { return shared_; }

  // The encoder alone: B x T x d after its final norm (generation runs it once).
  torch::Tensor Encode(const torch::Tensor& embeds, const torch::Tensor& mask);
  // Logits B x S x V of the decoder over an encoded input.
  HfOutputs Decode(const torch::Tensor& encoded, const torch::Tensor& encoder_mask,
                   const torch::Tensor& decoder_ids, const torch::Tensor& decoder_mask);

 private:
  struct Attention {
    torch::Tensor q, k, v, o;
  };
  struct Block {
    torch::Tensor self_norm, cross_norm, ffn_norm;  // cross_norm: decoder only
    Attention self, cross;
    torch::Tensor wi, wi_gate, wo;  // gated: act(wi_gate x) * (wi x); else act(wi x)
  };
  explicit T5Model(HfConfig config) : HfModel(std::move(config)) {}
  absl::Status LoadStack(WeightTaker& w, const std::string& prefix, int64_t layers, bool decoder,
                         std::vector<Block>& blocks, torch::Tensor& bias_table,
                         torch::Tensor& norm);
  torch::Tensor Attend(const Attention& a, const torch::Tensor& x, const torch::Tensor& memory,
                       const torch::Tensor& bias) const;
  torch::Tensor FeedForward(const Block& b, const torch::Tensor& x) const;
  // 1 x H x Q x K relative position bias from `table` (buckets x H).
  torch::Tensor PositionBias(const torch::Tensor& table, int64_t queries, int64_t keys,
                             bool bidirectional) const;

  torch::Tensor shared_, head_;
  torch::Tensor encoder_bias_, decoder_bias_, encoder_norm_, decoder_norm_;
  std::vector<Block> encoder_, decoder_;
};

// HF's T5Attention._relative_position_bucket: bucket ids (int64) of `relative` = key
// position - query position.
torch::Tensor RelativePositionBucket(const torch::Tensor& relative, bool bidirectional,
                                     int64_t num_buckets, int64_t max_distance);

}  // namespace ptune::engine::hf

#endif  // PTUNE_WORKER_ENGINE_HF_T5_H_

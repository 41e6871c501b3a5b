#ifndef PTUNE_TESTS_METHODS_TINY_BACKBONE_H_
#define PTUNE_TESTS_METHODS_TINY_BACKBONE_H_

// A tiny frozen random encoder (one self-attention layer + masked mean pooling) that
// implements BackboneImpl, so method tests run in milliseconds with no model files.

#include <torch/torch.h>

#include <cmath>

#include "worker/engine/backbones/backbone.h"

namespace ptune::engine::testing {

class TinyBackboneImpl : public BackboneImpl {
 public:
  TinyBackboneImpl(int64_t vocab, int64_t d) : d_(d) {
    table_ = register_parameter("table", torch::randn({vocab, d}) * 0.5);
    wq_ = register_parameter("wq", torch::randn({d, d}) / std::sqrt(double(d)));
    wk_ = register_parameter("wk", torch::randn({d, d}) / std::sqrt(double(d)));
    wv_ = register_parameter("wv", torch::randn({d, d}) / std::sqrt(double(d)));
    for (auto& p : parameters()) p.set_requires_grad(false);
  }
  int64_t hidden_size() const override { return d_; }
  int64_t output_size() const override { return d_; }
  int64_t max_text_tokens() const override { return 128; }
  torch::Tensor EmbedTokens(const torch::Tensor& ids) override {
    return table_.index_select(0, ids.flatten()).view({ids.size(0), ids.size(1), d_});
  }
  torch::Tensor EmbeddingTable() override { return table_; }
  torch::Tensor Forward(const torch::Tensor& embeds, const torch::Tensor& mask) override {
    const torch::Tensor m = mask.to(embeds.scalar_type());
    const torch::Tensor scores =
        torch::matmul(torch::matmul(embeds, wq_), torch::matmul(embeds, wk_).transpose(1, 2)) /
        std::sqrt(double(d_));
    const torch::Tensor attn = torch::softmax(scores.masked_fill(m.unsqueeze(1) == 0, -1e9), -1);
    const torch::Tensor h = torch::tanh(torch::matmul(attn, torch::matmul(embeds, wv_)));
    return (h * m.unsqueeze(-1)).sum(1) / m.sum(1, true);
  }

 private:
  int64_t d_;
  torch::Tensor table_, wq_, wk_, wv_;
};
TORCH_MODULE(TinyBackbone);

// A batch of random token ids with right padding: B x L ids and a 0/1 mask whose row b
// has L - b tokens (at least one).
struct TinyBatch {
  torch::Tensor ids;
  torch::Tensor mask;
};
inline TinyBatch MakeTinyBatch(int64_t batch, int64_t length, int64_t vocab) {
  TinyBatch b;
  b.ids = torch::randint(vocab, {batch, length}, torch::kLong);
  b.mask = torch::ones({batch, length}, torch::kLong);
  for (int64_t i = 0; i < batch; ++i) {
    const int64_t keep = std::max<int64_t>(1, length - i);
    b.mask.index_put_({i, torch::indexing::Slice(keep)}, 0);
  }
  return b;
}

}  // namespace ptune::engine::testing

#endif  // PTUNE_TESTS_METHODS_TINY_BACKBONE_H_

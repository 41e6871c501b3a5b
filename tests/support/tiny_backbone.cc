#include "tests/support/tiny_backbone.h"

#include <cctype>
#include <cmath>
#include <limits>
#include <random>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace ptune::engine::testing {
namespace {

void Freeze(torch::nn::Module& module) {
  module.eval();
  for (torch::Tensor& p : module.parameters()) p.set_requires_grad(false);
}

}  // namespace

TinyBackboneImpl::TinyBackboneImpl(int64_t vocab, int64_t dim, uint64_t seed) : dim_(dim) {
  torch::manual_seed(seed);
  embedding_ = register_parameter("embedding", torch::randn({vocab, dim}) * 0.5);
  qkv_ = register_module("qkv", torch::nn::Linear(dim, 3 * dim));
  out_ = register_module("out", torch::nn::Linear(dim, dim));
  ffn_ = register_module("ffn", torch::nn::Linear(dim, dim));
  Freeze(*this);
}

torch::Tensor TinyBackboneImpl::EmbedTokens(const torch::Tensor& ids) {
  return embedding_.index_select(0, ids.reshape({-1})).reshape({ids.size(0), ids.size(1), dim_});
}

torch::Tensor TinyBackboneImpl::Forward(const torch::Tensor& embeds, const torch::Tensor& mask) {
  const torch::Tensor m = mask.to(embeds.dtype());
  const std::vector<torch::Tensor> qkv = qkv_->forward(embeds).chunk(3, -1);
  torch::Tensor scores = torch::matmul(qkv[0], qkv[1].transpose(1, 2)) / std::sqrt(double(dim_));
  scores = scores.masked_fill(m.unsqueeze(1).eq(0), -1e4);
  torch::Tensor h = embeds + out_->forward(torch::matmul(torch::softmax(scores, -1), qkv[2]));
  h = h + torch::relu(ffn_->forward(h));
  const torch::Tensor pooled = (h * m.unsqueeze(-1)).sum(1) / m.sum(1, true).clamp_min(1);
  torch::Tensor out = torch::nn::functional::normalize(
      torch::tanh(pooled), torch::nn::functional::NormalizeFuncOptions().dim(1));
  if (poisoned_) out = out * std::numeric_limits<float>::quiet_NaN();
  return out;
}

TinyLanguageModelImpl::TinyLanguageModelImpl(int64_t vocab, int64_t dim, bool encoder_decoder,
                                             uint64_t seed)
    : dim_(dim), encoder_decoder_(encoder_decoder) {
  torch::manual_seed(seed);
  embedding_ = register_parameter("embedding", torch::randn({vocab, dim}) * 0.5);
  positions_ = register_parameter("positions", torch::randn({kMaxPositions, dim}) * 0.1);
  // Decoder-only: layer 0. Encoder-decoder: 0 encoder, 1 decoder self, 2 cross-attention.
  const int layers = encoder_decoder ? 3 : 1;
  for (int l = 0; l < layers; ++l) {
    const std::string n = std::to_string(l);
    qkv_.push_back(register_module("qkv" + n, torch::nn::Linear(dim, 3 * dim)));
    out_.push_back(register_module("out" + n, torch::nn::Linear(dim, dim)));
    ffn_.push_back(register_module("ffn" + n, torch::nn::Linear(dim, dim)));
  }
  Freeze(*this);
}

torch::Tensor TinyLanguageModelImpl::EmbedTokens(const torch::Tensor& ids) {
  return embedding_.index_select(0, ids.reshape({-1})).reshape({ids.size(0), ids.size(1), dim_});
}

torch::Tensor TinyLanguageModelImpl::Block(int layer, const torch::Tensor& h,
                                           const torch::Tensor& keys,
                                           const torch::Tensor& allowed) {
  const torch::Tensor w = qkv_[layer]->weight, b = qkv_[layer]->bias;
  const torch::Tensor q =
      torch::nn::functional::linear(h, w.slice(0, 0, dim_), b.slice(0, 0, dim_));
  const torch::Tensor kv = torch::nn::functional::linear(keys, w.slice(0, dim_), b.slice(0, dim_));
  const std::vector<torch::Tensor> k_v = kv.chunk(2, -1);
  torch::Tensor scores = torch::matmul(q, k_v[0].transpose(1, 2)) / std::sqrt(double(dim_));
  scores = scores.masked_fill(allowed.logical_not(), -1e4);
  torch::Tensor out = h + out_[layer]->forward(torch::matmul(torch::softmax(scores, -1), k_v[1]));
  return out + torch::relu(ffn_[layer]->forward(out));
}

torch::Tensor TinyLanguageModelImpl::Forward(const LanguageModelInputs& inputs) {
  const torch::Tensor& embeds = inputs.embeds;
  const int64_t t = embeds.size(1);
  const torch::Tensor key_mask = inputs.mask.to(torch::kBool).unsqueeze(1);  // B x 1 x T
  torch::Tensor h = embeds + positions_.slice(0, 0, t).to(embeds.dtype());
  if (!encoder_decoder_) {
    const torch::Tensor causal = torch::ones({t, t}, key_mask.options()).tril().unsqueeze(0);
    h = Block(0, h, h, causal.logical_and(key_mask));
    return torch::matmul(h, embedding_.t().to(h.dtype()));
  }
  const torch::Tensor encoded = Block(0, h, h, key_mask.expand({-1, t, -1}));
  const torch::Tensor& dec_ids = inputs.decoder_input_ids;
  const int64_t s = dec_ids.size(1);
  torch::Tensor d =
      EmbedTokens(dec_ids).to(embeds.dtype()) + positions_.slice(0, 0, s).to(embeds.dtype());
  torch::Tensor dec_keys = torch::ones({dec_ids.size(0), 1, s}, key_mask.options());
  if (inputs.decoder_mask.defined()) dec_keys = inputs.decoder_mask.to(torch::kBool).unsqueeze(1);
  const torch::Tensor causal = torch::ones({s, s}, key_mask.options()).tril().unsqueeze(0);
  d = Block(1, d, d, causal.logical_and(dec_keys));
  d = Block(2, d, encoded, key_mask.expand({-1, s, -1}));
  return torch::matmul(d, embedding_.t().to(d.dtype()));
}

std::vector<int64_t> WordTokenizer::Encode(std::string_view text) const {
  std::vector<int64_t> ids;
  for (absl::string_view word :
       absl::StrSplit(absl::string_view(text.data(), text.size()), ' ', absl::SkipEmpty())) {
    uint64_t h = 1469598103934665603ULL;
    for (char c : word) h = (h ^ static_cast<unsigned char>(std::tolower(c))) * 1099511628211ULL;
    ids.push_back(first_word_id_ +
                  static_cast<int64_t>(h % static_cast<uint64_t>(vocab_ - first_word_id_)));
  }
  return ids;
}

std::string WordTokenizer::Decode(const std::vector<int64_t>& ids) const {
  return absl::StrJoin(ids, " ");
}

std::vector<Example> SyntheticSentiment(int n, uint64_t seed) {
  const std::vector<std::string> good = {"great", "lovely", "excellent", "superb", "fine"};
  const std::vector<std::string> bad = {"awful", "broken", "terrible", "poor", "sad"};
  const std::vector<std::string> filler = {"the", "phone", "was", "movie", "food", "really"};
  std::mt19937_64 rng(seed);
  std::vector<Example> out;
  for (int i = 0; i < n; ++i) {
    const int label = static_cast<int>(rng() % 2);
    const auto& words = label == 1 ? good : bad;
    std::vector<std::string> sentence;
    for (int k = 0; k < 4; ++k) {
      sentence.push_back(filler[rng() % filler.size()]);
      if (k % 2 == 0) sentence.push_back(words[rng() % words.size()]);
    }
    Example e;
    e.text = absl::StrJoin(sentence, " ");
    e.label = label;
    out.push_back(std::move(e));
  }
  return out;
}

TinyBatch MakeTinyBatch(int64_t batch, int64_t length, int64_t vocab) {
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

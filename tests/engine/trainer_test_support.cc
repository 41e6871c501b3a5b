#include "tests/engine/trainer_test_support.h"

#include <cctype>
#include <random>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace ptune::engine::testing {

TinyBackboneImpl::TinyBackboneImpl(int64_t vocab, int64_t dim, uint64_t seed) : dim_(dim) {
  torch::manual_seed(seed);
  embedding_ = register_parameter("embedding", torch::randn({vocab, dim}) * 0.5);
  qkv_ = register_module("qkv", torch::nn::Linear(dim, 3 * dim));
  out_ = register_module("out", torch::nn::Linear(dim, dim));
  ffn_ = register_module("ffn", torch::nn::Linear(dim, dim));
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

std::vector<int64_t> WordTokenizer::Encode(std::string_view text) const {
  std::vector<int64_t> ids;
  for (absl::string_view word :
       absl::StrSplit(absl::string_view(text.data(), text.size()), ' ', absl::SkipEmpty())) {
    uint64_t h = 1469598103934665603ULL;
    for (char c : word) h = (h ^ static_cast<unsigned char>(std::tolower(c))) * 1099511628211ULL;
    ids.push_back(2 + static_cast<int64_t>(h % static_cast<uint64_t>(vocab_ - 2)));
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
    out.push_back(Example{absl::StrJoin(sentence, " "), "", label, 0.0});
  }
  return out;
}

}  // namespace ptune::engine::testing

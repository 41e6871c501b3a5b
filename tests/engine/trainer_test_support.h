#ifndef PTUNE_TESTS_ENGINE_TRAINER_TEST_SUPPORT_H_
#define PTUNE_TESTS_ENGINE_TRAINER_TEST_SUPPORT_H_

// A tiny real backbone and tokenizer for trainer tests that must not depend on the
// USE-Lite weights: a one-layer, single-head transformer encoder with random (seeded)
// weights, masked mean pooling and L2 normalisation, and a lower-cased word tokenizer
// that hashes words into the vocabulary.

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "worker/engine/backbones/backbone.h"
#include "worker/engine/backbones/tokenizer.h"
#include "worker/engine/data/dataset.h"

namespace ptune::engine::testing {

class TinyBackboneImpl : public BackboneImpl {
 public:
  TinyBackboneImpl(int64_t vocab, int64_t dim, uint64_t seed);
  int64_t hidden_size() const override { return dim_; }
  int64_t output_size() const override { return dim_; }
  int64_t max_text_tokens() const override { return 64; }
  torch::Tensor EmbedTokens(const torch::Tensor& ids) override;
  torch::Tensor EmbeddingTable() override { return embedding_; }
  torch::Tensor Forward(const torch::Tensor& embeds, const torch::Tensor& mask) override;

  // When set, Forward returns NaN (to test the trainer's non-finite loss check).
  void set_poisoned(bool poisoned) { poisoned_ = poisoned; }

 private:
  int64_t dim_;
  bool poisoned_ = false;
  torch::Tensor embedding_;
  torch::nn::Linear qkv_{nullptr}, out_{nullptr}, ffn_{nullptr};
};

class WordTokenizer : public Tokenizer {
 public:
  explicit WordTokenizer(int64_t vocab) : vocab_(vocab) {}
  std::vector<int64_t> Encode(std::string_view text) const override;
  std::string Decode(const std::vector<int64_t>& ids) const override;
  int64_t vocab_size() const override { return vocab_; }
  int64_t unk_id() const override { return 1; }
  int64_t pad_id() const override { return 0; }

 private:
  int64_t vocab_;
};

// A separable two-class task: positive sentences use words from one list, negative from
// another, with shared filler words. Deterministic in `seed`.
std::vector<Example> SyntheticSentiment(int n, uint64_t seed);

}  // namespace ptune::engine::testing

#endif  // PTUNE_TESTS_ENGINE_TRAINER_TEST_SUPPORT_H_

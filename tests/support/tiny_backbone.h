#ifndef PTUNE_TESTS_SUPPORT_TINY_BACKBONE_H_
#define PTUNE_TESTS_SUPPORT_TINY_BACKBONE_H_

// Tiny real models for engine and method tests that must not depend on downloaded
// weights, built from a seed in milliseconds:
//  * TinyBackboneImpl: a sentence encoder (BackboneImpl): one single-head self-attention
//    layer with a residual and a ReLU feed-forward, masked mean pooling, tanh and L2
//    normalisation;
//  * TinyLanguageModelImpl: a language model (LanguageModelImpl), decoder-only (one causal
//    self-attention layer) or encoder-decoder (a bidirectional encoder layer, a causal
//    decoder layer with cross-attention), learned positions, head tied to the embeddings;
//  * WordTokenizer: lower-cased words hashed into the vocabulary (ids 0 and 1 are pad
//    and unk; 2 and 3 bos and eos for language models);
//  * SyntheticSentiment: a separable two-class task.
// Models are frozen when built (eval mode, requires_grad false), as loaded backbones are.

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "worker/engine/backbones/backbone.h"
#include "worker/engine/backbones/language_model.h"
#include "worker/engine/backbones/tokenizer.h"
#include "worker/engine/data/dataset.h"

namespace ptune::engine::testing {

class TinyBackboneImpl : public BackboneImpl {
 public:
  // Seeds LibTorch's default generator with `seed` to draw the weights.
  TinyBackboneImpl(int64_t vocab, int64_t dim, uint64_t seed = 0);
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
TORCH_MODULE(TinyBackbone);

class TinyLanguageModelImpl : public LanguageModelImpl {
 public:
  // Seeds LibTorch's default generator with `seed` to draw the weights.
  TinyLanguageModelImpl(int64_t vocab, int64_t dim, bool encoder_decoder, uint64_t seed = 0);
  bool is_encoder_decoder() const override { return encoder_decoder_; }
  int64_t hidden_size() const override { return dim_; }
  int64_t vocab_size() const override { return embedding_.size(0); }
  int64_t max_positions() const override { return kMaxPositions; }
  torch::Tensor EmbedTokens(const torch::Tensor& ids) override;
  torch::Tensor EmbeddingTable() override { return embedding_; }
  torch::Tensor Forward(const LanguageModelInputs& inputs) override;

  static constexpr int64_t kMaxPositions = 128;

 private:
  // One attention block: h + Wo softmax(q k^T / sqrt(d) + bias) v, then a ReLU FFN.
  // `keys` = h for self-attention; `allowed` is B x Tq x Tk (true = may attend).
  torch::Tensor Block(int layer, const torch::Tensor& h, const torch::Tensor& keys,
                      const torch::Tensor& allowed);

  int64_t dim_;
  bool encoder_decoder_;
  torch::Tensor embedding_, positions_;
  std::vector<torch::nn::Linear> qkv_, out_, ffn_;
};
TORCH_MODULE(TinyLanguageModel);

class WordTokenizer : public Tokenizer {
 public:
  // With `lm_specials`, ids 2 and 3 are bos and eos and words hash into [4, vocab);
  // without, words hash into [2, vocab) and there is no bos/eos (like USE-Lite's).
  explicit WordTokenizer(int64_t vocab, bool lm_specials = false)
      : vocab_(vocab), first_word_id_(lm_specials ? 4 : 2) {}
  std::vector<int64_t> Encode(std::string_view text) const override;
  std::string Decode(const std::vector<int64_t>& ids) const override;
  int64_t vocab_size() const override { return vocab_; }
  int64_t unk_id() const override { return 1; }
  int64_t pad_id() const override { return 0; }
  int64_t bos_id() const override { return first_word_id_ == 4 ? 2 : -1; }
  int64_t eos_id() const override { return first_word_id_ == 4 ? 3 : -1; }

 private:
  int64_t vocab_;
  int64_t first_word_id_;
};

// A separable two-class task: positive sentences use words from one list, negative from
// another, with shared filler words. Deterministic in `seed`.
std::vector<Example> SyntheticSentiment(int n, uint64_t seed);

// A batch of random token ids with right padding: B x L ids and a 0/1 mask whose row b
// has L - b tokens (at least one).
struct TinyBatch {
  torch::Tensor ids;
  torch::Tensor mask;
};
TinyBatch MakeTinyBatch(int64_t batch, int64_t length, int64_t vocab);

}  // namespace ptune::engine::testing

#endif  // PTUNE_TESTS_SUPPORT_TINY_BACKBONE_H_

// Sequences of the language-model tasks: where the loss is, what is truncated, what the
// T5 decoder sees.
#include "worker/engine/data/lm_encoding.h"

#include <gtest/gtest.h>

#include "tests/support/tiny_backbone.h"

namespace ptune::engine {
namespace {

std::vector<int64_t> Row(const torch::Tensor& t, int64_t i) {
  const torch::Tensor r = t[i].to(torch::kLong).contiguous();
  return std::vector<int64_t>(r.data_ptr<int64_t>(), r.data_ptr<int64_t>() + r.numel());
}

Example Completion(std::string prompt, std::string completion) {
  Example e;
  e.text = std::move(prompt);
  e.completion = std::move(completion);
  return e;
}

constexpr int64_t kNo = kIgnoreLabel;

TEST(LmEncodingTest, DecoderOnlyCompletionHasLossOnlyOnTheCompletionAndEos) {
  testing::WordTokenizer tok(100, true);
  const int64_t a = tok.Encode("a")[0], b = tok.Encode("b")[0], c = tok.Encode("c")[0];
  LmEncoding options;
  options.max_len = 7;
  const EncodedSplit split = EncodeCausalLm({Completion("a b", "c")}, tok, options);
  EXPECT_EQ(Row(split.ids, 0), (std::vector<int64_t>{2, a, b, c, 3, 0, 0}));
  EXPECT_EQ(Row(split.token_labels, 0), (std::vector<int64_t>{kNo, kNo, kNo, c, 3, kNo, kNo}));
  EXPECT_EQ(Row(split.mask, 0), (std::vector<int64_t>{1, 1, 1, 1, 1, 0, 0}));
  EXPECT_FALSE(split.decoder_ids.defined());
}

TEST(LmEncodingTest, DecoderOnlyTextExampleHasLossOnEveryTokenButBos) {
  testing::WordTokenizer tok(100, true);
  const int64_t a = tok.Encode("a")[0], b = tok.Encode("b")[0];
  LmEncoding options;
  options.max_len = 5;
  Example text;
  text.text = "a b";
  const EncodedSplit split = EncodeCausalLm({text}, tok, options);
  EXPECT_EQ(Row(split.token_labels, 0), (std::vector<int64_t>{kNo, a, b, 3, kNo}));
}

TEST(LmEncodingTest, LongPromptsLoseTheirStartNotTheCompletion) {
  testing::WordTokenizer tok(100, true);
  const int64_t e = tok.Encode("e")[0], c = tok.Encode("c")[0];
  LmEncoding options;
  options.max_len = 4;
  const EncodedSplit split = EncodeCausalLm({Completion("a b d e", "c")}, tok, options);
  EXPECT_EQ(Row(split.ids, 0), (std::vector<int64_t>{2, e, c, 3}));
  EXPECT_EQ(Row(split.token_labels, 0), (std::vector<int64_t>{kNo, kNo, c, 3}));
}

TEST(LmEncodingTest, EncoderDecoderCompletionIsTheDecoderTarget) {
  testing::WordTokenizer tok(100, true);
  const int64_t a = tok.Encode("a")[0], c = tok.Encode("c")[0], d = tok.Encode("d")[0];
  LmEncoding options;
  options.encoder_decoder = true;
  options.max_len = 4;
  options.decoder_start_token = 0;
  const EncodedSplit split = EncodeCausalLm({Completion("a", "c d")}, tok, options);
  EXPECT_EQ(Row(split.ids, 0), (std::vector<int64_t>{a, 3, 0, 0}));
  EXPECT_EQ(Row(split.decoder_ids, 0), (std::vector<int64_t>{0, c, d, 0}));
  EXPECT_EQ(Row(split.decoder_mask, 0), (std::vector<int64_t>{1, 1, 1, 0}));
  EXPECT_EQ(Row(split.token_labels, 0), (std::vector<int64_t>{c, d, 3, kNo}));
}

TEST(LmEncodingTest, LabelWordInputsEndWithTheTemplateEvenWhenTheTextIsCut) {
  testing::WordTokenizer tok(100, true);
  const int64_t a = tok.Encode("a")[0], t = tok.Encode("sentiment:")[0];
  LmEncoding options;
  options.max_len = 3;
  options.template_text = "sentiment:";
  Example e;
  e.text = "a b c";
  e.label = 1;
  const EncodedSplit split = EncodeLabelWordInputs({e}, tok, options);
  EXPECT_EQ(Row(split.ids, 0), (std::vector<int64_t>{2, a, t}));
  EXPECT_EQ(Row(split.labels, 0), (std::vector<int64_t>{1}));
  options.encoder_decoder = true;
  options.max_len = 4;
  const EncodedSplit t5 = EncodeLabelWordInputs({e}, tok, options);
  EXPECT_EQ(Row(t5.ids, 0), (std::vector<int64_t>{a, tok.Encode("b")[0], t, 3}));
}

}  // namespace
}  // namespace ptune::engine

// Parity of ptune's T5 and Llama-family backbones with HF transformers 4.44.2 (torch 1.13,
// fp32, eager attention) on the committed fixtures of scripts/hf_fixtures/generate.py:
// logits and last hidden states of a padded batch (right- and left-padded rows; padded
// positions are not compared), and the loss and its gradient with respect to a soft prompt
// given through the input embeddings.
//
// Tolerance (fp32): max |ours - HF| <= 1e-4 x max |HF| over each compared tensor, plus
// 1e-6 absolute for tensors near zero.

#include <torch/torch.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "worker/engine/hf/load.h"
#include "worker/engine/hf/weights.h"

namespace ptune::engine::hf {
namespace {

constexpr double kRelativeTolerance = 1e-4;
constexpr double kAbsoluteFloor = 1e-6;

struct Diff {
  double max_abs, relative;
};

// Compares `ours` with `expected` where `keep` (broadcastable bool) is true.
Diff Compare(const torch::Tensor& ours, const torch::Tensor& expected, const torch::Tensor& keep) {
  const torch::Tensor o = ours.detach().to(torch::kFloat64), e = expected.to(torch::kFloat64);
  const torch::Tensor k = keep.expand_as(e);
  const double max_abs = (o - e).abs().masked_select(k).max().item<double>();
  const double scale = e.abs().masked_select(k).max().item<double>();
  return {max_abs, max_abs / std::max(scale, 1e-30)};
}

void ExpectClose(const std::string& what, const torch::Tensor& ours, const torch::Tensor& expected,
                 const torch::Tensor& keep) {
  ASSERT_EQ(ours.sizes(), expected.sizes()) << what;
  const Diff d = Compare(ours, expected, keep);
  std::printf("  %-22s max|diff| %.3g  relative %.3g\n", what.c_str(), d.max_abs, d.relative);
  EXPECT_TRUE(d.relative <= kRelativeTolerance || d.max_abs <= kAbsoluteFloor)
      << what << ": max abs diff " << d.max_abs << ", relative " << d.relative;
}

class HfParityTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = std::string(PTUNE_HF_FIXTURES) + "/" + GetParam();
    absl::StatusOr<std::shared_ptr<HfModel>> m = LoadHfModel(dir_);
    ASSERT_TRUE(m.ok()) << m.status();
    model_ = *m;
    absl::StatusOr<HfWeights> e = HfWeights::OpenFile(dir_ + "/expected.safetensors");
    ASSERT_TRUE(e.ok()) << e.status();
    expected_ = std::make_unique<HfWeights>(*std::move(e));
  }
  torch::Tensor Expected(const std::string& name) {
    absl::StatusOr<torch::Tensor> t = expected_->Raw(name);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : torch::Tensor();
  }
  LanguageModelInputs Inputs(const torch::Tensor& embeds, const torch::Tensor& mask) {
    LanguageModelInputs in{embeds, mask, {}, {}};
    if (model_->is_encoder_decoder()) {
      in.decoder_input_ids = Expected("decoder_input_ids");
      in.decoder_mask = Expected("decoder_attention_mask");
    }
    return in;
  }

  std::string dir_;
  std::shared_ptr<HfModel> model_;
  std::unique_ptr<HfWeights> expected_;
};

TEST_P(HfParityTest, FrozenWithTheParametersTheConfigPredicts) {
  int64_t count = 0;
  for (const torch::Tensor& p : model_->parameters()) {
    EXPECT_FALSE(p.requires_grad());
    count += p.numel();
  }
  EXPECT_EQ(count, ParameterCount(model_->config()));
  EXPECT_FALSE(model_->is_training());
}

TEST_P(HfParityTest, LogitsAndHiddenStatesMatchTransformers) {
  std::printf("%s\n", GetParam().c_str());
  const torch::Tensor ids = Expected("input_ids"), mask = Expected("attention_mask");
  torch::NoGradGuard no_grad;
  const HfOutputs out = model_->ForwardAll(Inputs(model_->EmbedTokens(ids), mask));
  // Compared rows: real tokens of the decoder (T5: decoder mask) and of the encoder.
  const torch::Tensor rows =
      (model_->is_encoder_decoder() ? Expected("decoder_attention_mask") : mask).unsqueeze(-1) != 0;
  ExpectClose("logits", out.logits, Expected("logits"), rows);
  ExpectClose("last_hidden", out.last_hidden, Expected("last_hidden"), rows);
  if (model_->is_encoder_decoder()) {
    ExpectClose("encoder_last_hidden", out.encoder_last_hidden, Expected("encoder_last_hidden"),
                mask.unsqueeze(-1) != 0);
  }
}

TEST_P(HfParityTest, SoftPromptLossAndGradientMatchTransformers) {
  std::printf("%s\n", GetParam().c_str());
  const torch::Tensor ids = Expected("input_ids"), mask = Expected("attention_mask");
  const torch::Tensor prompt = Expected("prompt").clone().requires_grad_(true);
  const int64_t batch = ids.size(0), rows = prompt.size(0);
  const torch::Tensor embeds = torch::cat(
      {prompt.unsqueeze(0).expand({batch, rows, prompt.size(1)}), model_->EmbedTokens(ids)}, 1);
  const torch::Tensor full_mask = torch::cat({torch::ones({batch, rows}, mask.options()), mask}, 1);
  torch::Tensor logits = model_->Forward(Inputs(embeds, full_mask));
  torch::Tensor labels = Expected("labels");
  if (!model_->is_encoder_decoder()) {  // position t predicts token t + 1
    logits = logits.slice(1, 0, -1);
    labels = labels.slice(1, 1);
  }
  const torch::Tensor loss = torch::nn::functional::cross_entropy(
      logits.reshape({-1, logits.size(-1)}), labels.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
  loss.backward();
  const torch::Tensor all = torch::ones({1}, torch::kBool);
  ExpectClose("prompt_loss", loss.reshape({1}), Expected("prompt_loss"), all);
  ExpectClose("prompt_grad", prompt.grad(), Expected("prompt_grad"), all);
}

// A loaded model is read-only: threads sharing one instance get what one thread gets.
TEST(HfModelThreadsTest, OneInstanceServesSeveralThreads) {
  absl::StatusOr<std::shared_ptr<HfModel>> m =
      LoadHfModel(std::string(PTUNE_HF_FIXTURES) + "/gemma_mqa_head_dim");
  ASSERT_TRUE(m.ok()) << m.status();
  HfModel& model = **m;
  const torch::Tensor ids = torch::tensor({{3, 9, 27, 4, 5}});
  auto run = [&] {
    torch::NoGradGuard no_grad;
    return model.Forward({model.EmbedTokens(ids), torch::ones({1, 5}), {}, {}});
  };
  const torch::Tensor reference = run();
  std::vector<torch::Tensor> results(4);
  std::vector<std::thread> threads;
  for (torch::Tensor& r : results) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) r = run();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const torch::Tensor& r : results) EXPECT_TRUE(torch::equal(r, reference));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, HfParityTest,
                         ::testing::Values("llama_gqa", "llama_mqa_tied_bias", "llama_rope_linear",
                                           "llama_rope_llama3", "qwen2_bias_tied",
                                           "qwen2_untied_sharded", "gemma_mqa_head_dim", "t5_v1_0",
                                           "t5_v1_1"));

}  // namespace
}  // namespace ptune::engine::hf

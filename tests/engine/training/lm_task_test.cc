// The language-model tasks on the tiny decoder-only and encoder-decoder models: which
// logits the losses read, that gradients reach the prompt (never the model), that every
// method runs unchanged, and that training lowers the loss.
#include <gtest/gtest.h>

#include "common/spec_defaults.h"
#include "tests/support/tiny_backbone.h"
#include "worker/engine/data/lm_encoding.h"
#include "worker/engine/methods/method_factory.h"
#include "worker/engine/training/lm_model.h"
#include "worker/engine/training/prompted_model.h"
#include "worker/engine/training/trainer.h"

namespace ptune::engine {
namespace {

using testing::TinyLanguageModelImpl;
using testing::WordTokenizer;

constexpr int64_t kVocab = 48, kDim = 16, kLen = 12;

ptune::v1::JobSpec LmSpec(ptune::v1::TaskType task, ptune::v1::Method method) {
  ptune::v1::JobSpec spec;
  spec.set_method(method);
  spec.mutable_data()->set_task(task);
  spec.mutable_data()->set_max_seq_len(kLen);
  spec.mutable_prompt()->set_length(4);
  spec.mutable_prompt()->set_lr(0.05);
  spec.mutable_train()->set_steps(40);
  spec.mutable_train()->set_batch_size(8);
  spec.mutable_train()->set_eval_every(20);
  spec.set_seed(3);
  ApplySpecDefaults(&spec);
  return spec;
}

struct Built {
  std::shared_ptr<TinyLanguageModelImpl> lm;
  std::unique_ptr<PromptedModel> model;
};

Built Build(const ptune::v1::JobSpec& spec, bool encoder_decoder, const DataSplits& data) {
  Built out;
  out.lm = std::make_shared<TinyLanguageModelImpl>(kVocab, kDim, encoder_decoder, 5);
  LoadedBackbone loaded;
  loaded.language_model = out.lm;
  loaded.tokenizer = std::make_shared<WordTokenizer>(kVocab, true);
  loaded.source = "tiny-lm";
  torch::manual_seed(spec.seed());
  auto method = CreatePromptMethod(spec, out.lm->EmbeddingTable());
  EXPECT_TRUE(method.ok()) << method.status();
  auto model = CreatePromptedModel(spec, loaded, *method, data, torch::kCPU);
  EXPECT_TRUE(model.ok()) << model.status();
  if (model.ok()) out.model = *std::move(model);
  return out;
}

// Stories where each completion repeats a word of its prompt: learnable by a prompt.
std::vector<Example> Completions(int n, uint64_t seed) {
  const std::vector<std::string> words = {"red", "blue", "green", "cat", "dog", "sun"};
  std::vector<Example> out;
  for (int i = 0; i < n; ++i) {
    const std::string w = words[(seed * 7 + i) % words.size()];
    Example e;
    e.text = "the word is " + w;
    e.completion = w + " " + w + " again";
    out.push_back(std::move(e));
  }
  return out;
}

DataSplits CausalData() {
  DataSplits data;
  data.train = Completions(48, 1);
  data.validation = Completions(16, 2);
  data.test = Completions(16, 3);
  return data;
}

DataSplits LabelData() {
  DataSplits data;
  data.train = testing::SyntheticSentiment(96, 1);
  data.validation = testing::SyntheticSentiment(32, 2);
  data.test = testing::SyntheticSentiment(32, 3);
  data.labels = {"negative", "positive"};
  data.verbalizers = {"awful", "great"};
  return data;
}

LanguageModelInputs Plain(const PromptedInput& input) {
  LanguageModelInputs out;
  out.embeds = input.embeds;
  out.mask = input.mask;
  return out;
}

bool PromptHasGradient(PromptedModel& model) {
  for (const auto& [name, t] : model.TrainableTensors()) {
    if (name == "method.prompt")
      return t.grad().defined() && t.grad().abs().sum().item<double>() > 0;
  }
  return false;
}

TEST(CausalLmTaskTest, DecoderOnlyLossReadsTheShiftedCompletionLogits) {
  const auto spec = LmSpec(ptune::v1::TASK_TYPE_CAUSAL_LM, ptune::v1::METHOD_PT);
  Built b = Build(spec, false, CausalData());
  const EncodedSplit split = b.model->Encode(CausalData().train);
  const Batch batch = SliceBatch(split, 0, 4);
  const TaskOutput out = b.model->Run(batch);
  EXPECT_FALSE(out.scores.defined());
  // By hand: logits of [prompt; text], position 4 + t - 1 predicts text token t.
  const PromptedInput input = b.model->method().Apply(b.lm->EmbedTokens(batch.ids), batch.mask);
  const torch::Tensor logits = b.lm->Forward(Plain(input));
  ASSERT_EQ(logits.size(1), 4 + kLen);
  auto [want, count] = TokenCrossEntropy(logits.slice(1, 3, 3 + kLen), batch.token_labels);
  EXPECT_NEAR(out.loss.item<double>(), want.item<double>(), 1e-5);
  EXPECT_EQ(out.loss_weight, static_cast<double>(count));
  EXPECT_EQ(count, batch.token_labels.ne(kIgnoreLabel).sum().item<int64_t>());
  out.loss.backward();
  EXPECT_TRUE(PromptHasGradient(*b.model));
  for (const auto& p : b.lm->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(CausalLmTaskTest, EncoderDecoderLossIsOnTheDecoderTarget) {
  const auto spec = LmSpec(ptune::v1::TASK_TYPE_CAUSAL_LM, ptune::v1::METHOD_PT);
  Built b = Build(spec, true, CausalData());
  const Batch batch = SliceBatch(b.model->Encode(CausalData().train), 0, 4);
  ASSERT_TRUE(batch.decoder_ids.defined());
  const TaskOutput out = b.model->Run(batch);
  EXPECT_EQ(out.loss_weight, batch.token_labels.ne(kIgnoreLabel).sum().item<double>());
  EXPECT_TRUE(std::isfinite(out.loss.item<double>()));
  out.loss.backward();
  EXPECT_TRUE(PromptHasGradient(*b.model));
}

TEST(LabelWordTaskTest, DecoderOnlyScoresAreTheFirstVerbalizerTokensLogitsAtTheLastToken) {
  const auto spec = LmSpec(ptune::v1::TASK_TYPE_CLASSIFICATION, ptune::v1::METHOD_PT);
  Built b = Build(spec, false, LabelData());
  const Batch batch = SliceBatch(b.model->Encode(LabelData().train), 0, 3);
  const TaskOutput out = b.model->Run(batch);
  ASSERT_EQ(out.scores.sizes(), (std::vector<int64_t>{3, 2}));
  const PromptedInput input = b.model->method().Apply(b.lm->EmbedTokens(batch.ids), batch.mask);
  const torch::Tensor logits = b.lm->Forward(Plain(input));
  WordTokenizer tok(kVocab, true);
  const int64_t last = 4 + batch.mask[1].sum().item<int64_t>() - 1;
  EXPECT_NEAR(out.scores[1][1].item<double>(),
              logits[1][last][tok.Encode("great")[0]].item<double>(), 1e-5);
  out.loss.backward();
  EXPECT_TRUE(PromptHasGradient(*b.model));
}

TEST(LabelWordTaskTest, TextToTextScoresEveryLabelAndRejectsBadVerbalizers) {
  const auto spec = LmSpec(ptune::v1::TASK_TYPE_CLASSIFICATION, ptune::v1::METHOD_PT);
  DataSplits data = LabelData();
  data.verbalizers = {"very awful", "very great"};  // same first token: fine for T5
  Built b = Build(spec, true, data);
  const TaskOutput out = b.model->Run(SliceBatch(b.model->Encode(data.train), 0, 3));
  ASSERT_EQ(out.scores.sizes(), (std::vector<int64_t>{3, 2}));
  EXPECT_TRUE((out.scores < 0).all().item<bool>());  // mean log-probabilities
  out.loss.backward();
  EXPECT_TRUE(PromptHasGradient(*b.model));

  auto lm = std::make_shared<TinyLanguageModelImpl>(kVocab, kDim, false, 5);
  LoadedBackbone loaded{nullptr, lm, std::make_shared<WordTokenizer>(kVocab, true), "tiny"};
  auto method = CreatePromptMethod(spec, lm->EmbeddingTable());
  ASSERT_TRUE(method.ok());
  auto same_first = CreatePromptedModel(spec, loaded, *method, data, torch::kCPU);
  EXPECT_EQ(same_first.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(same_first.status().message().find("data.verbalizers"), std::string::npos);
}

TEST(LanguageModelTaskTest, CausalLmNeedsALanguageModel) {
  const auto spec = LmSpec(ptune::v1::TASK_TYPE_CAUSAL_LM, ptune::v1::METHOD_PT);
  auto encoder = std::make_shared<testing::TinyBackboneImpl>(kVocab, kDim, 1);
  LoadedBackbone loaded{encoder, nullptr, std::make_shared<WordTokenizer>(kVocab, true), "tiny"};
  auto method = CreatePromptMethod(spec, encoder->EmbeddingTable());
  ASSERT_TRUE(method.ok());
  auto model = CreatePromptedModel(spec, loaded, *method, CausalData(), torch::kCPU);
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(model.status().message().find("data.task"), std::string::npos);
}

TEST(LanguageModelTaskTest, DeptAndEptWithTslossRunUnchangedOnBothKinds) {
  for (const auto method : {ptune::v1::METHOD_DEPT, ptune::v1::METHOD_EPT}) {
    for (const bool encoder_decoder : {false, true}) {
      auto spec = LmSpec(ptune::v1::TASK_TYPE_CAUSAL_LM, method);
      spec.mutable_train()->set_steps(2);
      spec.mutable_tsloss()->set_enabled(true);
      Built b = Build(spec, encoder_decoder, CausalData());
      TrainerOptions options;
      options.spec = spec;
      auto trainer = Trainer::Create(options, std::move(b.model), CausalData());
      ASSERT_TRUE(trainer.ok()) << trainer.status();
      auto outcome = (*trainer)->Train();
      ASSERT_TRUE(outcome.ok()) << outcome.status();
      EXPECT_GT(outcome->final_metrics.at("validation_perplexity"), 1.0);
    }
  }
}

// Learning: the held-out loss of the completions falls when only the prompt trains
// (60 steps, lr 0.1; the tiny random models learn slowly, so the bar is 0.1 nats).
TEST(LanguageModelTaskTest, TrainingThePromptLowersTheHeldOutLoss) {
  for (const bool encoder_decoder : {false, true}) {
    auto spec = LmSpec(ptune::v1::TASK_TYPE_CAUSAL_LM, ptune::v1::METHOD_PT);
    spec.mutable_prompt()->set_lr(0.1);
    spec.mutable_train()->set_steps(60);
    Built b = Build(spec, encoder_decoder, CausalData());
    const torch::Tensor table = b.lm->EmbeddingTable().clone();
    const double before = b.model->Evaluate(CausalData().validation, 8).metrics.at("loss");
    TrainerOptions options;
    options.spec = spec;
    auto trainer = Trainer::Create(options, std::move(b.model), CausalData());
    ASSERT_TRUE(trainer.ok());
    auto outcome = (*trainer)->Train();

    ASSERT_TRUE(outcome.ok()) << outcome.status();
    const double after = outcome->final_metrics.at("validation_loss");
    // Measured: decoder-only 3.14 -> 2.95, encoder-decoder 4.62 -> ~4.3 (seed 3).
    EXPECT_LT(after, before - 0.1) << "encoder_decoder " << encoder_decoder;
    EXPECT_NEAR(outcome->final_metrics.at("validation_perplexity"), std::exp(after), 1e-6);
    EXPECT_TRUE(torch::equal(table, b.lm->EmbeddingTable()));
  }
}

}  // namespace
}  // namespace ptune::engine

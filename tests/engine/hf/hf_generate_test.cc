// Generation on the real pretrained stories260k (examples/models/stories260k): greedy
// decoding from BOS reproduces, id for id, what HF transformers' LlamaForCausalLM.generate
// gives (scripts/hf_fixtures/stories260k_greedy.py), i.e. the sample the model's readme
// documents; sampling is reproducible per seed; T5 generation runs from the fixtures.

#include <torch/torch.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "worker/engine/hf/generate.h"
#include "worker/engine/hf/load.h"
#include "worker/engine/tokenizers/hf_tokenizer.h"

namespace ptune::engine::hf {
namespace {

std::shared_ptr<HfModel> Load(const std::string& dir) {
  absl::StatusOr<std::shared_ptr<HfModel>> m = LoadHfModel(dir);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : nullptr;
}

TEST(Stories260kTest, GreedyFromBosReproducesTheDocumentedSample) {
  const nlohmann::json golden = nlohmann::json::parse(
      std::ifstream(std::string(PTUNE_HF_FIXTURES) + "/stories260k_greedy.json"));
  EXPECT_THAT(
      golden["text"].get<std::string>(),
      ::testing::StartsWith("Once upon a time, there was a little girl named Lily. She loved "
                            "to play outside in the park. One day, she saw a big, red ball."));
  std::shared_ptr<HfModel> model = Load(PTUNE_STORIES260K);
  ASSERT_NE(model, nullptr);
  GenerateOptions options;
  options.max_new_tokens = golden["max_new_tokens"].get<int64_t>();
  absl::StatusOr<std::vector<int64_t>> ids = Generate(*model, {}, torch::Tensor(), options);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, golden["ids"].get<std::vector<int64_t>>());
  // The text through the model's own tokenizer.json, as HF tokenizers decodes it.
  absl::StatusOr<std::unique_ptr<HfTokenizer>> tokenizer =
      HfTokenizer::Load(std::string(PTUNE_STORIES260K) + "/tokenizer.json");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  EXPECT_EQ((*tokenizer)->Decode(*ids, /*skip_special_tokens=*/true),
            golden["text"].get<std::string>());
}

TEST(Stories260kTest, SamplingIsReproduciblePerSeedAndASoftPromptChangesTheOutput) {
  std::shared_ptr<HfModel> model = Load(PTUNE_STORIES260K);
  ASSERT_NE(model, nullptr);
  GenerateOptions options;
  options.max_new_tokens = 32;
  options.temperature = 1.5;  // the model is confident: make the seeds matter
  options.top_p = 0.95;
  options.seed = 7;
  const auto first = Generate(*model, {1, 403}, torch::Tensor(), options);
  const auto again = Generate(*model, {1, 403}, torch::Tensor(), options);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, *again);
  options.seed = 8;
  EXPECT_NE(*Generate(*model, {1, 403}, torch::Tensor(), options), *first);

  // A soft prompt far from the vocabulary (rows of 10 x the table's scale) moves the output.
  torch::manual_seed(0);
  const torch::Tensor prompt =
      torch::randn({4, model->hidden_size()}) * 10 * model->EmbeddingTable().std().item<double>();
  GenerateOptions greedy;
  greedy.max_new_tokens = 16;
  EXPECT_NE(*Generate(*model, {1}, prompt, greedy),
            *Generate(*model, {1}, torch::Tensor(), greedy));
}

TEST(Stories260kTest, RejectsBadRequests) {
  std::shared_ptr<HfModel> model = Load(PTUNE_STORIES260K);
  ASSERT_NE(model, nullptr);
  GenerateOptions options;
  EXPECT_EQ(Generate(*model, {512}, torch::Tensor(), options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.max_new_tokens = 600;
  EXPECT_THAT(Generate(*model, {1}, torch::Tensor(), options).status().message(),
              ::testing::HasSubstr("exceed the model's 512 positions"));
  options.max_new_tokens = 4;
  options.top_p = 0;
  EXPECT_FALSE(Generate(*model, {1}, torch::Tensor(), options).ok());
  options.top_p = 1;
  EXPECT_FALSE(Generate(*model, {1}, torch::zeros({2, 3}), options).ok());
}

TEST(T5GenerateTest, DecodesFromTheDecoderStartToken) {
  std::shared_ptr<HfModel> model = Load(std::string(PTUNE_HF_FIXTURES) + "/t5_v1_1");
  ASSERT_NE(model, nullptr);
  GenerateOptions options;
  options.max_new_tokens = 5;
  options.stop_at_eos = false;
  absl::StatusOr<std::vector<int64_t>> ids =
      Generate(*model, {5, 17, 42}, torch::Tensor(), options);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(ids->size(), 5u);
}

}  // namespace
}  // namespace ptune::engine::hf

// USE-Lite on the real weights fetched by scripts/setup.sh: the anchor docs/use-lite.md describes,
// interface behaviour the prompt methods rely on, and loader errors.

#include "worker/engine/backbones/use_lite.h"

#include <ATen/autocast_mode.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "worker/engine/backbones/backbone_registry.h"
#include "worker/engine/backbones/encode.h"
#include "worker/engine/backbones/tfjs_weights.h"

namespace ptune::engine {
namespace {

// The real model, loaded once for the whole binary.
const LoadedBackbone& Model() {
  static const LoadedBackbone* model = [] {
    absl::StatusOr<LoadedBackbone> loaded = LoadBuiltinBackbone(kUseLiteName, DefaultModelCache());
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.status() << " (the USE-Lite tests need scripts/setup.sh first)";
      return static_cast<LoadedBackbone*>(nullptr);
    }
    return new LoadedBackbone(*std::move(loaded));
  }();
  if (model == nullptr) throw std::runtime_error("USE-Lite model not available");
  return *model;
}

double Cosine(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::cosine_similarity(a, b, 0).item<double>();
}

TEST(UseLiteAnchor, HowOldMatchesWhatIsYourAge) {
  torch::NoGradGuard no_grad;
  const LoadedBackbone& m = Model();
  const torch::Tensor e =
      EncodeTexts(*m.backbone, *m.tokenizer, {"How old are you?", "What is your age?"});
  ASSERT_EQ(e.sizes(), (std::vector<int64_t>{2, 512}));
  EXPECT_NEAR(Cosine(e[0], e[1]), 0.8464, 5e-4);
  EXPECT_NEAR(e[0].norm().item<double>(), 1.0, 1e-5);
}

TEST(UseLiteInterface, ShapesOfTheBackboneContract) {
  torch::NoGradGuard no_grad;
  BackboneImpl& b = *Model().backbone;
  EXPECT_EQ(b.hidden_size(), 256);
  EXPECT_EQ(b.output_size(), 512);
  EXPECT_EQ(b.max_text_tokens(), 128);
  EXPECT_EQ(b.EmbeddingTable().sizes(), (std::vector<int64_t>{8002, 256}));
  const torch::Tensor ids = torch::tensor({{728, 446}, {31, 0}});
  const torch::Tensor embeds = b.EmbedTokens(ids);
  EXPECT_EQ(embeds.sizes(), (std::vector<int64_t>{2, 2, 256}));
  EXPECT_TRUE(torch::equal(embeds[0][1], b.EmbeddingTable()[446]));
}

TEST(UseLiteInterface, PaddingDoesNotChangeTheOutput) {
  torch::NoGradGuard no_grad;
  const LoadedBackbone& m = Model();
  const std::vector<int64_t> ids = m.tokenizer->Encode("Padding must be invisible.");
  const torch::Tensor alone = EncodeTokenIds(*m.backbone, {ids}, m.tokenizer->pad_id());
  // The same row next to a much longer one is padded with 30 masked positions.
  const torch::Tensor padded = EncodeTokenIds(
      *m.backbone, {ids, std::vector<int64_t>(ids.size() + 30, 9)}, m.tokenizer->pad_id());
  EXPECT_LT((alone[0] - padded[0]).abs().max().item<double>(), 1e-6);
  // An all-padding row (empty text) stays finite: tanh(bias), normalised.
  const torch::Tensor empty = EncodeTokenIds(*m.backbone, {{}, ids}, m.tokenizer->pad_id());
  EXPECT_TRUE(torch::isfinite(empty).all().item<bool>());
}

TEST(UseLiteInterface, PrependedPromptTrainsThroughTheFrozenEncoder) {
  const LoadedBackbone& m = Model();
  BackboneImpl& b = *m.backbone;
  const TokenBatch batch = PadTokenIds({m.tokenizer->Encode("a fine movie"), {11}}, 0, 128);
  torch::Tensor prompt = (0.1 * torch::randn({5, 256})).requires_grad_(true);
  const torch::Tensor embeds = b.EmbedTokens(batch.ids);
  const torch::Tensor prompted = torch::cat({prompt.unsqueeze(0).expand({2, 5, 256}), embeds}, 1);
  const torch::Tensor mask = torch::cat({torch::ones({2, 5}, torch::kLong), batch.mask}, 1);
  const torch::Tensor out = b.Forward(prompted, mask);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 512}));
  const torch::Tensor plain = b.Forward(embeds, batch.mask).detach();
  EXPECT_GT((out.detach() - plain).abs().max().item<double>(), 1e-3);
  out.sum().backward();
  ASSERT_TRUE(prompt.grad().defined());
  EXPECT_GT(prompt.grad().abs().sum().item<double>(), 0);
  for (const torch::Tensor& p : b.parameters()) EXPECT_FALSE(p.requires_grad());
}

TEST(UseLiteInterface, Bf16AutocastStaysCloseToFloat32) {
  torch::NoGradGuard no_grad;
  const LoadedBackbone& m = Model();
  const std::vector<std::string> texts = {"How old are you?", "The food was cold and bland."};
  const torch::Tensor fp32 = EncodeTexts(*m.backbone, *m.tokenizer, texts);
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  at::autocast::set_cpu_enabled(true);
  const torch::Tensor bf16 = EncodeTexts(*m.backbone, *m.tokenizer, texts);
  at::autocast::set_cpu_enabled(false);
  at::autocast::clear_cache();
  EXPECT_GT(torch::cosine_similarity(fp32, bf16.to(torch::kFloat), 1).min().item<double>(), 0.99);
}

TEST(UseLiteLoader, MissingDirectoryTellsHowToFixIt) {
  const absl::Status status = LoadUseLite("/nonexistent/use-lite").status();
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_THAT(status.message(), ::testing::HasSubstr("/nonexistent/use-lite/model.json"));
  EXPECT_THAT(status.message(), ::testing::HasSubstr("scripts/setup.sh"));
}

TEST(UseLiteLoader, MissingOrMisshapenTensorsAreNamed) {
  absl::StatusOr<std::vector<RawTensor>> tensors =
      LoadTfjsWeights(UseLiteDir(DefaultModelCache()) + "/model.json");
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  ASSERT_TRUE(UseLiteFromTensors(*tensors, "all").ok());
  std::vector<RawTensor> missing;
  std::vector<RawTensor> misshapen = *tensors;
  for (const RawTensor& t : *tensors) {
    if (t.name != "module/Embeddings_en") missing.push_back(t);
  }
  for (RawTensor& t : misshapen) {
    if (t.name == "module/Encoder_en/hidden_layers/tanh_layer_0/bias") t.bytes.resize(4 * 511);
    if (t.name == "module/Encoder_en/hidden_layers/tanh_layer_0/bias") t.shape = {511};
  }
  const absl::Status gone = UseLiteFromTensors(missing, "m.json").status();
  EXPECT_TRUE(absl::IsDataLoss(gone)) << gone;
  EXPECT_THAT(gone.message(), ::testing::HasSubstr("m.json: tensor module/Embeddings_en"));
  const absl::Status shape = UseLiteFromTensors(misshapen, "m.json").status();
  EXPECT_TRUE(absl::IsInvalidArgument(shape)) << shape;
  EXPECT_THAT(shape.message(), ::testing::HasSubstr("has shape [511], want [512]"));
}

}  // namespace
}  // namespace ptune::engine

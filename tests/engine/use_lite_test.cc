// USE-Lite on the real weights fetched by scripts/setup.sh: the DESIGN §4 anchor,
// interface behaviour the prompt methods rely on, and loader errors.

#include "worker/engine/backbones/use_lite.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "worker/engine/backbones/backbone_cache.h"
#include "worker/engine/backbones/backbone_registry.h"
#include "worker/engine/backbones/encode.h"

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

}  // namespace
}  // namespace ptune::engine

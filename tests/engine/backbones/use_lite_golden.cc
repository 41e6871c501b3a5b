#include "tests/engine/backbones/use_lite_golden.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <iostream>
#include <stdexcept>

#include "common/file_io.h"
#include "nlohmann/json.hpp"
#include "worker/engine/backbones/backbone.h"
#include "worker/engine/backbones/encode.h"

namespace ptune::engine {

std::vector<GoldenItem> ReadGolden(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    ADD_FAILURE() << "golden file " << text.status();
    return {};
  }
  const nlohmann::json golden = nlohmann::json::parse(*text);
  std::vector<GoldenItem> items;
  for (const nlohmann::json& item : golden.at("items")) {
    GoldenItem g;
    g.text = item.at("text").get<std::string>();
    g.ids = item.at("ids").get<std::vector<int64_t>>();
    if (item.contains("embedding")) g.embedding = item["embedding"].get<std::vector<float>>();
    items.push_back(std::move(g));
  }
  return items;
}

const LoadedBackbone& UseLiteModel() {
  static const LoadedBackbone* model = [] {
    absl::StatusOr<LoadedBackbone> loaded = LoadBuiltinBackbone(kUseLiteName, DefaultModelCache());
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.status();
      return static_cast<LoadedBackbone*>(nullptr);
    }
    return new LoadedBackbone(*std::move(loaded));
  }();
  if (model == nullptr) throw std::runtime_error("USE-Lite not available (run scripts/setup.sh)");
  return *model;
}

void ExpectSameIds(const std::vector<GoldenItem>& items) {
  ASSERT_FALSE(items.empty());
  int mismatches = 0;
  for (const GoldenItem& item : items) {
    const std::vector<int64_t> ids = UseLiteModel().tokenizer->Encode(item.text);
    if (ids != item.ids && ++mismatches <= 5) {
      ADD_FAILURE() << "token ids differ for \"" << item.text << "\"\n  got  " << torch::tensor(ids)
                    << "\n  want " << torch::tensor(item.ids);
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << items.size() << " texts";
}

void ExpectSameEmbeddings(const std::vector<GoldenItem>& items) {
  torch::NoGradGuard no_grad;
  std::vector<std::vector<int64_t>> ids;
  std::vector<const GoldenItem*> used;
  for (const GoldenItem& item : items) {
    if (item.embedding.empty()) continue;
    ids.push_back(item.ids);
    used.push_back(&item);
  }
  ASSERT_GE(used.size(), 10u);
  const torch::Tensor got =
      EncodeTokenIds(*UseLiteModel().backbone, ids, UseLiteModel().tokenizer->pad_id());
  double worst = 0;
  for (size_t i = 0; i < used.size(); ++i) {
    const torch::Tensor want = torch::tensor(used[i]->embedding);
    const double diff = (got[static_cast<int64_t>(i)] - want).abs().max().item<double>();
    EXPECT_LT(diff, kUseLiteTolerance)
        << "embedding of \"" << used[i]->text << "\" (" << used[i]->ids.size() << " tokens)";
    worst = std::max(worst, diff);
  }
  // The margin under the tolerance, for the log.
  ::testing::Test::RecordProperty("max_abs_diff", std::to_string(worst));
  std::cout << "max |C++ - reference| over " << used.size() << " embeddings: " << worst << "\n";
}

}  // namespace ptune::engine

#include "worker/engine/data/builtin_datasets.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "nlohmann/json.hpp"

namespace ptune::engine {
namespace {

constexpr char kUciSentiment[] = "uci-sentiment";
constexpr const char* kUciSentimentFiles[] = {"amazon", "imdb", "yelp"};

// One fixture file: a JSON array of {"text": ..., "class": 0|1}; the package ends each
// array with {"text": "", "class": null}, which is dropped.
absl::StatusOr<std::vector<Example>> ReadSentimentFixture(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat("built-in dataset uci-sentiment: ", text.status().message(),
                                     "; run scripts/setup.sh to fetch sentiment@5.0.2"));
  }
  nlohmann::json array = nlohmann::json::parse(*text, nullptr, false);
  if (array.is_discarded() || !array.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected a JSON array"));
  }
  std::vector<Example> examples;
  for (size_t i = 0; i < array.size(); ++i) {
    const nlohmann::json& item = array[i];
    const bool trailing_empty = i + 1 == array.size() && item.value("text", "").empty();
    if (trailing_empty) break;
    if (!item.contains("text") || !item["text"].is_string() || !item.contains("class") ||
        !item["class"].is_number_integer() || item["text"].get<std::string>().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": entry ", i, ": expected {\"text\": non-empty, \"class\": 0|1}"));
    }
    const int cls = item["class"].get<int>();
    if (cls != 0 && cls != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": entry ", i, ": field \"class\": expected 0 or 1, got ", cls));
    }
    examples.push_back(Example{item["text"].get<std::string>(), "", cls, 0.0});
  }
  return examples;
}

absl::StatusOr<DataSplits> LoadUciSentiment(const ptune::v1::DataSpec& spec) {
  const std::string dir = DataCacheDir() + "/sentiment/test/fixtures";
  std::vector<Example> all;
  for (const char* name : kUciSentimentFiles) {
    auto examples = ReadSentimentFixture(absl::StrCat(dir, "/", name, ".json"));
    if (!examples.ok()) return examples.status();
    all.insert(all.end(), examples->begin(), examples->end());
  }
  DataSplits splits;
  splits.labels = {"negative", "positive"};
  const size_t total = all.size();
  SplitExamples(std::move(all), spec.validation_fraction(), spec.test_fraction(), spec.split_seed(),
                &splits);
  splits.description = absl::StrCat("uci-sentiment (", total, " sentences): ", splits.train.size(),
                                    "/", splits.validation.size(), "/", splits.test.size(),
                                    " train/validation/test, split_seed ", spec.split_seed());
  return splits;
}

}  // namespace

std::string DataCacheDir() {
  if (const char* cache = std::getenv("PTUNE_CACHE"); cache != nullptr && *cache != '\0') {
    return absl::StrCat(cache, "/data");
  }
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : ".", "/.cache/ptune/data");
}

absl::StatusOr<DataSplits> LoadBuiltinDataset(const ptune::v1::DataSpec& spec) {
  if (spec.dataset() == kUciSentiment) return LoadUciSentiment(spec);
  return absl::NotFoundError(absl::StrCat("data.dataset: unknown built-in dataset \"",
                                          spec.dataset(), "\" (known: uci-sentiment)"));
}

}  // namespace ptune::engine

// LoadHfModel's error paths on model directories this test derives from the llama_gqa
// fixture (a tensor dropped, renamed, reshaped or retyped; a config the weights do not
// fit; broken shard indexes), and the compute-dtype conversion.

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/temp_dir.h"
#include "worker/engine/hf/load.h"
#include "worker/engine/hf/weights.h"

namespace ptune::engine::hf {
namespace {

using ::testing::HasSubstr;

const std::string kSource = std::string(PTUNE_HF_FIXTURES) + "/llama_gqa";

struct Stored {
  std::string dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

std::map<std::string, Stored> ReadAll(const std::string& dir) {
  absl::StatusOr<HfWeights> w = HfWeights::Open(dir);
  EXPECT_TRUE(w.ok()) << w.status();
  std::map<std::string, Stored> out;
  for (const std::string& name : w->Names()) {
    const torch::Tensor t = w->Raw(name).value();
    out[name] = {"F32", t.sizes().vec(),
                 std::string(static_cast<const char*>(t.data_ptr()), t.nbytes())};
  }
  return out;
}

void Write(const std::string& path, const std::map<std::string, Stored>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& [name, t] : tensors) {
    header[name] = {{"dtype", t.dtype},
                    {"shape", t.shape},
                    {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
    data += t.bytes;
  }
  const std::string text = header.dump();
  std::string prefix(8, '\0');
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((text.size() >> (8 * i)) & 0xFF);
  std::ofstream(path, std::ios::binary) << prefix << text << data;
}

class HfLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tensors_ = ReadAll(kSource);
    config_ = nlohmann::json::parse(std::ifstream(kSource + "/config.json"));
  }
  // Writes config_ and tensors_ (one file, or `shards` files with an index) and loads.
  absl::Status Load(int shards = 1) {
    std::ofstream(dir_.File("config.json")) << config_.dump();
    if (shards == 1) {
      Write(dir_.File("model.safetensors"), tensors_);
    } else {
      std::vector<std::map<std::string, Stored>> parts(shards);
      nlohmann::json index = {{"metadata", nlohmann::json::object()},
                              {"weight_map", nlohmann::json::object()}};
      int i = 0;
      for (const auto& [name, t] : tensors_) {
        const int shard = i++ % shards;
        parts[shard][name] = t;
        index["weight_map"][name] = ShardName(shard, shards);
      }
      for (int s = 0; s < shards; ++s) Write(dir_.File(ShardName(s, shards)), parts[s]);
      std::ofstream(dir_.File("model.safetensors.index.json"))
          << (index_override_.is_null() ? index : index_override_).dump();
    }
    return LoadHfModel(dir_.path()).status();
  }
  static std::string ShardName(int s, int n) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "model-%05d-of-%05d.safetensors", s + 1, n);
    return buf;
  }

  support::TempDir dir_{"hf-loader"};
  std::map<std::string, Stored> tensors_;
  nlohmann::json config_;
  nlohmann::json index_override_;
};

TEST_F(HfLoaderTest, LoadsTheRewrittenFixtureOneFileOrSharded) {
  EXPECT_TRUE(Load().ok()) << Load();
  std::filesystem::remove(dir_.File("model.safetensors"));
  EXPECT_TRUE(Load(3).ok()) << Load(3);
}

TEST_F(HfLoaderTest, MissingTensorNamesTheDirectoryAndTensor) {
  tensors_.erase("model.layers.1.mlp.up_proj.weight");
  const absl::Status s = Load();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(),
              HasSubstr(dir_.path() + ": missing tensor \"model.layers.1.mlp.up_proj.weight\""));
}

TEST_F(HfLoaderTest, UntiedModelWithoutHeadIsMissingLmHead) {
  tensors_.erase("lm_head.weight");
  EXPECT_THAT(Load().message(), HasSubstr("missing tensor \"lm_head.weight\""));
}

TEST_F(HfLoaderTest, ShapeMismatchNamesFileTensorAndShapes) {
  config_["intermediate_size"] = 40;
  const absl::Status s = Load();
  EXPECT_THAT(s.message(), HasSubstr(dir_.File("model.safetensors") +
                                     ": tensor \"model.layers.0.mlp.gate_proj.weight\" has shape "
                                     "[32, 32], the config implies [40, 32]"));
}

TEST_F(HfLoaderTest, UnsupportedWeightDtype) {
  Stored& t = tensors_["model.norm.weight"];
  t.dtype = "I32";
  const absl::Status s = Load();
  EXPECT_THAT(s.message(), HasSubstr("tensor \"model.norm.weight\" has dtype I32; weights must be "
                                     "F32, BF16 or F16"));
}

TEST_F(HfLoaderTest, UnknownArchitecture) {
  config_["architectures"] = {"LlamaForSequenceClassification"};
  const absl::Status s = Load();
  EXPECT_THAT(s.message(), HasSubstr(dir_.File("config.json") + ": unsupported model"));
  EXPECT_THAT(s.message(), HasSubstr("LlamaForSequenceClassification"));
}

TEST_F(HfLoaderTest, NoWeightsIsNotFound) {
  std::ofstream(dir_.File("config.json")) << config_.dump();
  EXPECT_EQ(LoadHfModel(dir_.path()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(LoadHfModel(dir_.File("absent")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(HfLoaderTest, BrokenIndexes) {
  index_override_ = {{"weight_map", {{"model.norm.weight", "../elsewhere.safetensors"}}}};
  EXPECT_THAT(Load(2).message(), HasSubstr("must be a file name in the directory"));
  // Load(2) deals tensors out in name order; name the shard that does not hold this one.
  const int position = std::distance(tensors_.begin(), tensors_.find("model.norm.weight"));
  index_override_ = {{"weight_map", {{"model.norm.weight", ShardName(1 - position % 2, 2)}}}};
  EXPECT_THAT(Load(2).message(), HasSubstr("places tensor \"model.norm.weight\" in"));
  index_override_ = {{"weight_map", {{"model.norm.weight", "model-00009-of-00009.safetensors"}}}};
  EXPECT_EQ(Load(2).code(), absl::StatusCode::kNotFound);
  index_override_ = {{"no_map", 1}};
  EXPECT_THAT(Load(2).message(), HasSubstr("with a weight_map"));
}

TEST_F(HfLoaderTest, ConvertsToTheComputeDtypeAndRejectsOthers) {
  ASSERT_TRUE(Load().ok());
  absl::StatusOr<std::shared_ptr<HfModel>> bf16 =
      LoadHfModel(dir_.path(), LoadOptions{torch::kBFloat16, torch::kCPU});
  ASSERT_TRUE(bf16.ok()) << bf16.status();
  EXPECT_EQ((*bf16)->EmbeddingTable().scalar_type(), torch::kBFloat16);
  torch::NoGradGuard no_grad;
  const torch::Tensor ids = torch::tensor({{1, 5, 9}});
  const torch::Tensor logits =
      (*bf16)->Forward({(*bf16)->EmbedTokens(ids), torch::ones({1, 3}), {}, {}});
  EXPECT_EQ(logits.scalar_type(), torch::kBFloat16);
  EXPECT_EQ(LoadHfModel(dir_.path(), LoadOptions{torch::kInt32, torch::kCPU}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ptune::engine::hf

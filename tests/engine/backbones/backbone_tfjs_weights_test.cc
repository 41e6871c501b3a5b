// The TF.js weights-manifest reader on small hand-written models: values land in the
// right tensors across shard boundaries, and broken files give errors naming the file.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "worker/engine/backbones/tfjs_weights.h"

namespace ptune::engine {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TfjsWeightsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ptune_tfjs_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  // A float32 [2,2] then an int32 [3]: 28 bytes, split over two shards mid-tensor.
  std::string TwoTensorModel(const std::string& dtype = "float32") {
    return R"({"modelTopology": {}, "weightsManifest": [{"paths": ["s1", "s2"], "weights": [
      {"name": "w", "shape": [2, 2], "dtype": ")" +
           dtype + R"("},
      {"name": "n", "shape": [3], "dtype": "int32"}]}]})";
  }
  std::string Data() {
    const float w[4] = {1.5f, -2.0f, 3.25f, 0.0f};
    const int32_t n[3] = {7, -8, 9};
    std::string bytes(28, '\0');
    std::memcpy(bytes.data(), w, 16);
    std::memcpy(bytes.data() + 16, n, 12);
    return bytes;
  }
  absl::StatusOr<std::vector<RawTensor>> Load() {
    return LoadTfjsWeights((dir_ / "model.json").string());
  }

  fs::path dir_;
};

TEST_F(TfjsWeightsTest, ReadsTensorsInManifestOrderAcrossShards) {
  Write("model.json", TwoTensorModel());
  const std::string data = Data();
  Write("s1", data.substr(0, 10));
  Write("s2", data.substr(10));
  absl::StatusOr<std::vector<RawTensor>> tensors = Load();
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  ASSERT_EQ(tensors->size(), 2u);
  EXPECT_EQ((*tensors)[0].name, "w");
  EXPECT_THAT((*tensors)[0].shape, ElementsAre(2, 2));
  float w[4];
  std::memcpy(w, (*tensors)[0].bytes.data(), 16);
  EXPECT_THAT(w, ElementsAre(1.5f, -2.0f, 3.25f, 0.0f));
  EXPECT_EQ((*tensors)[1].dtype, RawDType::kInt32);
  int32_t n[3];
  std::memcpy(n, (*tensors)[1].bytes.data(), 12);
  EXPECT_THAT(n, ElementsAre(7, -8, 9));
}

TEST_F(TfjsWeightsTest, TruncatedShardIsDataLossNamingTheWeight) {
  Write("model.json", TwoTensorModel());
  const std::string data = Data();
  Write("s1", data.substr(0, 10));
  Write("s2", data.substr(10, 14));  // 4 bytes short
  const absl::Status status = Load().status();
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("model.json"));
  EXPECT_THAT(status.message(), HasSubstr("weight 1 (n)"));
  EXPECT_THAT(status.message(), HasSubstr("truncated"));
}

TEST_F(TfjsWeightsTest, ExtraShardBytesAreDataLoss) {
  Write("model.json", TwoTensorModel());
  Write("s1", Data());
  Write("s2", "junk");
  const absl::Status status = Load().status();
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("do not match the manifest"));
}

TEST_F(TfjsWeightsTest, MissingShardIsNotFoundNamingIt) {
  Write("model.json", TwoTensorModel());
  Write("s1", Data());
  const absl::Status status = Load().status();
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr((dir_ / "s2").string()));
}

TEST_F(TfjsWeightsTest, UnsupportedDtypeIsUnimplemented) {
  Write("model.json", TwoTensorModel("float16"));
  Write("s1", Data());
  Write("s2", "");
  const absl::Status status = Load().status();
  EXPECT_TRUE(absl::IsUnimplemented(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("weights[0] (w): dtype \"float16\""));
}

TEST_F(TfjsWeightsTest, MalformedManifestsAreInvalidArgument) {
  Write("model.json", "{not json");
  EXPECT_TRUE(absl::IsInvalidArgument(Load().status()));
  Write("model.json", R"({"modelTopology": {}})");
  EXPECT_THAT(Load().status().message(), HasSubstr("weightsManifest: missing"));
  Write("model.json", R"({"weightsManifest": [{"paths": [], "weights": [
      {"name": "w", "shape": [-1], "dtype": "float32"}]}]})");
  EXPECT_THAT(Load().status().message(), HasSubstr("weights[0] (w): shape: -1 is not a size"));
  EXPECT_TRUE(absl::IsNotFound(LoadTfjsWeights((dir_ / "nope.json").string()).status()));
}

}  // namespace
}  // namespace ptune::engine

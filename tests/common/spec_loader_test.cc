#include "common/spec_loader.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace ptune {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kFullYaml[] = R"(# an EPT + TSLoss job
name: sentiment-ept
method: ept
model:
  source: use-lite
  temperature: 15
data:
  train_file: /data/train.jsonl
  labels: [negative, positive]
  verbalizers:
    negative: bad
    positive: great
  max_seq_len: 48
prompt:
  length: 50
  init: VOCAB
train:
  steps: 1e3
  batch_size: 16
  precision: bf16
  schedule: Cosine
tsloss:
  enabled: true
  lambda0: 0.25
  distance: DISTANCE_COSINE
resources:
  device: cuda
  worker_labels: {zone: eu}
seed: 18446744073709551615
)";

constexpr char kFullJson[] = R"({
	"name": "sentiment-ept", "method": "METHOD_EPT",
	"model": {"source": "use-lite", "temperature": 15},
	"data": {"trainFile": "/data/train.jsonl", "labels": ["negative", "positive"],
	         "verbalizers": {"negative": "bad", "positive": "great"}, "maxSeqLen": 48},
	"prompt": {"length": 50, "init": "vocab"},
	"train": {"steps": "1000", "batchSize": 16, "precision": "bf16", "schedule": 3},
	"tsloss": {"enabled": true, "lambda0": 0.25, "distance": "cosine"},
	"resources": {"device": "CUDA", "workerLabels": {"zone": "eu"}},
	"seed": "18446744073709551615"
})";

TEST(SpecLoader, ParsesYamlWithShortCaseInsensitiveEnums) {
  absl::StatusOr<v1::JobSpec> spec = ParseJobSpec(kFullYaml, "job.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->method(), v1::METHOD_EPT);
  EXPECT_EQ(spec->model().temperature(), 15.0f);
  EXPECT_EQ(spec->data().labels_size(), 2);
  EXPECT_EQ(spec->data().verbalizers().at("positive"), "great");
  EXPECT_EQ(spec->prompt().init(), v1::PROMPT_INIT_VOCAB);
  EXPECT_EQ(spec->train().steps(), 1000u);
  EXPECT_EQ(spec->train().precision(), v1::PRECISION_BF16);
  EXPECT_EQ(spec->train().schedule(), v1::LR_SCHEDULE_COSINE);
  EXPECT_TRUE(spec->tsloss().has_lambda0());
  EXPECT_FALSE(spec->tsloss().has_lambda1());
  EXPECT_EQ(spec->tsloss().distance(), v1::DISTANCE_COSINE);
  EXPECT_EQ(spec->resources().device(), v1::DEVICE_KIND_CUDA);
  EXPECT_EQ(spec->resources().worker_labels().at("zone"), "eu");
  EXPECT_EQ(spec->seed(), 18446744073709551615ull);
}

TEST(SpecLoader, JsonWithJsonNamesEqualsYaml) {
  absl::StatusOr<v1::JobSpec> yaml = ParseJobSpec(kFullYaml, "job.yaml");
  absl::StatusOr<v1::JobSpec> json = ParseJobSpec(kFullJson, "job.json");
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*yaml, *json))
      << yaml->DebugString() << "\nvs\n"
      << json->DebugString();
}

TEST(SpecLoader, EnumSpellings) {
  for (const char* text : {"ept", "EPT", "Ept", "method_ept", "METHOD_EPT", "3"}) {
    absl::StatusOr<v1::JobSpec> spec = ParseJobSpec(std::string("method: ") + text, "s");
    ASSERT_TRUE(spec.ok()) << text << ": " << spec.status();
    EXPECT_EQ(spec->method(), v1::METHOD_EPT) << text;
  }
}

TEST(SpecLoader, TslossReductionSpellings) {
  const std::pair<const char*, v1::TSLossReduction> cases[] = {
      {"per_point", v1::TSLOSS_REDUCTION_PER_POINT},
      {"PER_POINT", v1::TSLOSS_REDUCTION_PER_POINT},
      {"sum", v1::TSLOSS_REDUCTION_SUM},
      {"TSLOSS_REDUCTION_SUM", v1::TSLOSS_REDUCTION_SUM}};
  for (const auto& [text, expected] : cases) {
    absl::StatusOr<v1::JobSpec> spec =
        ParseJobSpec(std::string("tsloss: {reduction: ") + text + "}", "s");
    ASSERT_TRUE(spec.ok()) << text << ": " << spec.status();
    EXPECT_EQ(spec->tsloss().reduction(), expected) << text;
  }
  absl::StatusOr<v1::JobSpec> bad = ParseJobSpec("tsloss: {reduction: mean}", "s");
  EXPECT_FALSE(bad.ok());
}

TEST(SpecLoader, NullLeavesFieldUnsetAndNanIsRead) {
  absl::StatusOr<v1::JobSpec> spec =
      ParseJobSpec("tsloss:\n  lambda0:\n  lambda1: .nan\n  h0_target: -.inf\n", "s");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_FALSE(spec->tsloss().has_lambda0());
  EXPECT_TRUE(std::isnan(spec->tsloss().lambda1()));
  EXPECT_TRUE(std::isinf(spec->tsloss().h0_target()));
}

struct BadSpec {
  const char* name;
  const char* text;
  const char* message;  // the exact INVALID_ARGUMENT message
};

class SpecLoaderErrors : public ::testing::TestWithParam<BadSpec> {};

TEST_P(SpecLoaderErrors, NamesFileLineAndFieldPath) {
  absl::StatusOr<v1::JobSpec> spec = ParseJobSpec(GetParam().text, "job.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(spec.status().message()), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    All, SpecLoaderErrors,
    ::testing::Values(
        BadSpec{"UnknownTopLevel", "name: x\nmethd: ept\n",
                "job.yaml:2:1: methd: unknown field; did you mean \"method\"?"},
        BadSpec{"UnknownNested", "tsloss:\n  lamda0: 1\n",
                "job.yaml:2:3: tsloss.lamda0: unknown field; did you mean \"lambda0\"?"},
        BadSpec{"UnknownFarFromAll", "resources:\n  zzzzzzzz: 1\n",
                "job.yaml:2:3: resources.zzzzzzzz: unknown field; known fields: device, "
                "min_gpu_memory_bytes, worker_labels"},
        BadSpec{"WrongTypeNumber", "tsloss:\n  lambda0: high\n",
                "job.yaml:2:12: tsloss.lambda0: expected a number (got \"high\")"},
        BadSpec{"WrongTypeMessage", "tsloss: 3\n",
                "job.yaml:1:9: tsloss: expected a mapping of fields (got \"3\")"},
        BadSpec{"MapValueNotString", "data:\n  verbalizers:\n    positive: [a, b]\n",
                "job.yaml:3:15: data.verbalizers.positive: expected a string (got a list)"},
        BadSpec{"RepeatedNotList", "data:\n  labels: pos\n",
                "job.yaml:2:11: data.labels: expected a list (got \"pos\")"},
        BadSpec{"RepeatedElement", "data:\n  labels: [a, {b: c}]\n",
                "job.yaml:2:15: data.labels[1]: expected a string (got a mapping)"},
        BadSpec{"NegativeUnsigned", "train:\n  steps: -1\n",
                "job.yaml:2:10: train.steps: out of range for uint32 [0, 4294967295] "
                "(got \"-1\")"},
        BadSpec{"TooLargeUint32", "train:\n  steps: 5000000000\n",
                "job.yaml:2:10: train.steps: out of range for uint32 [0, 4294967295] "
                "(got \"5000000000\")"},
        BadSpec{"TooLargeUint64", "seed: 18446744073709551616\n",
                "job.yaml:1:7: seed: out of range for uint64 [0, 18446744073709551615] "
                "(got \"18446744073709551616\")"},
        BadSpec{"FractionalInteger", "train:\n  batch_size: 1.5\n",
                "job.yaml:2:15: train.batch_size: expected an integer (got \"1.5\")"},
        BadSpec{"FloatOverflow", "model:\n  temperature: 1e50\n",
                "job.yaml:2:16: model.temperature: out of range for a float (got \"1e50\")"},
        BadSpec{"BadBool", "tsloss:\n  enabled: yes\n",
                "job.yaml:2:12: tsloss.enabled: expected true or false (got \"yes\")"},
        BadSpec{"BadEnum", "method: lora\n",
                "job.yaml:1:9: method: unknown value; expected one of pt, dept, ept "
                "(got \"lora\")"},
        BadSpec{"BadEnumNumber", "train:\n  precision: 9\n",
                "job.yaml:2:14: train.precision: unknown value; expected one of fp32, bf16 "
                "(got \"9\")"},
        BadSpec{"DuplicateField", "seed: 1\nseed: 2\n", "job.yaml:2:1: seed: duplicate field"},
        BadSpec{"DuplicateMapKey", "data:\n  verbalizers: {a: x, a: y}\n",
                "job.yaml:2:23: data.verbalizers.a: duplicate key"},
        BadSpec{"TopLevelList", "- a\n- b\n",
                "job.yaml:1:1: (document): expected a mapping of fields (got a list)"},
        BadSpec{"Empty", "# nothing\n",
                "job.yaml: the document is empty; expected a mapping of fields"},
        BadSpec{"YamlSyntax", "name: x\ndata: {train_file: a\n",
                "job.yaml:3:1: not valid YAML or JSON: end of map flow not found"}),
    [](const ::testing::TestParamInfo<BadSpec>& info) { return info.param.name; });

class SpecFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("ptune_spec_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(SpecFile, LoadsAndNamesThePathInErrors) {
  absl::StatusOr<v1::JobSpec> ok = LoadJobSpecFile(Write("ok.yaml", kFullYaml));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->name(), "sentiment-ept");
  std::string bad = Write("bad.json", "{\"train\": {\"steps\": \"x\"}}");
  absl::StatusOr<v1::JobSpec> failed = LoadJobSpecFile(bad);
  EXPECT_EQ(failed.status().message(), bad + ":1:21: train.steps: expected an integer (got \"x\")");
}

TEST_F(SpecFile, MissingFileIsNotFoundAndDirectoryIsRejected) {
  absl::StatusOr<v1::JobSpec> missing = LoadJobSpecFile((dir_ / "nope.yaml").string());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("nope.yaml"));
  absl::StatusOr<v1::JobSpec> directory = LoadJobSpecFile(dir_.string());
  EXPECT_EQ(directory.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(directory.status().message()),
              StartsWith("job spec file " + dir_.string() + ": is a directory"));
}

}  // namespace
}  // namespace ptune

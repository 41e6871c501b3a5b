// ptune-train end to end as a user runs it: a short PT job on uci-sentiment writes the
// documented output directory, resumes, and the trained prompt is applied with
// `eval` and `predict`; bad specs fail with the field path. Needs scripts/setup.sh.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "nlohmann/json.hpp"

namespace {

using ::testing::HasSubstr;

struct Ran {
  int status = -1;
  std::string output;  // stdout + stderr
};

Ran RunCli(const std::string& args) {
  Ran ran;
  const std::string command = std::string("CI=true ") + PTUNE_TRAIN_BINARY + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return ran;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    ran.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  ran.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return ran;
}

class TrainCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("ptune_cli_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string WriteSpec(const std::string& name, const std::string& yaml) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << yaml;
    return path;
  }
  std::filesystem::path dir_;
};

constexpr char kTinySpec[] = R"(name: cli-test
data:
  dataset: uci-sentiment
  max_seq_len: 16
  max_train_examples: 64
method: pt
prompt:
  length: 4
train:
  steps: 6
  batch_size: 8
  eval_every: 3
  checkpoint_every: 3
resources:
  device: cpu
)";

TEST_F(TrainCliTest, TrainsWritesTheOutputLayoutResumesAndPredicts) {
  const std::string out = (dir_ / "out").string();
  const Ran train = RunCli("--spec " + WriteSpec("job.yaml", kTinySpec) + " --out " + out);
  ASSERT_EQ(train.status, 0) << train.output;
  EXPECT_THAT(train.output, HasSubstr("step 6/6"));
  EXPECT_THAT(train.output, HasSubstr("eval validation @6"));
  for (const char* file :
       {"checkpoints/step-00000003.ckpt", "checkpoints/step-00000006.ckpt",
        "checkpoints/latest.ckpt", "prompt.safetensors", "adapter/adapter_config.json",
        "adapter/adapter_model.safetensors", "metrics.json"}) {
    EXPECT_TRUE(std::filesystem::exists(out + "/" + file)) << file;
  }
  const auto final_metrics = nlohmann::json::parse(std::ifstream(out + "/metrics.json"));
  EXPECT_TRUE(final_metrics.contains("test_accuracy"));

  // Resuming a finished job trains no more steps and reports the same metrics.
  const Ran resumed =
      RunCli("--spec " + (dir_ / "job.yaml").string() + " --out " + out + " --resume " + out);
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("resumed at step 6"));

  const Ran eval = RunCli("eval --artifacts " + out + " --split test");
  ASSERT_EQ(eval.status, 0) << eval.output;
  const auto eval_json = nlohmann::json::parse(eval.output.substr(eval.output.find('{')));
  EXPECT_EQ(eval_json["examples"], 300);
  EXPECT_DOUBLE_EQ(eval_json["accuracy"].get<double>(),
                   final_metrics["test_accuracy"].get<double>());

  const Ran predict = RunCli("predict --artifacts " + out + " 'What a great phone' 'Awful.'");
  ASSERT_EQ(predict.status, 0) << predict.output;
  EXPECT_THAT(predict.output, HasSubstr("\"text\":\"What a great phone\""));
  EXPECT_THAT(predict.output, HasSubstr("\"probabilities\":{\"negative\":"));
}

TEST_F(TrainCliTest, BadSpecsFailWithTheFieldPath) {
  const Ran unknown = RunCli("--spec " + WriteSpec("u.yaml", "train:\n  stepz: 3\n"));
  EXPECT_EQ(unknown.status, 2) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("train.stepz"));
  const Ran range =
      RunCli("--spec " +
             WriteSpec("r.yaml", "data:\n  dataset: uci-sentiment\ntrain:\n  batch_size: 0\n"));
  EXPECT_EQ(range.status, 2) << range.output;
  EXPECT_THAT(range.output, HasSubstr("train.batch_size"));
  const Ran missing =
      RunCli("--spec " + WriteSpec("m.yaml", "data:\n  train_file: /nonexistent.csv\n"));
  EXPECT_NE(missing.status, 0);
  EXPECT_THAT(missing.output, HasSubstr("/nonexistent.csv"));
}

}  // namespace

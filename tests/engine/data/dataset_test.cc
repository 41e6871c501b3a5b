// Examples, labels, verbalizers and splits from files and the built-in uci-sentiment.
#include "worker/engine/data/dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/spec_defaults.h"
#include "worker/engine/data/builtin_datasets.h"

namespace ptune::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class DatasetFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("ptune_data_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  ptune::v1::DataSpec Spec(const std::string& train) {
    ptune::v1::JobSpec job;
    job.mutable_data()->set_train_file(train);
    ApplySpecDefaults(&job);
    return job.data();
  }
  std::filesystem::path dir_;
};

std::string ManyRows(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += "{\"text\": \"sentence " + std::to_string(i) + "\", \"label\": \"" +
            (i % 3 == 0 ? "b" : "a") + "\"}\n";
  }
  return text;
}

TEST_F(DatasetFilesTest, InfersSortedLabelsAndSplitsDeterministically) {
  ptune::v1::DataSpec spec = Spec(Write("t.jsonl", ManyRows(100)));
  auto splits = LoadDataSplits(spec);
  ASSERT_TRUE(splits.ok()) << splits.status();
  EXPECT_THAT(splits->labels, ElementsAre("a", "b"));
  EXPECT_THAT(splits->verbalizers, ElementsAre("a", "b"));
  EXPECT_EQ(splits->train.size(), 80u);
  EXPECT_EQ(splits->validation.size(), 10u);
  EXPECT_EQ(splits->test.size(), 10u);
  auto again = LoadDataSplits(spec);
  EXPECT_EQ(again->test[3].text, splits->test[3].text);
  spec.set_split_seed(5);
  auto other = LoadDataSplits(spec);
  std::vector<std::string> a, b;
  for (const auto& e : splits->test) a.push_back(e.text);
  for (const auto& e : other->test) b.push_back(e.text);
  EXPECT_NE(a, b);
}

TEST_F(DatasetFilesTest, SentencePairsRegressionAndSeparateFiles) {
  const std::string train = Write("t.tsv", "s1\ts2\tscore\na b\tc d\t0.5\ne f\tg h\t4\n");
  const std::string val = Write("v.tsv", "s1\ts2\tscore\ni\tj\t1.25\n");
  ptune::v1::DataSpec spec = Spec(train);
  spec.set_text_field("s1");
  spec.set_text_pair_field("s2");
  spec.set_label_field("score");
  spec.set_task(ptune::v1::TASK_TYPE_REGRESSION);
  spec.set_validation_file(val);
  spec.set_test_fraction(0);
  auto splits = LoadDataSplits(spec);
  ASSERT_TRUE(splits.ok()) << splits.status();
  EXPECT_TRUE(splits->regression);
  ASSERT_EQ(splits->train.size(), 2u);
  ASSERT_EQ(splits->validation.size(), 1u);
  EXPECT_EQ(splits->validation[0].text_pair, "j");
  EXPECT_DOUBLE_EQ(splits->validation[0].target, 1.25);
}

TEST_F(DatasetFilesTest, BadRowsNameFileLineAndField) {
  const auto error = [&](const std::string& name, const std::string& text,
                         const std::vector<std::string>& labels = {}) {
    ptune::v1::DataSpec spec = Spec(Write(name, text));
    for (const auto& l : labels) spec.add_labels(l);
    auto splits = LoadDataSplits(spec);
    return splits.ok() ? std::string("OK") : std::string(splits.status().message());
  };
  EXPECT_THAT(error("m.jsonl", "{\"text\": \"x\", \"label\": \"a\"}\n{\"label\": \"a\"}\n"),
              HasSubstr("m.jsonl:2: field \"text\": missing"));
  EXPECT_THAT(error("e.csv", "text,label\nok,a\n  ,b\n"),
              HasSubstr("e.csv:3: field \"text\": empty text"));
  EXPECT_THAT(error("u.csv", "text,label\nok,a\nfine,zzz\n", {"a", "b"}),
              HasSubstr("u.csv:3: field \"label\": unknown label \"zzz\""));
  EXPECT_THAT(error("r.csv", "text,label\nok,a\nfine\n"), HasSubstr("r.csv:3: expected 2 columns"));
}

TEST_F(DatasetFilesTest, VerbalizersOverrideAndUnknownKeysAreRejected) {
  ptune::v1::DataSpec spec = Spec(Write("t.jsonl", ManyRows(50)));
  (*spec.mutable_verbalizers())["b"] = "bravo";
  auto splits = LoadDataSplits(spec);
  ASSERT_TRUE(splits.ok()) << splits.status();
  EXPECT_THAT(splits->verbalizers, ElementsAre("a", "bravo"));
  (*spec.mutable_verbalizers())["c"] = "charlie";
  EXPECT_THAT(std::string(LoadDataSplits(spec).status().message()),
              HasSubstr("data.verbalizers: label \"c\""));
}

TEST(SeededPermutationTest, IsAPermutationFixedByTheSeed) {
  const auto p = SeededPermutation(50, 3);
  EXPECT_EQ(p, SeededPermutation(50, 3));
  EXPECT_NE(p, SeededPermutation(50, 4));
  std::vector<size_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) EXPECT_EQ(sorted[i], i);
}

// Needs the data cache (scripts/setup.sh); fails with the loader's message when missing.
TEST(UciSentimentTest, LoadsThreeThousandBalancedSentencesWithTheDocumentedSplit) {
  ptune::v1::JobSpec job;
  job.mutable_data()->set_dataset("uci-sentiment");
  ApplySpecDefaults(&job);
  auto splits = LoadDataSplits(job.data());
  ASSERT_TRUE(splits.ok()) << splits.status();
  EXPECT_EQ(splits->train.size(), 2400u);
  EXPECT_EQ(splits->validation.size(), 300u);
  EXPECT_EQ(splits->test.size(), 300u);
  EXPECT_THAT(splits->labels, ElementsAre("negative", "positive"));
  int positive = 0;
  for (const auto* split : {&splits->train, &splits->validation, &splits->test}) {
    for (const Example& e : *split) {
      positive += e.label;
      EXPECT_FALSE(e.text.empty());
    }
  }
  EXPECT_EQ(positive, 1500);
  job.mutable_data()->set_dataset("nope");
  EXPECT_EQ(LoadDataSplits(job.data()).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ptune::engine

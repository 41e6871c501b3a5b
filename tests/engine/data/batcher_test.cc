// Tokenization, padding, pair truncation and the deterministic training order.
#include "worker/engine/data/batcher.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/support/tiny_backbone.h"

namespace ptune::engine {
namespace {

std::vector<int64_t> Longs(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kLong).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

TEST(EncodeExamplesTest, PadsToMaxSeqLenAndMasksPadding) {
  testing::WordTokenizer tokenizer(100);
  const std::vector<Example> examples = {
      {"one two three", "", 1, 0}, {"four", "", 0, 0}, {"a b c d e f g h", "", 1, 0}};
  const EncodedSplit split = EncodeExamples(examples, tokenizer, 5);
  EXPECT_EQ(split.ids.sizes(), (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(Longs(split.mask.sum(1)), std::vector<int64_t>({3, 1, 5}));
  EXPECT_EQ(split.ids[1][1].item<int64_t>(), tokenizer.pad_id());
  EXPECT_EQ(Longs(split.labels), std::vector<int64_t>({1, 0, 1}));
}

TEST(EncodeExamplesTest, PairsTruncateTheLongerSideFirst) {
  testing::WordTokenizer tokenizer(100);
  const std::vector<Example> examples = {{"a b c d e f", "x y", 0, 0}};
  const EncodedSplit split = EncodeExamples(examples, tokenizer, 5);
  const std::vector<int64_t> a = tokenizer.Encode("a b c");
  const std::vector<int64_t> b = tokenizer.Encode("x y");
  std::vector<int64_t> want = a;
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(Longs(split.ids[0]), want);
}

TEST(BatchScheduleTest, CoversEveryExampleOncePerEpochAndDependsOnlyOnSeedAndStep) {
  BatchSchedule schedule(10, 4, 42);
  std::multiset<int64_t> first_epoch;
  std::vector<int64_t> stream;
  for (uint64_t step = 0; step < 5; ++step) {
    for (int64_t i : schedule.Indices(step)) stream.push_back(i);
  }
  first_epoch.insert(stream.begin(), stream.begin() + 10);
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(first_epoch.count(i), 1u);
  std::vector<int64_t> second_epoch(stream.begin() + 10, stream.begin() + 20);
  EXPECT_NE(second_epoch, std::vector<int64_t>(stream.begin(), stream.begin() + 10));
  BatchSchedule fresh(10, 4, 42);  // random access: a resumed job asks for step 3 first
  EXPECT_EQ(fresh.Indices(3), std::vector<int64_t>(stream.begin() + 12, stream.begin() + 16));
  BatchSchedule other_seed(10, 4, 43);
  EXPECT_NE(other_seed.Indices(0), std::vector<int64_t>(stream.begin(), stream.begin() + 4));
}

TEST(BatchScheduleTest, GatherBatchCountsRealTokens) {
  testing::WordTokenizer tokenizer(100);
  const std::vector<Example> examples = {{"a b", "", 0, 0}, {"c", "", 1, 0}, {"d e f", "", 1, 0}};
  const EncodedSplit split = EncodeExamples(examples, tokenizer, 4);
  const Batch batch = GatherBatch(split, {2, 0});
  EXPECT_EQ(batch.tokens, 5);
  EXPECT_EQ(Longs(batch.labels), std::vector<int64_t>({1, 0}));
}

}  // namespace
}  // namespace ptune::engine

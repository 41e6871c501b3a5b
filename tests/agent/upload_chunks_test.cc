#include "worker/agent/upload_chunks.h"

#include <gtest/gtest.h>

namespace ptune::agent {
namespace {

TEST(UploadChunks, SplitsIntoConsecutiveChunksWithLastOnTheFinalOne) {
  const auto chunks = CheckpointChunks("j", 2, 40, "abcdefgh", 3);
  ASSERT_EQ(chunks.size(), 3u);
  std::string joined;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const auto& c = chunks[i].checkpoint();
    EXPECT_EQ(c.job_id(), "j");
    EXPECT_EQ(c.attempt(), 2u);
    EXPECT_EQ(c.step(), 40u);
    EXPECT_EQ(c.offset(), joined.size());
    EXPECT_EQ(c.last(), i + 1 == chunks.size());
    joined += c.data();
  }
  EXPECT_EQ(joined, "abcdefgh");
}

TEST(UploadChunks, AnEmptyFileIsOneEmptyLastChunk) {
  const auto chunks = ArtifactChunks("j", 1, "empty.txt", "", 1024);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_TRUE(chunks[0].artifact().last());
  EXPECT_EQ(chunks[0].artifact().name(), "empty.txt");
  EXPECT_TRUE(chunks[0].artifact().data().empty());
}

}  // namespace
}  // namespace ptune::agent

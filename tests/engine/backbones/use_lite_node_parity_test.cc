// Parity with goldens that the CTest fixture backbone_use_lite_node_golden has just
// regenerated with node into the build tree (registered only when node is installed), so
// the test suite really runs the JavaScript reference, including on the 3,000 texts of
// the UCI sentiment data. See use_lite_parity_test.cc for the committed goldens.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/engine/backbones/use_lite_golden.h"

namespace ptune::engine {
namespace {

std::string NodeGolden(const std::string& name) {
  return std::string(PTUNE_USE_LITE_NODE_GOLDEN_DIR) + "/" + name;
}

TEST(UseLiteNodeParity, TokenIdsMatchOnTheSentimentData) {
  const std::vector<GoldenItem> items = ReadGolden(NodeGolden("use_lite_sentiment_ids.json"));
  EXPECT_GE(items.size(), 3000u);
  ExpectSameIds(items);
}

TEST(UseLiteNodeParity, EmbeddingsMatchFreshReferenceOutput) {
  const std::vector<GoldenItem> items = ReadGolden(NodeGolden("use_lite_golden.json"));
  ExpectSameIds(items);
  ExpectSameEmbeddings(items);
}

}  // namespace
}  // namespace ptune::engine

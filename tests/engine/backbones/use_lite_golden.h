#ifndef PTUNE_TESTS_ENGINE_BACKBONES_USE_LITE_GOLDEN_H_
#define PTUNE_TESTS_ENGINE_BACKBONES_USE_LITE_GOLDEN_H_

// Golden files of the JavaScript USE-Lite reference (scripts/golden/use_lite_golden.js)
// and the comparisons the parity tests make against them.

#include <cstdint>
#include <string>
#include <vector>

#include "worker/engine/backbones/backbone_registry.h"

namespace ptune::engine {

// Embeddings must match the reference within this, component-wise.
inline constexpr double kUseLiteTolerance = 1e-4;

struct GoldenItem {
  std::string text;
  std::vector<int64_t> ids;
  std::vector<float> embedding;  // empty when the golden has none
};

// The items of a golden file; a test failure (and no items) when it cannot be read.
std::vector<GoldenItem> ReadGolden(const std::string& path);

// The real USE-Lite from scripts/setup.sh's cache, loaded once; throws (failing the test)
// when it is missing.
const LoadedBackbone& UseLiteModel();

// Fails the test unless the C++ tokenizer gives every item's ids.
void ExpectSameIds(const std::vector<GoldenItem>& items);

// Encodes every item that has an embedding in one padded batch (so masking is exercised)
// from the golden ids, and fails the test on a component off by kUseLiteTolerance or more.
void ExpectSameEmbeddings(const std::vector<GoldenItem>& items);

}  // namespace ptune::engine

#endif  // PTUNE_TESTS_ENGINE_BACKBONES_USE_LITE_GOLDEN_H_

#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_SPLIT_BEHAVIOR_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_SPLIT_BEHAVIOR_H_

// What a splitting pre-tokenizer does with the delimiters it finds (HF's
// SplitDelimiterBehavior), applied to a text already cut into matched/unmatched spans.

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/engine/tokenizers/pattern.h"
#include "worker/engine/tokenizers/pre_tokenizer.h"

namespace ptune::engine::tokenizers {

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// "Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous".
absl::StatusOr<SplitBehavior> ParseSplitBehavior(std::string_view name, std::string_view path);

// The pieces `piece` falls into given its `spans` (which cover piece.text), by `behavior`.
void AppendSplits(const Piece& piece, const std::vector<Span>& spans, SplitBehavior behavior,
                  std::vector<Piece>* out);

}  // namespace ptune::engine::tokenizers

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_SPLIT_BEHAVIOR_H_

#include "worker/engine/tokenizers/split_behavior.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ptune::engine::tokenizers {

absl::StatusOr<SplitBehavior> ParseSplitBehavior(std::string_view name, std::string_view path) {
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  return FieldError(path, absl::StrCat("unknown split behavior \"", std::string(name),
                                       "\" (Removed, Isolated, MergedWithPrevious, "
                                       "MergedWithNext, Contiguous)"));
}

void AppendSplits(const Piece& piece, const std::vector<Span>& spans, SplitBehavior behavior,
                  std::vector<Piece>* out) {
  // The same folds as HF's NormalizedString::split.
  std::vector<Span> merged;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kIsolated:
      merged = spans;
      break;
    case SplitBehavior::kRemoved:
      for (const Span& span : spans) {
        if (!span.matched) merged.push_back(span);
      }
      break;
    case SplitBehavior::kMergedWithPrevious:
      for (const Span& span : spans) {
        if (span.matched && !previous_match && !merged.empty()) {
          merged.back().end = span.end;
        } else {
          merged.push_back(span);
        }
        previous_match = span.matched;
      }
      break;
    case SplitBehavior::kMergedWithNext:
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->matched && !previous_match && !merged.empty()) {
          merged.back().start = it->start;
        } else {
          merged.push_back(*it);
        }
        previous_match = it->matched;
      }
      std::reverse(merged.begin(), merged.end());
      break;
    case SplitBehavior::kContiguous:
      for (const Span& span : spans) {
        if (span.matched == previous_match && !merged.empty()) {
          merged.back().end = span.end;
        } else {
          merged.push_back(span);
        }
        previous_match = span.matched;
      }
      break;
  }
  for (const Span& span : merged) {
    if (span.end <= span.start) continue;
    out->push_back(
        {piece.text.substr(span.start, span.end - span.start), piece.at_origin && span.start == 0});
  }
}

}  // namespace ptune::engine::tokenizers

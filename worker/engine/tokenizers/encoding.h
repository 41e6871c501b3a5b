#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_ENCODING_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_ENCODING_H_

// An encoded text (or pair) with the per-token side channels models need, and the
// truncation and padding HF tokenizers apply to it.

#include <cstdint>
#include <optional>
#include <vector>

namespace ptune::engine {

struct Encoding {
  std::vector<int64_t> ids;
  std::vector<int32_t> type_ids;             // 0 for the first sequence, 1 for the second
  std::vector<uint8_t> special_tokens_mask;  // 1 for ids the post-processor added
  std::vector<uint8_t> attention_mask;       // 0 for padding

  size_t size() const { return ids.size(); }
  // Appends `other` (HF's Encoding::merge_with).
  void Append(const Encoding& other);
};

enum class Side { kRight, kLeft };

struct TruncationOptions {
  enum class Strategy { kLongestFirst, kOnlyFirst, kOnlySecond };
  // The most ids of an encoding, special tokens included (> the number the
  // post-processor adds; the tokenizer checks when the options are set).
  int64_t max_length = 512;
  Strategy strategy = Strategy::kLongestFirst;
  Side direction = Side::kRight;  // which end loses ids
};

struct PaddingOptions {
  // Pad to this length; unset: to the longest encoding of the batch.
  std::optional<int64_t> fixed_length;
  int64_t pad_to_multiple_of = 0;  // 0: no rounding up
  Side direction = Side::kRight;
  int64_t pad_id = 0;
  int32_t pad_type_id = 0;
};

// Drops ids from `direction`'s end so at most `max_length` remain.
void Truncate(Encoding* encoding, size_t max_length, Side direction);

// Truncates a single sequence or a pair (`second` may be null) to `max_length` ids in
// total, sharing the cut as HF's strategies do. Returns false when the strategy cannot
// reach the length (only_first/only_second and that sequence is too short).
bool TruncateSequences(Encoding* first, Encoding* second, size_t max_length,
                       const TruncationOptions& options);

// Pads `encoding` to `length` ids (never shortens), rounded up to pad_to_multiple_of.
void Pad(Encoding* encoding, size_t length, const PaddingOptions& options);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_ENCODING_H_

#include "worker/engine/tokenizers/encoding.h"

#include <algorithm>
#include <utility>

namespace ptune::engine {
namespace {

template <typename T>
void Cut(std::vector<T>* values, size_t keep, Side direction) {
  if (values->size() <= keep) return;
  if (direction == Side::kRight) {
    values->resize(keep);
  } else {
    values->erase(values->begin(), values->end() - static_cast<std::ptrdiff_t>(keep));
  }
}

template <typename T>
void Fill(std::vector<T>* values, size_t count, T value, Side direction) {
  values->insert(direction == Side::kRight ? values->end() : values->begin(), count, value);
}

}  // namespace

void Encoding::Append(const Encoding& other) {
  ids.insert(ids.end(), other.ids.begin(), other.ids.end());
  type_ids.insert(type_ids.end(), other.type_ids.begin(), other.type_ids.end());
  special_tokens_mask.insert(special_tokens_mask.end(), other.special_tokens_mask.begin(),
                             other.special_tokens_mask.end());
  attention_mask.insert(attention_mask.end(), other.attention_mask.begin(),
                        other.attention_mask.end());
}

void Truncate(Encoding* encoding, size_t max_length, Side direction) {
  Cut(&encoding->ids, max_length, direction);
  Cut(&encoding->type_ids, max_length, direction);
  Cut(&encoding->special_tokens_mask, max_length, direction);
  Cut(&encoding->attention_mask, max_length, direction);
}

bool TruncateSequences(Encoding* first, Encoding* second, size_t max_length,
                       const TruncationOptions& options) {
  const size_t total = first->size() + (second ? second->size() : 0);
  if (total <= max_length) return true;
  if (second == nullptr) {
    if (options.strategy == TruncationOptions::Strategy::kOnlySecond) return false;
    Truncate(first, max_length, options.direction);
    return true;
  }
  const size_t excess = total - max_length;
  switch (options.strategy) {
    case TruncationOptions::Strategy::kOnlyFirst:
      if (first->size() < excess) return false;
      Truncate(first, first->size() - excess, options.direction);
      return true;
    case TruncationOptions::Strategy::kOnlySecond:
      if (second->size() < excess) return false;
      Truncate(second, second->size() - excess, options.direction);
      return true;
    case TruncationOptions::Strategy::kLongestFirst: {
      // HF's three cases, with n1 the shorter sequence: untouched, only the longer one
      // cut to the rest, or both cut to half.
      size_t n1 = first->size(), n2 = second->size();
      const bool swap = n1 > n2;
      if (swap) std::swap(n1, n2);
      n2 = n1 > max_length ? n1 : std::max(n1, max_length - n1);
      if (n1 + n2 > max_length) {
        n1 = max_length / 2;
        n2 = n1 + max_length % 2;
      }
      if (swap) std::swap(n1, n2);
      Truncate(first, n1, options.direction);
      Truncate(second, n2, options.direction);
      return true;
    }
  }
  return false;
}

void Pad(Encoding* encoding, size_t length, const PaddingOptions& options) {
  if (options.pad_to_multiple_of > 0) {
    const auto multiple = static_cast<size_t>(options.pad_to_multiple_of);
    length = (length + multiple - 1) / multiple * multiple;
  }
  if (encoding->size() >= length) return;
  const size_t count = length - encoding->size();
  Fill(&encoding->ids, count, options.pad_id, options.direction);
  Fill(&encoding->type_ids, count, options.pad_type_id, options.direction);
  Fill<uint8_t>(&encoding->special_tokens_mask, count, 1, options.direction);
  Fill<uint8_t>(&encoding->attention_mask, count, 0, options.direction);
}

}  // namespace ptune::engine

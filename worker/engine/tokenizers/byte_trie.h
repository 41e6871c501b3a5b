#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_BYTE_TRIE_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_BYTE_TRIE_H_

// A trie over the bytes of UTF-8 keys, for prefix searches: Unigram's lattice and the
// added-token matcher both ask "which keys start here?".

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace ptune::engine::tokenizers {

class ByteTrie {
 public:
  ByteTrie() { values_.push_back(-1); }

  // Maps `key` to `value` (>= 0); a later insert of the same key replaces the value.
  void Insert(std::string_view key, int32_t value);

  // Calls `found(length, value)` for every key that is a prefix of `text.substr(start)`,
  // shortest first.
  template <typename Found>
  void ForEachPrefix(std::string_view text, size_t start, Found&& found) const {
    int32_t node = 0;
    for (size_t at = start; at < text.size(); ++at) {
      const auto it = children_.find(Edge(node, static_cast<uint8_t>(text[at])));
      if (it == children_.end()) return;
      node = it->second;
      if (values_[node] >= 0) found(at + 1 - start, values_[node]);
    }
  }

 private:
  static uint64_t Edge(int32_t node, uint8_t byte) {
    return (static_cast<uint64_t>(node) << 8) | byte;
  }
  std::vector<int32_t> values_;  // per node; -1 where no key ends; node 0 is the root
  absl::flat_hash_map<uint64_t, int32_t> children_;
};

}  // namespace ptune::engine::tokenizers

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_BYTE_TRIE_H_

#include "worker/engine/tokenizers/byte_trie.h"

namespace ptune::engine::tokenizers {

void ByteTrie::Insert(std::string_view key, int32_t value) {
  int32_t node = 0;
  for (const char c : key) {
    const auto [it, inserted] = children_.try_emplace(Edge(node, static_cast<uint8_t>(c)),
                                                      static_cast<int32_t>(values_.size()));
    if (inserted) values_.push_back(-1);
    node = it->second;
  }
  values_[node] = value;
}

}  // namespace ptune::engine::tokenizers

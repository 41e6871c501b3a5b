#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_PRECOMPILED_CHARSMAP_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_PRECOMPILED_CHARSMAP_H_

// SentencePiece's precompiled normalisation rules (T5's "Precompiled" normalizer): a
// darts-clone double-array trie from UTF-8 keys to offsets into a blob of NUL-terminated
// replacements. Applied as HF does (spm_precompiled): per grapheme cluster under 6 bytes
// the first trie match replaces the whole cluster, otherwise each code point is looked up
// on its own and kept when it has no entry.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ptune::engine::tokenizers {

class PrecompiledCharsmap {
 public:
  // Parses the decoded charsmap bytes: a little-endian u32 trie size in bytes, the trie
  // units, then the replacement blob. INVALID_ARGUMENT when sizes or offsets are out of
  // range (the file is hostile or truncated).
  static absl::StatusOr<std::unique_ptr<PrecompiledCharsmap>> Parse(std::string_view bytes);

  std::string Normalize(std::string_view text) const;

 private:
  PrecompiledCharsmap() = default;
  // The replacement for the first trie key that is a prefix of `chunk`, if any.
  std::optional<std::string_view> Transform(std::string_view chunk) const;

  std::vector<uint32_t> units_;
  std::string replacements_;
};

}  // namespace ptune::engine::tokenizers

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_PRECOMPILED_CHARSMAP_H_

#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_ADDED_VOCABULARY_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_ADDED_VOCABULARY_H_

// tokenizer.json's "added_tokens": strings matched in the text before the model sees it
// (leftmost-longest, as HF's Aho-Corasick), each becoming its own id. Tokens with
// "normalized": false match the raw input; the others match the normalised text (their
// content normalised the same way). single_word, lstrip and rstrip are honoured; the
// "special" flag lets decoding skip them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "worker/engine/tokenizers/byte_trie.h"
#include "worker/engine/tokenizers/json_fields.h"
#include "worker/engine/tokenizers/normalizer.h"

namespace ptune::engine::tokenizers {

struct AddedToken {
  int64_t id = 0;
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

// A stretch of text, or an added token's id found there.
struct Segment {
  std::string text;
  std::optional<int64_t> id;
  bool at_origin = false;  // starts at offset 0 of the original input
};

class AddedVocabulary {
 public:
  // Reads the "added_tokens" array (absent or null: none). `normalizer` (may be null)
  // normalises the content of normalized tokens. INVALID_ARGUMENT naming the entry for a
  // malformed one, an empty content or an id out of range.
  static absl::StatusOr<AddedVocabulary> FromJson(const Json* added_tokens, std::string_view path,
                                                  const Normalizer* normalizer);

  // Splits `segments` (the unmatched ones) around the tokens matched on raw text
  // (`normalized` false) or on normalised text (`normalized` true).
  void Split(bool normalized, std::vector<Segment>* segments) const;

  const AddedToken* ById(int64_t id) const;
  std::optional<int64_t> IdOf(std::string_view content) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  struct Matcher {
    ByteTrie trie;  // pattern -> index into tokens_
    bool empty = true;
  };
  void SplitOne(const Matcher& matcher, const Segment& segment, std::vector<Segment>* out) const;

  std::vector<AddedToken> tokens_;
  absl::flat_hash_map<int64_t, size_t> by_id_;
  absl::flat_hash_map<std::string, int64_t> by_content_;
  Matcher raw_, normalized_;
};

}  // namespace ptune::engine::tokenizers

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_ADDED_VOCABULARY_H_

#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_PRE_TOKENIZER_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_PRE_TOKENIZER_H_

// tokenizer.json's "pre_tokenizer": splits normalised text into the pieces the model
// tokenizes one by one (and may rewrite them, as ByteLevel and Metaspace do). Supported
// types: Sequence, Split, ByteLevel, Metaspace, WhitespaceSplit, Whitespace, Digits,
// Punctuation.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/engine/tokenizers/json_fields.h"

namespace ptune::engine::tokenizers {

struct Piece {
  std::string text;  // valid UTF-8, never empty
  // The piece starts at offset 0 of the original input (Metaspace's prepend_scheme
  // "first" prepends only there).
  bool at_origin = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces `pieces` by their splits; empty results are dropped. Thread-safe.
  virtual void Split(std::vector<Piece>* pieces) const = 0;
};

// The pre-tokenizer described by `json` at field `path`; INVALID_ARGUMENT naming the
// field for an unknown type, behaviour or malformed member.
absl::StatusOr<std::unique_ptr<PreTokenizer>> ParsePreTokenizer(const Json& json,
                                                                std::string_view path);

}  // namespace ptune::engine::tokenizers

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_PRE_TOKENIZER_H_

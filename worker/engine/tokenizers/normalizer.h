#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_NORMALIZER_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_NORMALIZER_H_

// tokenizer.json's "normalizer": text rewriting applied to each stretch of input between
// added tokens, before pre-tokenization. Supported types: Sequence, Prepend, Replace,
// NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Precompiled.

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "worker/engine/tokenizers/json_fields.h"

namespace ptune::engine::tokenizers {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // `text` is valid UTF-8 and so is the result. Thread-safe.
  virtual std::string Normalize(std::string_view text) const = 0;
};

// The normalizer described by `json` (an object with a "type"), at field `path`.
// INVALID_ARGUMENT naming the field for an unknown type or a malformed member.
absl::StatusOr<std::unique_ptr<Normalizer>> ParseNormalizer(const Json& json,
                                                            std::string_view path);

}  // namespace ptune::engine::tokenizers

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_NORMALIZER_H_

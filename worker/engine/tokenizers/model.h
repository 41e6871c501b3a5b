#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_MODEL_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_MODEL_H_

// tokenizer.json's "model": turns one pre-tokenized piece into vocabulary ids. BPE
// (bpe_model.h) and Unigram (unigram_model.h) are supported.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "worker/engine/tokenizers/json_fields.h"

namespace ptune::engine::tokenizers {

// Ids above this are refused when loading: a hostile file must not make us allocate
// terabytes for an id table (real vocabularies are < 300k).
inline constexpr int64_t kMaxTokenId = (int64_t{1} << 24) - 1;

class Model {
 public:
  virtual ~Model() = default;
  // Appends the ids of `piece` (valid UTF-8). Thread-safe.
  virtual void Tokenize(std::string_view piece, std::vector<int64_t>* ids) const = 0;
  virtual std::optional<int64_t> TokenToId(std::string_view token) const = 0;
  // The token of `id`, or nullptr when no token has that id.
  virtual const std::string* IdToToken(int64_t id) const = 0;
  // One more than the largest id.
  virtual int64_t id_limit() const = 0;
  virtual std::optional<int64_t> unk_id() const = 0;
};

// The model described by `json` at field `path` (its "type", or for older files its
// shape: "merges" means BPE, an array "vocab" Unigram). INVALID_ARGUMENT naming the field
// for an unknown type, a bad merge, a missing vocabulary entry or an id out of range.
absl::StatusOr<std::unique_ptr<Model>> ParseModel(const Json& json, std::string_view path);

// The byte-fallback token of `byte`: "<0x0A>".
std::string ByteFallbackToken(unsigned char byte);

// The ids of `text`'s bytes as <0xNN> tokens of `vocab`, or nullopt when one is missing
// (byte_fallback of BPE and Unigram).
std::optional<std::vector<int64_t>> ByteFallbackIds(
    const absl::flat_hash_map<std::string, int32_t>& vocab, std::string_view text);

}  // namespace ptune::engine::tokenizers

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_MODEL_H_

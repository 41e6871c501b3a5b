#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_DECODER_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_DECODER_H_

// tokenizer.json's "decoder": turns the tokens of ids back into text. Each decoder maps
// a list of token strings to another (HF's decode_chain); the tokenizer joins the final
// list. Supported types: Sequence, Replace, ByteFallback, Fuse, Strip, Metaspace,
// ByteLevel, BPEDecoder.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/engine/tokenizers/json_fields.h"

namespace ptune::engine::tokenizers {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Thread-safe; the strings are valid UTF-8 in and out.
  virtual std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const = 0;
};

// The decoder described by `json` at field `path`; INVALID_ARGUMENT naming the field for
// an unknown type or a malformed member.
absl::StatusOr<std::unique_ptr<Decoder>> ParseDecoder(const Json& json, std::string_view path);

}  // namespace ptune::engine::tokenizers

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_DECODER_H_

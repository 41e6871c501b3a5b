#ifndef PTUNE_WORKER_ENGINE_BACKBONES_TOKENIZER_H_
#define PTUNE_WORKER_ENGINE_BACKBONES_TOKENIZER_H_

// The interface of a backbone's tokenizer: text in, token ids out. Torch-free, so data
// loading and tools can tokenize without LibTorch.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ptune::engine {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Token ids of `text` (UTF-8; invalid bytes are read as U+FFFD), without padding,
  // without truncation (callers truncate to the backbone's limit) and without the special
  // tokens a post-processor would add (BOS/EOS): the engine's sequence builders add
  // bos_id()/eos_id() where the model expects them. Never fails: characters the
  // vocabulary cannot spell become unk_id().
  virtual std::vector<int64_t> Encode(std::string_view text) const = 0;

  // The pieces of `ids` joined back into text, for logs and artifacts. Not an exact
  // inverse of Encode (normalisation and unknown characters are lost). Ids outside the
  // vocabulary are rendered as "<id:N>".
  virtual std::string Decode(const std::vector<int64_t>& ids) const = 0;

  // Rows of the backbone's embedding table addressable by Encode (ids are < this).
  virtual int64_t vocab_size() const = 0;
  // The id that stands for characters the vocabulary cannot spell.
  virtual int64_t unk_id() const = 0;
  // The id to fill padded positions with. Padded positions must also be masked out:
  // for some tokenizers pad_id() == unk_id(), so the mask is never derived from ids.
  virtual int64_t pad_id() const = 0;
  // The ids language-model sequences start and end with; -1 when the tokenizer has none
  // (USE-Lite's encoder needs neither; T5 has no BOS).
  virtual int64_t bos_id() const { return -1; }
  virtual int64_t eos_id() const { return -1; }
};

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_BACKBONES_TOKENIZER_H_

#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_POST_PROCESSOR_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_POST_PROCESSOR_H_

// tokenizer.json's "post_processor": adds the special tokens (BOS/EOS, separators) around
// one encoded sequence or a pair and sets the type ids. Supported types:
// TemplateProcessing, ByteLevel (changes only offsets, so nothing here), Sequence.

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/engine/tokenizers/encoding.h"
#include "worker/engine/tokenizers/json_fields.h"

namespace ptune::engine::tokenizers {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // How many ids Process adds with special tokens on, for one sequence or a pair.
  virtual size_t AddedTokens(bool pair) const = 0;
  // The sequences (one or two, type ids already 0 and 1) after processing; they are
  // concatenated afterwards. Without `add_special_tokens` only type ids may change.
  virtual std::vector<Encoding> Process(std::vector<Encoding> sequences,
                                        bool add_special_tokens) const = 0;
  // The leading and trailing special ids of the single-sequence template, if any.
  virtual std::vector<int64_t> SingleLeadingIds() const { return {}; }
  virtual std::vector<int64_t> SingleTrailingIds() const { return {}; }
};

// The post-processor described by `json` at field `path`; INVALID_ARGUMENT naming the
// field for an unknown type, a template naming an undefined special token, or bad ids.
absl::StatusOr<std::unique_ptr<PostProcessor>> ParsePostProcessor(const Json& json,
                                                                  std::string_view path);

}  // namespace ptune::engine::tokenizers

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_POST_PROCESSOR_H_

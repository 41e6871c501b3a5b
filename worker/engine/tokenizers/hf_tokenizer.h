#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_HF_TOKENIZER_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_HF_TOKENIZER_H_

// A Hugging Face tokenizer.json tokenizer (T5's Unigram, Llama 2's SentencePiece BPE with
// byte fallback, Llama 3 / Qwen2 / Qwen3 byte-level BPE), id for id with HF tokenizers.
// The pipeline, as HF runs it: input made valid UTF-8 (invalid bytes -> U+FFFD), added
// tokens matched on the raw text, the normalizer, added tokens matched on the normalised
// text, the pre-tokenizer, the model per piece, truncation, the post-processor (special
// tokens), padding. Torch-free. Immutable after loading except for the set_* calls,
// which must happen before the tokenizer is shared; all const calls are thread-safe.
// docs/tokenizers.md lists the supported component types.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/engine/backbones/tokenizer.h"
#include "worker/engine/tokenizers/added_vocabulary.h"
#include "worker/engine/tokenizers/decoder.h"
#include "worker/engine/tokenizers/encoding.h"
#include "worker/engine/tokenizers/model.h"
#include "worker/engine/tokenizers/normalizer.h"
#include "worker/engine/tokenizers/post_processor.h"
#include "worker/engine/tokenizers/pre_tokenizer.h"

namespace ptune::engine {

class HfTokenizer final : public Tokenizer {
 public:
  // Ids tokenizer.json does not state reliably (they live in config.json /
  // generation_config.json): when set they win over what the file suggests.
  struct Options {
    std::optional<int64_t> bos_id;
    std::optional<int64_t> eos_id;
    std::optional<int64_t> pad_id;
  };

  // Reads `path`. NOT_FOUND when missing; INVALID_ARGUMENT prefixed with the path and
  // naming the JSON field for anything unsupported or malformed (unknown component types,
  // bad merges, tokens missing from the vocab, ids out of range). Never crashes on a
  // hostile file.
  static absl::StatusOr<std::unique_ptr<HfTokenizer>> Load(const std::string& path,
                                                           const Options& options);
  static absl::StatusOr<std::unique_ptr<HfTokenizer>> Load(const std::string& path) {
    return Load(path, Options());
  }
  // The same from the JSON text; `source_name` prefixes errors.
  static absl::StatusOr<std::unique_ptr<HfTokenizer>> FromJson(std::string_view json_text,
                                                               const std::string& source_name,
                                                               const Options& options);

  // Tokenizer: HF's encode(text, add_special_tokens=false).ids, with no truncation or
  // padding (the engine adds bos_id()/eos_id() itself); Decode keeps special tokens
  // (decode(ids, skip_special_tokens=false)).
  std::vector<int64_t> Encode(std::string_view text) const override;
  std::string Decode(const std::vector<int64_t>& ids) const override;
  // One more than the largest id of the model or the added tokens. A model's embedding
  // table may have more rows (Qwen pads it); those ids are never produced.
  int64_t vocab_size() const override { return vocab_size_; }
  // The model's unk id, or -1 when it has none (byte-level BPE spells every byte).
  int64_t unk_id() const override;
  // Options::pad_id, else the file's padding.pad_id, else a "<pad>"/"[PAD]"/"<|pad|>"/
  // "<|endoftext|>" token, else eos, else unk, else 0. Mask padded positions.
  int64_t pad_id() const override { return pad_id_; }

  // Options::bos_id, else the special token the single template puts before the text,
  // else a "<s>"/"<bos>"/"<|begin_of_text|>" token. -1 when none.
  int64_t bos_id() const override { return bos_id_.value_or(-1); }
  // Options::eos_id, else the special token the single template puts after the text,
  // else a "</s>"/"<eos>"/"<|end_of_text|>"/"<|endoftext|>" token. -1 when none.
  int64_t eos_id() const override { return eos_id_.value_or(-1); }

  // Ids only, with or without the post-processor's special tokens; no truncation/padding.
  std::vector<int64_t> EncodeIds(std::string_view text, bool add_special_tokens) const;
  // The full encoding of one text or a pair (`second` may be null), with the
  // truncation and fixed-length padding currently set.
  Encoding EncodeFull(std::string_view text, const std::string_view* second,
                      bool add_special_tokens) const;
  // Every text encoded, then padded as set (to the longest of the batch unless a fixed
  // length is set).
  std::vector<Encoding> EncodeBatch(const std::vector<std::string>& texts,
                                    bool add_special_tokens) const;
  // HF's decode. Unknown ids are rendered "<id:N>" (HF drops them silently).
  std::string Decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const;

  std::optional<int64_t> TokenToId(std::string_view token) const;
  // The token string of `id` (added tokens first), or nullopt.
  std::optional<std::string> IdToToken(int64_t id) const;
  bool IsSpecial(int64_t id) const;

  // Truncation and padding start as tokenizer.json's "truncation"/"padding".
  // INVALID_ARGUMENT when max_length leaves no room past the special tokens.
  absl::Status SetTruncation(std::optional<TruncationOptions> truncation);
  absl::Status SetPadding(std::optional<PaddingOptions> padding);
  const std::optional<TruncationOptions>& truncation() const { return truncation_; }
  const std::optional<PaddingOptions>& padding() const { return padding_; }

 private:
  HfTokenizer() = default;
  absl::Status ParseComponents(const tokenizers::Json& root, const Options& options);
  void ChooseSpecialIds(const Options& options);
  // The model ids of `text`, before post-processing.
  std::vector<int64_t> EncodeSequence(std::string_view text) const;
  Encoding Process(std::vector<int64_t> first, const std::vector<int64_t>* second,
                   bool add_special_tokens, bool truncate) const;

  std::unique_ptr<tokenizers::Normalizer> normalizer_;       // may be null
  std::unique_ptr<tokenizers::PreTokenizer> pre_tokenizer_;  // may be null
  std::unique_ptr<tokenizers::Model> model_;
  std::unique_ptr<tokenizers::PostProcessor> post_processor_;  // may be null
  std::unique_ptr<tokenizers::Decoder> decoder_;               // may be null
  tokenizers::AddedVocabulary added_;
  std::optional<TruncationOptions> truncation_;
  std::optional<PaddingOptions> padding_;
  int64_t vocab_size_ = 0;
  int64_t pad_id_ = 0;
  std::optional<int64_t> bos_id_, eos_id_;
};

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_HF_TOKENIZER_H_

#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_UNIGRAM_MODEL_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_UNIGRAM_MODEL_H_

// The Unigram (SentencePiece) model as HF tokenizers runs it (T5): Viterbi over the byte
// lattice of every vocabulary piece with its log-probability score; a character no piece
// starts with costs min_score - 10 and becomes unk (consecutive unknowns fuse into one);
// under byte_fallback an unknown run is spelled with <0xNN> tokens instead. This differs
// from backbones/unigram_tokenizer.h on purpose: that one reproduces USE-Lite's
// JavaScript tokenizer, quirks included.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "worker/engine/tokenizers/byte_trie.h"
#include "worker/engine/tokenizers/model.h"

namespace ptune::engine::tokenizers {

class UnigramModel final : public Model {
 public:
  // `json` is the "model" object: "vocab" [[piece, score], ...], "unk_id", "byte_fallback".
  static absl::StatusOr<std::unique_ptr<UnigramModel>> FromJson(const Json& json,
                                                                std::string_view path);

  void Tokenize(std::string_view piece, std::vector<int64_t>* ids) const override;
  std::optional<int64_t> TokenToId(std::string_view token) const override;
  const std::string* IdToToken(int64_t id) const override;
  int64_t id_limit() const override { return static_cast<int64_t>(pieces_.size()); }
  std::optional<int64_t> unk_id() const override { return unk_id_; }

 private:
  UnigramModel() = default;
  // The best segmentation of `piece` as strings (unknown runs fused).
  std::vector<std::string_view> Segment(std::string_view piece) const;

  std::vector<std::string> pieces_;
  std::vector<double> scores_;
  absl::flat_hash_map<std::string, int32_t> ids_;
  ByteTrie trie_;
  std::optional<int64_t> unk_id_;
  double unk_score_ = 0;
  bool byte_fallback_ = false;
};

}  // namespace ptune::engine::tokenizers

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_UNIGRAM_MODEL_H_

#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_BPE_MODEL_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_BPE_MODEL_H_

// Byte-pair encoding as HF tokenizers' BPE model: a piece starts as characters (with
// continuing_subword_prefix / end_of_word_suffix), unknown characters become <0xNN> byte
// tokens under byte_fallback or the unk token (fused when fuse_unk), then the pair with
// the lowest merge rank (leftmost on ties) is merged until none applies. With
// ignore_merges a piece that is itself a vocabulary token is emitted whole (Llama 3).
// Dropout is refused: encoding here must be deterministic.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "worker/engine/tokenizers/model.h"

namespace ptune::engine::tokenizers {

class BpeModel final : public Model {
 public:
  // `json` is the "model" object; errors name fields under `path`.
  static absl::StatusOr<std::unique_ptr<BpeModel>> FromJson(const Json& json,
                                                            std::string_view path);

  void Tokenize(std::string_view piece, std::vector<int64_t>* ids) const override;
  std::optional<int64_t> TokenToId(std::string_view token) const override;
  const std::string* IdToToken(int64_t id) const override;
  int64_t id_limit() const override { return static_cast<int64_t>(tokens_.size()); }
  std::optional<int64_t> unk_id() const override { return unk_id_; }

 private:
  struct Merge {
    int32_t rank;
    int32_t merged_id;
  };
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
    size_t bytes;  // 0 once merged into its left neighbour
  };
  BpeModel() = default;
  static uint64_t PairKey(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(left) << 32) | static_cast<uint32_t>(right);
  }
  std::vector<Symbol> InitialSymbols(std::string_view piece) const;
  void MergeAll(std::vector<Symbol>* symbols) const;

  absl::flat_hash_map<std::string, int32_t> vocab_;
  std::vector<std::string> tokens_;  // by id; "" for unused ids
  absl::flat_hash_map<uint64_t, Merge> merges_;
  std::optional<int64_t> unk_id_;
  std::string continuing_subword_prefix_;
  std::string end_of_word_suffix_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
};

}  // namespace ptune::engine::tokenizers

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_BPE_MODEL_H_

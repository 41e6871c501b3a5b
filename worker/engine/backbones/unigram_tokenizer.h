#ifndef PTUNE_WORKER_ENGINE_BACKBONES_UNIGRAM_TOKENIZER_H_
#define PTUNE_WORKER_ENGINE_BACKBONES_UNIGRAM_TOKENIZER_H_

// A SentencePiece-unigram tokenizer (Viterbi over piece scores) read from a
// `[[piece, score], ...]` vocabulary, written to reproduce the TF.js Universal Sentence
// Encoder tokenizer (npm @energetic-ai/embeddings 0.2.0) id for id, quirks included.
// Torch-free. We do not link libsentencepiece: Debian's embeds protobuf 3.14 and crashes
// processes that also load LibTorch/gRPC (docs/use-lite.md).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "unicode/uversion.h"
#include "worker/engine/backbones/tokenizer.h"

U_NAMESPACE_BEGIN
class Normalizer2;
U_NAMESPACE_END

namespace ptune::engine {

class UnigramTokenizer final : public Tokenizer {
 public:
  struct Options {
    // The first pieces (<unk>-like "\uFFFD", <s>, </s>, extra ids) are never matched
    // against text; USE-Lite's vocabulary reserves 6.
    int reserved_pieces = 6;
    // The id emitted for a character no piece starts with (consecutive ones merge).
    int64_t unk_id = 0;
  };

  // Reads `vocab_json_path`: a JSON array of [piece (string), score (number or null)].
  // A null score counts as 0, as in the JavaScript reference. NOT_FOUND if the file is
  // missing; INVALID_ARGUMENT naming the file and entry index for malformed entries or an
  // unk_id/reserved_pieces outside the vocabulary.
  static absl::StatusOr<std::unique_ptr<UnigramTokenizer>> Load(const std::string& vocab_json_path,
                                                                const Options& options);
  static absl::StatusOr<std::unique_ptr<UnigramTokenizer>> Load(
      const std::string& vocab_json_path) {
    return Load(vocab_json_path, Options());
  }
  // The same from the JSON text itself; `source_name` names it in errors.
  static absl::StatusOr<std::unique_ptr<UnigramTokenizer>> FromJson(std::string_view json_text,
                                                                    const std::string& source_name,
                                                                    const Options& options);

  // Normalises with NFKC, prefixes U+2581 and replaces every U+0020 by U+2581 (runs are
  // kept), then picks the best-scoring segmentation. Thread-safe (const, no caches).
  std::vector<int64_t> Encode(std::string_view text) const override;
  std::string Decode(const std::vector<int64_t>& ids) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(pieces_.size()); }
  int64_t unk_id() const override { return options_.unk_id; }
  // USE-Lite has no pad piece; padded positions are masked, so the unk id is used.
  int64_t pad_id() const override { return options_.unk_id; }

  // The piece text of `id` (UTF-8), or "" when out of range.
  std::string_view piece(int64_t id) const;

 private:
  struct Piece {
    std::string text;  // UTF-8
    double score = 0;  // log-probability; larger is better
    int32_t utf16_length = 0;
  };
  struct TrieNode {
    int32_t piece = -1;  // index into pieces_ when a piece ends here
  };
  // One segment of the lattice: the piece spanning [start, end) code points.
  struct Edge {
    int32_t start;
    int32_t id;
    double score;
  };

  explicit UnigramTokenizer(const Options& options);
  void Insert(const std::u32string& symbols, int32_t id);
  // Appends to `by_end` every piece that starts at `start` of `symbols`.
  void CollectMatches(const std::u32string& symbols, int32_t start,
                      std::vector<std::vector<Edge>>* by_end) const;
  std::vector<int64_t> Viterbi(const std::u32string& symbols) const;
  int32_t Child(int32_t node, char32_t c) const;

  // Constant after construction.
  Options options_;
  std::vector<Piece> pieces_;
  std::vector<TrieNode> nodes_;  // nodes_[0] is the root
  // Trie edges keyed by (parent node << 21 | code point).
  absl::flat_hash_map<uint64_t, int32_t> children_;
  const icu::Normalizer2* nfkc_ = nullptr;  // ICU singleton, not owned
};

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_BACKBONES_UNIGRAM_TOKENIZER_H_

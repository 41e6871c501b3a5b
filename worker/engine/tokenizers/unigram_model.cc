#include "worker/engine/tokenizers/unigram_model.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "worker/engine/tokenizers/utf8.h"

namespace ptune::engine::tokenizers {
namespace {

constexpr double kUnknownPenalty = 10.0;  // HF's K_UNK_PENALTY

struct Node {
  int32_t id = -1;
  int64_t start = -1;  // -1: not reached yet
  double score = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<UnigramModel>> UnigramModel::FromJson(const Json& json,
                                                                     std::string_view path) {
  auto model = std::unique_ptr<UnigramModel>(new UnigramModel());
  const std::string vocab_path = FieldPath(path, "vocab");
  absl::StatusOr<const Json*> vocab = RequiredMember(json, "vocab", path);
  if (!vocab.ok()) return vocab.status();
  if (!(*vocab)->is_array() || (*vocab)->empty()) {
    return FieldError(vocab_path, "not a non-empty array of [piece, score]");
  }
  if (static_cast<int64_t>((*vocab)->size()) > kMaxTokenId) {
    return FieldError(vocab_path, "too many pieces");
  }
  double min_score = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < (*vocab)->size(); ++i) {
    const Json& entry = (**vocab)[i];
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number()) {
      return FieldError(IndexPath(vocab_path, i), "want [piece (string), score (number)]");
    }
    std::string piece = entry[0].get<std::string>();
    if (LossyUtf8(piece) != piece) return FieldError(IndexPath(vocab_path, i), "not UTF-8");
    const double score = entry[1].get<double>();
    min_score = std::min(min_score, score);
    const auto id = static_cast<int32_t>(i);
    model->ids_[piece] = id;
    model->trie_.Insert(piece, id);
    model->pieces_.push_back(std::move(piece));
    model->scores_.push_back(score);
  }
  model->unk_score_ = min_score - kUnknownPenalty;
  absl::StatusOr<bool> byte_fallback = BoolMember(json, "byte_fallback", path, false);
  if (!byte_fallback.ok()) return byte_fallback.status();
  model->byte_fallback_ = *byte_fallback;
  if (OptionalMember(json, "unk_id") != nullptr) {
    absl::StatusOr<int64_t> unk = IntMember(json, "unk_id", path);
    if (!unk.ok()) return unk.status();
    if (*unk < 0 || *unk >= model->id_limit()) {
      return FieldError(FieldPath(path, "unk_id"),
                        absl::StrCat(*unk, " is outside the ", model->id_limit(), " pieces"));
    }
    model->unk_id_ = *unk;
  }
  return model;
}

std::vector<std::string_view> UnigramModel::Segment(std::string_view piece) const {
  const size_t size = piece.size();
  std::vector<Node> best(size + 1);
  best[0].start = 0;
  for (size_t start = 0; start < size;) {
    const double here = best[start].score;
    const size_t char_length = CodePointLength(piece, start);
    bool single_char_piece = false;
    trie_.ForEachPrefix(piece, start, [&](size_t length, int32_t trie_id) {
      // A duplicated piece resolves to its last id, whose score counts (as HF): the
      // trie keeps the last insert.
      const int32_t id = trie_id;
      Node& target = best[start + length];
      const double score = scores_[id] + here;
      if (target.start < 0 || score > target.score)
        target = {id, static_cast<int64_t>(start), score};
      if (length == char_length) single_char_piece = true;
    });
    if (!single_char_piece) {
      Node& target = best[start + char_length];
      const double score = unk_score_ + here;
      if (target.start < 0 || score > target.score) {
        target = {unk_id_ ? static_cast<int32_t>(*unk_id_) : -1, static_cast<int64_t>(start),
                  score};
      }
    }
    start += char_length;
  }
  // Walk back; unknown runs fuse into one string.
  std::vector<std::string_view> reversed;
  size_t unknown_start = size, unknown_end = size;
  bool in_unknown = false;
  for (size_t end = size; end > 0;) {
    const Node& node = best[end];
    const auto start = static_cast<size_t>(node.start);
    // As HF: a node is unknown by its id, so a literal unk piece in the text fuses too.
    if (node.id == -1 || (unk_id_ && node.id == *unk_id_)) {
      if (!in_unknown) unknown_end = end;
      in_unknown = true;
      unknown_start = start;
    } else {
      if (in_unknown) reversed.push_back(piece.substr(unknown_start, unknown_end - unknown_start));
      in_unknown = false;
      reversed.push_back(piece.substr(start, end - start));
    }
    end = start;
  }
  if (in_unknown) reversed.push_back(piece.substr(unknown_start, unknown_end - unknown_start));
  std::reverse(reversed.begin(), reversed.end());
  return reversed;
}

void UnigramModel::Tokenize(std::string_view piece, std::vector<int64_t>* ids) const {
  for (const std::string_view text : Segment(piece)) {
    if (const auto it = ids_.find(AbslView(text)); it != ids_.end()) {
      ids->push_back(it->second);
      continue;
    }
    if (byte_fallback_) {
      if (const std::optional<std::vector<int64_t>> bytes = ByteFallbackIds(ids_, text)) {
        ids->insert(ids->end(), bytes->begin(), bytes->end());
        continue;
      }
    }
    // Without an unk id HF fails the whole encode; here the text is dropped instead.
    if (unk_id_) ids->push_back(*unk_id_);
  }
}

std::optional<int64_t> UnigramModel::TokenToId(std::string_view token) const {
  const auto it = ids_.find(AbslView(token));
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

const std::string* UnigramModel::IdToToken(int64_t id) const {
  if (id < 0 || id >= id_limit()) return nullptr;
  return &pieces_[id];
}

}  // namespace ptune::engine::tokenizers

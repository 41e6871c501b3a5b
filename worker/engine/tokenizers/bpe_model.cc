#include "worker/engine/tokenizers/bpe_model.h"

#include <queue>
#include <utility>

#include "absl/strings/str_cat.h"
#include "worker/engine/tokenizers/utf8.h"

namespace ptune::engine::tokenizers {
namespace {

// A merge at left symbol `pos`: the priority queue pops the lowest rank, then the
// leftmost position, exactly as HF's heap does.
struct Candidate {
  int32_t pos;
  int32_t rank;
  int32_t merged_id;
};
struct LaterFirst {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  }
};

// The two halves of merges[index]: "left right" (older files) or ["left", "right"].
absl::StatusOr<std::pair<std::string, std::string>> MergeHalves(const Json& merge,
                                                                const std::string& path) {
  if (merge.is_string()) {
    const std::string text = merge.get<std::string>();
    const size_t space = text.find(' ');
    if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
      return FieldError(path, absl::StrCat("\"", text, "\" is not two tokens split by one space"));
    }
    return std::make_pair(text.substr(0, space), text.substr(space + 1));
  }
  if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
    return std::make_pair(merge[0].get<std::string>(), merge[1].get<std::string>());
  }
  return FieldError(path, "want \"left right\" or [\"left\", \"right\"]");
}

}  // namespace

absl::StatusOr<std::unique_ptr<BpeModel>> BpeModel::FromJson(const Json& json,
                                                             std::string_view path) {
  auto model = std::unique_ptr<BpeModel>(new BpeModel());
  if (const Json* dropout = OptionalMember(json, "dropout");
      dropout != nullptr && !(dropout->is_number() && dropout->get<double>() == 0.0)) {
    return FieldError(FieldPath(path, "dropout"),
                      "BPE dropout is not supported (encoding must be deterministic)");
  }
  const std::string vocab_path = FieldPath(path, "vocab");
  absl::StatusOr<const Json*> vocab = RequiredMember(json, "vocab", path);
  if (!vocab.ok()) return vocab.status();
  if (!(*vocab)->is_object()) return FieldError(vocab_path, "not an object of token: id");
  for (const auto& [token, id] : (*vocab)->items()) {
    const std::string entry_path = FieldPath(vocab_path, absl::StrCat("\"", token, "\""));
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > kMaxTokenId) {
      return FieldError(entry_path, absl::StrCat("id is not an integer in [0, ", kMaxTokenId, "]"));
    }
    const auto index = static_cast<size_t>(id.get<int64_t>());
    if (index >= model->tokens_.size()) model->tokens_.resize(index + 1);
    model->tokens_[index] = token;
    model->vocab_[token] = static_cast<int32_t>(index);
  }

  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    absl::StatusOr<std::string> value = StringMember(json, key, path, "");
    if (!value.ok()) return value.status();
    (key[0] == 'c' ? model->continuing_subword_prefix_ : model->end_of_word_suffix_) = *value;
  }
  for (auto [key, flag] : {std::pair{"fuse_unk", &model->fuse_unk_},
                           std::pair{"byte_fallback", &model->byte_fallback_},
                           std::pair{"ignore_merges", &model->ignore_merges_}}) {
    absl::StatusOr<bool> value = BoolMember(json, key, path, false);
    if (!value.ok()) return value.status();
    *flag = *value;
  }
  if (OptionalMember(json, "unk_token") != nullptr) {
    absl::StatusOr<std::string> unk = StringMember(json, "unk_token", path);
    if (!unk.ok()) return unk.status();
    const auto it = model->vocab_.find(*unk);
    if (it == model->vocab_.end()) {
      return FieldError(FieldPath(path, "unk_token"),
                        absl::StrCat("\"", *unk, "\" is not in the vocab"));
    }
    model->unk_id_ = it->second;
  }

  const std::string merges_path = FieldPath(path, "merges");
  const Json* merges = OptionalMember(json, "merges");
  if (merges != nullptr && !merges->is_array()) return FieldError(merges_path, "not an array");
  const size_t prefix_length = model->continuing_subword_prefix_.size();
  for (size_t rank = 0; merges != nullptr && rank < merges->size(); ++rank) {
    const std::string merge_path = IndexPath(merges_path, rank);
    absl::StatusOr<std::pair<std::string, std::string>> halves =
        MergeHalves((*merges)[rank], merge_path);
    if (!halves.ok()) return halves.status();
    const auto& [left, right] = *halves;
    std::string merged = left;
    merged += right.compare(0, prefix_length, model->continuing_subword_prefix_) == 0
                  ? right.substr(prefix_length)
                  : right;
    int32_t ids[3];
    const std::string* parts[3] = {&left, &right, &merged};
    for (int i = 0; i < 3; ++i) {
      const auto it = model->vocab_.find(*parts[i]);
      if (it == model->vocab_.end()) {
        return FieldError(merge_path,
                          absl::StrCat("token \"", *parts[i], "\" is not in the vocab"));
      }
      ids[i] = it->second;
    }
    // A repeated pair takes its later rank, as HF's map insert does.
    model->merges_[PairKey(ids[0], ids[1])] = {static_cast<int32_t>(rank), ids[2]};
  }
  return model;
}

std::vector<BpeModel::Symbol> BpeModel::InitialSymbols(std::string_view piece) const {
  std::vector<Symbol> symbols;
  const auto add = [&](int32_t id, size_t bytes) {
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, index + 1, bytes});
  };
  // Bytes of the pending unknown run (0: none), flushed when a known character follows.
  size_t unknown_bytes = 0;
  const auto flush_unknown = [&] {
    if (unknown_bytes > 0) add(static_cast<int32_t>(*unk_id_), unknown_bytes);
    unknown_bytes = 0;
  };
  for (size_t at = 0; at < piece.size();) {
    const size_t length = CodePointLength(piece, at);
    std::string text(piece.substr(at, length));
    if (at > 0) text.insert(0, continuing_subword_prefix_);
    if (at + length == piece.size()) text += end_of_word_suffix_;
    at += length;
    if (const auto it = vocab_.find(text); it != vocab_.end()) {
      flush_unknown();
      add(it->second, length);
      continue;
    }
    if (byte_fallback_) {
      if (const std::optional<std::vector<int64_t>> bytes = ByteFallbackIds(vocab_, text)) {
        for (const int64_t id : *bytes) add(static_cast<int32_t>(id), 1);
        continue;
      }
    }
    if (!unk_id_) continue;  // no unk token: HF drops the character
    if (!fuse_unk_) flush_unknown();
    unknown_bytes += length;
  }
  flush_unknown();
  if (!symbols.empty()) symbols.back().next = -1;
  return symbols;
}

void BpeModel::MergeAll(std::vector<Symbol>* symbols_ptr) const {
  std::vector<Symbol>& symbols = *symbols_ptr;
  std::priority_queue<Candidate, std::vector<Candidate>, LaterFirst> queue;
  const auto push_pair = [&](int32_t pos, int32_t left, int32_t right) {
    const auto it = merges_.find(PairKey(left, right));
    if (it != merges_.end()) queue.push({pos, it->second.rank, it->second.merged_id});
  };
  for (size_t i = 0; i + 1 < symbols.size(); ++i) {
    push_pair(static_cast<int32_t>(i), symbols[i].id, symbols[i + 1].id);
  }
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (left.bytes == 0 || left.next < 0) continue;
    const Symbol right = symbols[left.next];
    // Skip stale entries: the pair at pos must still merge into the same token.
    const auto it = merges_.find(PairKey(left.id, right.id));
    if (it == merges_.end() || it->second.merged_id != top.merged_id) continue;
    symbols[left.next].bytes = 0;
    left.id = top.merged_id;
    left.bytes += right.bytes;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.pos;
    if (left.prev >= 0) push_pair(left.prev, symbols[left.prev].id, left.id);
    if (left.next >= 0) push_pair(top.pos, left.id, symbols[left.next].id);
  }
}

void BpeModel::Tokenize(std::string_view piece, std::vector<int64_t>* ids) const {
  if (piece.empty()) return;
  if (ignore_merges_) {
    if (const auto it = vocab_.find(AbslView(piece)); it != vocab_.end()) {
      ids->push_back(it->second);
      return;
    }
  }
  std::vector<Symbol> symbols = InitialSymbols(piece);
  MergeAll(&symbols);
  for (const Symbol& symbol : symbols) {
    if (symbol.bytes != 0) ids->push_back(symbol.id);
  }
}

std::optional<int64_t> BpeModel::TokenToId(std::string_view token) const {
  const auto it = vocab_.find(AbslView(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::IdToToken(int64_t id) const {
  if (id < 0 || id >= id_limit() || tokens_[id].empty()) return nullptr;
  return &tokens_[id];
}

}  // namespace ptune::engine::tokenizers

#include "worker/engine/backbones/unigram_tokenizer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "nlohmann/json.hpp"
#include "unicode/normalizer2.h"
#include "unicode/unistr.h"

namespace ptune::engine {
namespace {

constexpr char32_t kSpace = U' ';
constexpr char32_t kWordBoundary = U'\u2581';  // SentencePiece's "▁"

// Code points of a UTF-16 string the way JavaScript's `for...of` walks it: surrogate
// pairs join, a lone surrogate stays one symbol.
std::u32string CodePoints(const icu::UnicodeString& s) {
  std::u32string out;
  out.reserve(static_cast<size_t>(s.length()));
  for (int32_t i = 0; i < s.length();) {
    const UChar32 c = s.char32At(i);
    out.push_back(static_cast<char32_t>(c));
    i += U16_LENGTH(c);
  }
  return out;
}

absl::Status EntryError(const std::string& source, size_t index, const char* what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": entry ", index, ": ", what));
}

}  // namespace

UnigramTokenizer::UnigramTokenizer(const Options& options) : options_(options) {
  nodes_.emplace_back();
}

absl::StatusOr<std::unique_ptr<UnigramTokenizer>> UnigramTokenizer::Load(
    const std::string& vocab_json_path, const Options& options) {
  absl::StatusOr<std::string> text = ReadFile(vocab_json_path);
  if (!text.ok()) return text.status();
  return FromJson(*text, vocab_json_path, options);
}

absl::StatusOr<std::unique_ptr<UnigramTokenizer>> UnigramTokenizer::FromJson(
    std::string_view json_text, const std::string& source_name, const Options& options) {
  const nlohmann::json vocab =
      nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (vocab.is_discarded() || !vocab.is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": not a JSON array of [piece, score] entries"));
  }
  auto tokenizer = std::unique_ptr<UnigramTokenizer>(new UnigramTokenizer(options));
  tokenizer->pieces_.reserve(vocab.size());
  for (size_t i = 0; i < vocab.size(); ++i) {
    const nlohmann::json& entry = vocab[i];
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string()) {
      return EntryError(source_name, i, "want [piece (string), score (number)]");
    }
    if (!entry[1].is_number() && !entry[1].is_null()) {
      return EntryError(source_name, i, "score is not a number");
    }
    Piece piece;
    piece.text = entry[0].get<std::string>();
    // JavaScript adds a null score as 0.
    piece.score = entry[1].is_null() ? 0.0 : entry[1].get<double>();
    const icu::UnicodeString utf16 = icu::UnicodeString::fromUTF8(piece.text);
    piece.utf16_length = utf16.length();
    if (piece.text.empty()) return EntryError(source_name, i, "empty piece");
    tokenizer->pieces_.push_back(std::move(piece));
    if (static_cast<int>(i) >= options.reserved_pieces) {
      tokenizer->Insert(CodePoints(utf16), static_cast<int32_t>(i));
    }
  }
  const int64_t size = tokenizer->vocab_size();
  if (options.unk_id < 0 || options.unk_id >= size || options.reserved_pieces > size) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": ", size, " pieces is too few for unk_id ", options.unk_id,
                     " and ", options.reserved_pieces, " reserved pieces"));
  }
  UErrorCode status = U_ZERO_ERROR;
  tokenizer->nfkc_ = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status)) {
    return absl::InternalError(absl::StrCat("ICU NFKC normaliser: ", u_errorName(status)));
  }
  return tokenizer;
}

int32_t UnigramTokenizer::Child(int32_t node, char32_t c) const {
  const auto it = children_.find((static_cast<uint64_t>(node) << 21) | c);
  return it == children_.end() ? -1 : it->second;
}

// A later duplicate piece replaces the earlier one's id, as the reference trie does.
void UnigramTokenizer::Insert(const std::u32string& symbols, int32_t id) {
  int32_t node = 0;
  for (const char32_t c : symbols) {
    int32_t next = Child(node, c);
    if (next < 0) {
      next = static_cast<int32_t>(nodes_.size());
      nodes_.emplace_back();
      children_.emplace((static_cast<uint64_t>(node) << 21) | c, next);
    }
    node = next;
  }
  nodes_[node].piece = id;
}

void UnigramTokenizer::CollectMatches(const std::u32string& symbols, int32_t start,
                                      std::vector<std::vector<Edge>>* by_end) const {
  bool matched = false;
  int32_t node = 0;
  for (int32_t end = start; end < static_cast<int32_t>(symbols.size()); ++end) {
    node = Child(node, symbols[end]);
    if (node < 0) break;
    const int32_t id = nodes_[node].piece;
    if (id < 0) continue;
    (*by_end)[end + 1].push_back({start, id, pieces_[id].score});
    matched = true;
  }
  if (!matched) {
    // The reference's unknown: one symbol, id unk, score 0.
    (*by_end)[start + 1].push_back({start, static_cast<int32_t>(options_.unk_id), 0.0});
  }
}

// Mirrors the reference's forward pass exactly, including its quirks: a best score of
// exactly 0 counts as "unset", ties go to the later candidate (shorter piece), and the
// backward pass steps back by the piece's UTF-16 length.
std::vector<int64_t> UnigramTokenizer::Viterbi(const std::u32string& symbols) const {
  const int32_t n = static_cast<int32_t>(symbols.size());
  // Edges ending at each position, in increasing start order.
  std::vector<std::vector<Edge>> by_end(static_cast<size_t>(n) + 1);
  for (int32_t start = 0; start < n; ++start) CollectMatches(symbols, start, &by_end);
  std::vector<double> best(static_cast<size_t>(n) + 1, 0.0);
  std::vector<int32_t> words(static_cast<size_t>(n) + 1, 0);
  for (int32_t end = 0; end <= n; ++end) {
    for (const Edge& edge : by_end[end]) {
      const double score = edge.score + best[edge.start];
      if (best[end] == 0 || score >= best[end]) {
        best[end] = score;
        words[end] = edge.id;
      }
    }
  }
  std::vector<int64_t> reversed;
  for (int32_t at = n; at > 0; at -= pieces_[words[at]].utf16_length) {
    const int64_t id = words[at];
    // Consecutive unknowns collapse into one.
    if (!(id == options_.unk_id && !reversed.empty() && reversed.back() == options_.unk_id)) {
      reversed.push_back(id);
    }
  }
  std::reverse(reversed.begin(), reversed.end());
  return reversed;
}

std::vector<int64_t> UnigramTokenizer::Encode(std::string_view text) const {
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString raw = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  const icu::UnicodeString normalized = nfkc_->normalize(raw, status);
  if (U_FAILURE(status) || normalized.isEmpty()) return {};
  std::u32string symbols = CodePoints(normalized);
  std::replace(symbols.begin(), symbols.end(), kSpace, kWordBoundary);
  symbols.insert(symbols.begin(), kWordBoundary);
  return Viterbi(symbols);
}

std::string UnigramTokenizer::Decode(const std::vector<int64_t>& ids) const {
  std::string out;
  for (const int64_t id : ids) {
    if (id < 0 || id >= vocab_size()) {
      absl::StrAppend(&out, "<id:", id, ">");
    } else {
      out += pieces_[id].text;
    }
  }
  const std::string boundary = "\u2581";
  std::string spaced;
  for (size_t at = 0; at < out.size();) {
    if (out.compare(at, boundary.size(), boundary) == 0) {
      if (!spaced.empty()) spaced += ' ';
      at += boundary.size();
    } else {
      spaced += out[at++];
    }
  }
  return spaced;
}

std::string_view UnigramTokenizer::piece(int64_t id) const {
  if (id < 0 || id >= vocab_size()) return {};
  return pieces_[id].text;
}

}  // namespace ptune::engine

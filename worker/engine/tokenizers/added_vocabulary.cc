#include "worker/engine/tokenizers/added_vocabulary.h"

#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "unicode/uchar.h"
#include "worker/engine/tokenizers/model.h"
#include "worker/engine/tokenizers/utf8.h"

namespace ptune::engine::tokenizers {
namespace {

// Rust's char::is_alphanumeric || '_', HF's word characters for single_word.
bool IsWordChar(char32_t c) {
  const int8_t type = u_charType(c);
  return c == '_' || u_isUAlphabetic(c) || type == U_DECIMAL_DIGIT_NUMBER ||
         type == U_LETTER_NUMBER || type == U_OTHER_NUMBER;
}

size_t PreviousCodePoint(std::string_view text, size_t at) {
  do {
    --at;
  } while (at > 0 && (static_cast<uint8_t>(text[at]) & 0xC0) == 0x80);
  return at;
}

}  // namespace

absl::StatusOr<AddedVocabulary> AddedVocabulary::FromJson(const Json* added_tokens,
                                                          std::string_view path,
                                                          const Normalizer* normalizer) {
  AddedVocabulary vocabulary;
  if (added_tokens == nullptr) return vocabulary;
  if (!added_tokens->is_array()) return FieldError(path, "not an array");
  for (size_t i = 0; i < added_tokens->size(); ++i) {
    const Json& entry = (*added_tokens)[i];
    const std::string entry_path = IndexPath(path, i);
    if (!entry.is_object()) return FieldError(entry_path, "not an object");
    AddedToken token;
    absl::StatusOr<int64_t> id = IntMember(entry, "id", entry_path);
    if (!id.ok()) return id.status();
    if (*id < 0 || *id > kMaxTokenId) {
      return FieldError(FieldPath(entry_path, "id"), absl::StrCat("not in [0, ", kMaxTokenId, "]"));
    }
    token.id = *id;
    absl::StatusOr<std::string> content = StringMember(entry, "content", entry_path);
    if (!content.ok()) return content.status();
    if (content->empty() || LossyUtf8(*content) != *content) {
      return FieldError(FieldPath(entry_path, "content"), "must be non-empty UTF-8");
    }
    token.content = *std::move(content);
    for (auto [key, flag, fallback] :
         {std::tuple{"single_word", &token.single_word, false},
          std::tuple{"lstrip", &token.lstrip, false}, std::tuple{"rstrip", &token.rstrip, false},
          std::tuple{"normalized", &token.normalized, true},
          std::tuple{"special", &token.special, false}}) {
      absl::StatusOr<bool> value = BoolMember(entry, key, entry_path, fallback);
      if (!value.ok()) return value.status();
      *flag = *value;
    }
    const size_t index = vocabulary.tokens_.size();
    Matcher& matcher = token.normalized ? vocabulary.normalized_ : vocabulary.raw_;
    const std::string pattern = token.normalized && normalizer != nullptr
                                    ? normalizer->Normalize(token.content)
                                    : token.content;
    if (!pattern.empty()) {
      matcher.trie.Insert(pattern, static_cast<int32_t>(index));
      matcher.empty = false;
    }
    vocabulary.by_id_[token.id] = index;
    vocabulary.by_content_[token.content] = token.id;
    vocabulary.tokens_.push_back(std::move(token));
  }
  return vocabulary;
}

void AddedVocabulary::SplitOne(const Matcher& matcher, const Segment& segment,
                               std::vector<Segment>* out) const {
  const std::string_view text = segment.text;
  size_t emitted = 0;  // end of what has been pushed
  const auto push_text = [&](size_t start, size_t end) {
    if (start < end) {
      out->push_back({std::string(text.substr(start, end - start)), std::nullopt,
                      segment.at_origin && start == 0});
    }
  };
  for (size_t at = 0; at < text.size();) {
    size_t length = 0;
    int32_t index = -1;
    matcher.trie.ForEachPrefix(text, at, [&](size_t found_length, int32_t found) {
      length = found_length;
      index = found;
    });
    if (index < 0) {
      at += CodePointLength(text, at);
      continue;
    }
    const AddedToken& token = tokens_[index];
    size_t start = at, stop = at + length;
    if (token.single_word) {
      const bool word_before =
          start > 0 && IsWordChar(CodePointAt(text, PreviousCodePoint(text, start)));
      const bool word_after = stop < text.size() && IsWordChar(CodePointAt(text, stop));
      // A rejected match still consumes its text, as HF's match iterator does.
      if (word_before || word_after) {
        at = stop;
        continue;
      }
    }
    if (token.lstrip) {
      while (start > emitted) {
        const size_t previous = PreviousCodePoint(text, start);
        if (!u_isUWhiteSpace(CodePointAt(text, previous))) break;
        start = previous;
      }
    }
    if (token.rstrip) {
      while (stop < text.size() && u_isUWhiteSpace(CodePointAt(text, stop))) {
        stop += CodePointLength(text, stop);
      }
    }
    push_text(emitted, start);
    out->push_back(
        {std::string(text.substr(start, stop - start)), token.id, segment.at_origin && start == 0});
    emitted = stop;
    at = stop;
  }
  push_text(emitted, text.size());
}

void AddedVocabulary::Split(bool normalized, std::vector<Segment>* segments) const {
  const Matcher& matcher = normalized ? normalized_ : raw_;
  if (matcher.empty) return;
  std::vector<Segment> out;
  for (Segment& segment : *segments) {
    if (segment.id) {
      out.push_back(std::move(segment));
    } else {
      SplitOne(matcher, segment, &out);
    }
  }
  *segments = std::move(out);
}

const AddedToken* AddedVocabulary::ById(int64_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

std::optional<int64_t> AddedVocabulary::IdOf(std::string_view content) const {
  const auto it = by_content_.find(AbslView(content));
  if (it == by_content_.end()) return std::nullopt;
  return it->second;
}

}  // namespace ptune::engine::tokenizers

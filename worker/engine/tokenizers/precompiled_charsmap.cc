#include "worker/engine/tokenizers/precompiled_charsmap.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "unicode/brkiter.h"
#include "unicode/locid.h"
#include "unicode/unistr.h"
#include "unicode/utext.h"
#include "worker/engine/tokenizers/utf8.h"

namespace ptune::engine::tokenizers {
namespace {

// darts-clone's unit layout.
bool HasLeaf(uint32_t unit) { return ((unit >> 8) & 1) != 0; }
uint32_t Value(uint32_t unit) { return unit & ((1u << 31) - 1); }
uint32_t Label(uint32_t unit) { return unit & ((1u << 31) | 0xFF); }
uint32_t Offset(uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }

}  // namespace

absl::StatusOr<std::unique_ptr<PrecompiledCharsmap>> PrecompiledCharsmap::Parse(
    std::string_view bytes) {
  if (bytes.size() < 4) return absl::InvalidArgumentError("precompiled charsmap: too short");
  uint32_t trie_bytes = 0;
  for (int i = 3; i >= 0; --i) trie_bytes = (trie_bytes << 8) | static_cast<uint8_t>(bytes[i]);
  if (trie_bytes % 4 != 0 || trie_bytes > bytes.size() - 4 || trie_bytes == 0) {
    return absl::InvalidArgumentError(absl::StrCat("precompiled charsmap: trie size ", trie_bytes,
                                                   " does not fit its ", bytes.size(), " bytes"));
  }
  auto charsmap = std::unique_ptr<PrecompiledCharsmap>(new PrecompiledCharsmap());
  charsmap->units_.resize(trie_bytes / 4);
  for (size_t i = 0; i < charsmap->units_.size(); ++i) {
    uint32_t unit = 0;
    for (int b = 3; b >= 0; --b) unit = (unit << 8) | static_cast<uint8_t>(bytes[4 + i * 4 + b]);
    charsmap->units_[i] = unit;
  }
  charsmap->replacements_ = std::string(bytes.substr(4 + trie_bytes));
  return charsmap;
}

std::optional<std::string_view> PrecompiledCharsmap::Transform(std::string_view chunk) const {
  // darts-clone common-prefix search, stopping at the first key found; every index is
  // bounds-checked because the units come from the file.
  const auto unit_at = [&](size_t pos) -> std::optional<uint32_t> {
    if (pos >= units_.size()) return std::nullopt;
    return units_[pos];
  };
  size_t node = 0;
  std::optional<uint32_t> unit = unit_at(node);
  if (!unit) return std::nullopt;
  node ^= Offset(*unit);
  for (const char ch : chunk) {
    const uint8_t c = static_cast<uint8_t>(ch);
    if (c == 0) break;
    node ^= c;
    unit = unit_at(node);
    if (!unit || Label(*unit) != c) return std::nullopt;
    node ^= Offset(*unit);
    if (HasLeaf(*unit)) {
      const std::optional<uint32_t> leaf = unit_at(node);
      if (!leaf) return std::nullopt;
      const size_t start = Value(*leaf);
      if (start >= replacements_.size()) return std::nullopt;
      const size_t end = replacements_.find('\0', start);
      return std::string_view(replacements_)
          .substr(start, (end == std::string::npos ? replacements_.size() : end) - start);
    }
  }
  return std::nullopt;
}

std::string PrecompiledCharsmap::Normalize(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> graphemes(
      icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), status));
  UText* utext = utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &status);
  if (U_FAILURE(status)) {
    utext_close(utext);
    return std::string(text);
  }
  graphemes->setText(utext, status);
  for (int32_t start = graphemes->first(), end = graphemes->next(); end != icu::BreakIterator::DONE;
       start = end, end = graphemes->next()) {
    const std::string_view grapheme = text.substr(start, end - start);
    if (grapheme.size() < 6) {
      if (const std::optional<std::string_view> replaced = Transform(grapheme)) {
        out += *replaced;
        continue;
      }
    }
    for (size_t at = 0; at < grapheme.size();) {
      const size_t length = CodePointLength(grapheme, at);
      const std::string_view code_point = grapheme.substr(at, length);
      const std::optional<std::string_view> replaced = Transform(code_point);
      out += replaced ? *replaced : code_point;
      at += length;
    }
  }
  utext_close(utext);
  return out;
}

}  // namespace ptune::engine::tokenizers

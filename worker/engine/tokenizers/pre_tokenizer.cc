#include "worker/engine/tokenizers/pre_tokenizer.h"

#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "unicode/uchar.h"
#include "worker/engine/tokenizers/byte_level.h"
#include "worker/engine/tokenizers/pattern.h"
#include "worker/engine/tokenizers/split_behavior.h"
#include "worker/engine/tokenizers/utf8.h"

namespace ptune::engine::tokenizers {
namespace {

// GPT-2's pre-tokenization regex (ByteLevel with use_regex).
constexpr std::string_view kGpt2Regex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
// HF's Whitespace pre-tokenizer keeps the matches of this.
constexpr std::string_view kWordsRegex = R"(\w+|[^\w\s]+)";

using CharPredicate = std::function<bool(char32_t)>;

// Every character satisfying `predicate` is its own match, as HF's Fn(char) patterns.
std::vector<Span> SplitByChar(std::string_view text, const CharPredicate& predicate) {
  std::vector<Span> spans;
  size_t previous = 0;
  for (size_t at = 0; at < text.size();) {
    const size_t length = CodePointLength(text, at);
    if (predicate(CodePointAt(text, at))) {
      if (previous < at) spans.push_back({previous, at, false});
      spans.push_back({at, at + length, true});
      previous = at + length;
    }
    at += length;
  }
  if (previous < text.size()) spans.push_back({previous, text.size(), false});
  return spans;
}

void Invert(std::vector<Span>* spans) {
  for (Span& span : *spans) span.matched = !span.matched;
}

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps)
      : steps_(std::move(steps)) {}
  void Split(std::vector<Piece>* pieces) const override {
    for (const auto& step : steps_) step->Split(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

class PatternPreTokenizer final : public PreTokenizer {
 public:
  PatternPreTokenizer(std::unique_ptr<Pattern> pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void Split(std::vector<Piece>* pieces) const override {
    std::vector<Piece> out;
    for (const Piece& piece : *pieces) {
      std::vector<Span> spans = pattern_->Split(piece.text);
      if (invert_) Invert(&spans);
      AppendSplits(piece, spans, behavior_, &out);
    }
    *pieces = std::move(out);
  }

 private:
  std::unique_ptr<Pattern> pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class CharPreTokenizer final : public PreTokenizer {
 public:
  CharPreTokenizer(CharPredicate predicate, SplitBehavior behavior)
      : predicate_(std::move(predicate)), behavior_(behavior) {}
  void Split(std::vector<Piece>* pieces) const override {
    std::vector<Piece> out;
    for (const Piece& piece : *pieces) {
      AppendSplits(piece, SplitByChar(piece.text, predicate_), behavior_, &out);
    }
    *pieces = std::move(out);
  }

 private:
  CharPredicate predicate_;
  SplitBehavior behavior_;
};

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space),
        regex_(use_regex ? Pattern::BuiltinRegex(kGpt2Regex) : nullptr) {}
  void Split(std::vector<Piece>* pieces) const override {
    std::vector<Piece> out;
    for (Piece piece : *pieces) {
      if (add_prefix_space_ && piece.text[0] != ' ') piece.text.insert(0, " ");
      if (regex_ != nullptr) {
        AppendSplits(piece, regex_->Split(piece.text), SplitBehavior::kIsolated, &out);
      } else {
        out.push_back(std::move(piece));
      }
    }
    for (Piece& piece : out) piece.text = BytesToUnicode(piece.text);
    *pieces = std::move(out);
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<Pattern> regex_;
};

enum class PrependScheme { kAlways, kFirst, kNever };

class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  MetaspacePreTokenizer(char32_t replacement, PrependScheme scheme, bool split)
      : scheme_(scheme), split_(split), space_(Pattern::Literal(" ")) {
    AppendUtf8(replacement, &replacement_);
    replacement_pattern_ = Pattern::Literal(replacement_);
  }
  void Split(std::vector<Piece>* pieces) const override {
    std::vector<Piece> out;
    for (Piece piece : *pieces) {
      piece.text = space_->ReplaceAll(piece.text, replacement_);
      const bool starts_with_replacement =
          piece.text.compare(0, replacement_.size(), replacement_) == 0;
      const bool prepend = scheme_ == PrependScheme::kAlways ||
                           (scheme_ == PrependScheme::kFirst && piece.at_origin);
      if (prepend && !starts_with_replacement) piece.text.insert(0, replacement_);
      if (split_) {
        AppendSplits(piece, replacement_pattern_->Split(piece.text), SplitBehavior::kMergedWithNext,
                     &out);
      } else {
        out.push_back(std::move(piece));
      }
    }
    *pieces = std::move(out);
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
  std::unique_ptr<Pattern> space_;
  std::unique_ptr<Pattern> replacement_pattern_;
};

bool IsPunctuation(char32_t c) {
  if (c < 0x80) return c > ' ' && c < 0x7F && !u_isalnum(c);  // Rust's is_ascii_punctuation
  const int8_t type = u_charType(c);
  return type == U_CONNECTOR_PUNCTUATION || type == U_DASH_PUNCTUATION ||
         type == U_END_PUNCTUATION || type == U_FINAL_PUNCTUATION ||
         type == U_INITIAL_PUNCTUATION || type == U_OTHER_PUNCTUATION ||
         type == U_START_PUNCTUATION;
}

bool IsNumeric(char32_t c) {
  const int8_t type = u_charType(c);
  return type == U_DECIMAL_DIGIT_NUMBER || type == U_LETTER_NUMBER || type == U_OTHER_NUMBER;
}

absl::StatusOr<SplitBehavior> BehaviorMember(const Json& json, std::string_view path,
                                             std::string_view fallback) {
  absl::StatusOr<std::string> name = StringMember(json, "behavior", path, fallback);
  if (!name.ok()) return name.status();
  return ParseSplitBehavior(*name, FieldPath(path, "behavior"));
}

absl::StatusOr<PrependScheme> ParsePrependScheme(const Json& json, std::string_view path) {
  if (OptionalMember(json, "prepend_scheme") == nullptr) {
    // Files older than tokenizers 0.14 say add_prefix_space instead.
    absl::StatusOr<bool> add = BoolMember(json, "add_prefix_space", path, true);
    if (!add.ok()) return add.status();
    return *add ? PrependScheme::kAlways : PrependScheme::kNever;
  }
  absl::StatusOr<std::string> name = StringMember(json, "prepend_scheme", path);
  if (!name.ok()) return name.status();
  if (*name == "always") return PrependScheme::kAlways;
  if (*name == "first") return PrependScheme::kFirst;
  if (*name == "never") return PrependScheme::kNever;
  return FieldError(FieldPath(path, "prepend_scheme"),
                    absl::StrCat("unknown scheme \"", *name, "\" (always, first, never)"));
}

absl::StatusOr<std::unique_ptr<PreTokenizer>> ParseSequence(const Json& json,
                                                            std::string_view path) {
  absl::StatusOr<std::vector<std::unique_ptr<PreTokenizer>>> steps =
      ParseComponentList<PreTokenizer>(json, "pretokenizers", path, ParsePreTokenizer);
  if (!steps.ok()) return steps.status();
  return std::make_unique<SequencePreTokenizer>(*std::move(steps));
}

absl::StatusOr<std::unique_ptr<PreTokenizer>> ParseSplit(const Json& json, std::string_view path) {
  absl::StatusOr<const Json*> pattern_json = RequiredMember(json, "pattern", path);
  if (!pattern_json.ok()) return pattern_json.status();
  absl::StatusOr<std::unique_ptr<Pattern>> pattern =
      Pattern::FromJson(**pattern_json, FieldPath(path, "pattern"));
  if (!pattern.ok()) return pattern.status();
  absl::StatusOr<SplitBehavior> behavior = BehaviorMember(json, path, "");
  if (!behavior.ok()) return behavior.status();
  absl::StatusOr<bool> invert = BoolMember(json, "invert", path, false);
  if (!invert.ok()) return invert.status();
  return std::make_unique<PatternPreTokenizer>(*std::move(pattern), *behavior, *invert);
}

absl::StatusOr<std::unique_ptr<PreTokenizer>> ParseMetaspace(const Json& json,
                                                             std::string_view path) {
  absl::StatusOr<char32_t> replacement = CharMember(json, "replacement", path);
  if (!replacement.ok()) return replacement.status();
  absl::StatusOr<PrependScheme> scheme = ParsePrependScheme(json, path);
  if (!scheme.ok()) return scheme.status();
  absl::StatusOr<bool> split = BoolMember(json, "split", path, true);
  if (!split.ok()) return split.status();
  return std::make_unique<MetaspacePreTokenizer>(*replacement, *scheme, *split);
}

}  // namespace

absl::StatusOr<std::unique_ptr<PreTokenizer>> ParsePreTokenizer(const Json& json,
                                                                std::string_view path) {
  absl::StatusOr<std::string> type = ComponentType(json, path);
  if (!type.ok()) return type.status();
  if (*type == "Sequence") return ParseSequence(json, path);
  if (*type == "Split") return ParseSplit(json, path);
  if (*type == "Metaspace") return ParseMetaspace(json, path);
  if (*type == "ByteLevel") {
    absl::StatusOr<bool> add_prefix_space = BoolMember(json, "add_prefix_space", path, true);
    if (!add_prefix_space.ok()) return add_prefix_space.status();
    absl::StatusOr<bool> use_regex = BoolMember(json, "use_regex", path, true);
    if (!use_regex.ok()) return use_regex.status();
    return std::make_unique<ByteLevelPreTokenizer>(*add_prefix_space, *use_regex);
  }
  if (*type == "WhitespaceSplit") {
    return std::make_unique<CharPreTokenizer>([](char32_t c) { return u_isUWhiteSpace(c) != 0; },
                                              SplitBehavior::kRemoved);
  }
  if (*type == "Whitespace") {
    // Keeps the regex's matches: split on the inverted pattern, removing the rest.
    return std::make_unique<PatternPreTokenizer>(Pattern::BuiltinRegex(kWordsRegex),
                                                 SplitBehavior::kRemoved, /*invert=*/true);
  }
  if (*type == "Digits") {
    absl::StatusOr<bool> individual = BoolMember(json, "individual_digits", path, false);
    if (!individual.ok()) return individual.status();
    return std::make_unique<CharPreTokenizer>(
        IsNumeric, *individual ? SplitBehavior::kIsolated : SplitBehavior::kContiguous);
  }
  if (*type == "Punctuation") {
    absl::StatusOr<SplitBehavior> behavior = BehaviorMember(json, path, "Isolated");
    if (!behavior.ok()) return behavior.status();
    return std::make_unique<CharPreTokenizer>(IsPunctuation, *behavior);
  }
  return FieldError(FieldPath(path, "type"),
                    absl::StrCat("unsupported pre_tokenizer type \"", *type,
                                 "\" (supported: Sequence, Split, ByteLevel, Metaspace, "
                                 "WhitespaceSplit, Whitespace, Digits, Punctuation)"));
}

}  // namespace ptune::engine::tokenizers

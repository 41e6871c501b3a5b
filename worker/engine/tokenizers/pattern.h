#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_PATTERN_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_PATTERN_H_

// The `pattern` of tokenizer.json's Split pre-tokenizer and Replace normalizer/decoder:
// {"String": literal} or {"Regex": oniguruma-syntax regex}. Regexes run on ICU's engine
// over the UTF-8 text; `\s`/`\S` are rewritten to Unicode White_Space (oniguruma's
// meaning; ICU's own `\s` omits U+000B and U+0085). The patterns of GPT-2, Llama 3 and
// Qwen2/3 (\p{L}, \p{N}, (?i:...), (?!\S), {1,3}) are in the subset both engines agree on.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "unicode/uversion.h"
#include "worker/engine/tokenizers/json_fields.h"

U_NAMESPACE_BEGIN
class RegexPattern;
U_NAMESPACE_END

namespace ptune::engine::tokenizers {

// A byte range of a text, and whether the pattern matched it.
struct Span {
  size_t start;
  size_t end;
  bool matched;
};

class Pattern {
 public:
  // Reads {"String": ...} or {"Regex": ...} at `path`; a regex that does not compile is
  // INVALID_ARGUMENT naming the field and ICU's reason.
  static absl::StatusOr<std::unique_ptr<Pattern>> FromJson(const Json& json, std::string_view path);
  static std::unique_ptr<Pattern> Literal(std::string literal);
  // A regex known to compile (the built-in ones, e.g. the GPT-2 pattern).
  static std::unique_ptr<Pattern> BuiltinRegex(std::string_view regex);
  ~Pattern();

  // `text` (valid UTF-8) cut into consecutive spans, matched or not, covering all of it;
  // empty matches are dropped. A regex that exceeds ICU's time limit (a hostile
  // backtracking pattern) stops matching there: the rest is one unmatched span.
  std::vector<Span> Split(std::string_view text) const;

  // `text` with every match replaced by `content`.
  std::string ReplaceAll(std::string_view text, std::string_view content) const;

 private:
  Pattern() = default;
  std::string literal_;
  std::unique_ptr<icu::RegexPattern> regex_;  // null for a literal
};

// The Replace normalizer's and decoder's spec: {"pattern": ..., "content": ...}.
struct Replacement {
  // Reads "pattern" and "content" of `json` at `path`.
  static absl::StatusOr<Replacement> FromJson(const Json& json, std::string_view path);
  std::string Apply(std::string_view text) const { return pattern->ReplaceAll(text, content); }

  std::unique_ptr<Pattern> pattern;
  std::string content;
};

}  // namespace ptune::engine::tokenizers

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_PATTERN_H_

#include "worker/engine/tokenizers/pattern.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "unicode/regex.h"
#include "unicode/utext.h"

namespace ptune::engine::tokenizers {
namespace {

// About ten seconds of matching per text on these machines (ICU counts engine steps).
constexpr int32_t kMatchTimeLimit = 10000;

// Oniguruma's `\s` is Unicode White_Space; spell it out for ICU (valid in and out of [..]).
std::string OnigurumaToIcu(std::string_view regex) {
  std::string out;
  for (size_t i = 0; i < regex.size(); ++i) {
    if (regex[i] == '\\' && i + 1 < regex.size()) {
      const char next = regex[++i];
      if (next == 's') {
        out += "\\p{White_Space}";
      } else if (next == 'S') {
        out += "\\P{White_Space}";
      } else {
        out += '\\';
        out += next;
      }
    } else {
      out += regex[i];
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<icu::RegexPattern>> CompileRegex(std::string_view regex) {
  const std::string translated = OnigurumaToIcu(regex);
  UParseError parse_error;
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::RegexPattern> compiled(
      icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(translated), 0, parse_error, status));
  if (U_FAILURE(status)) {
    return absl::InvalidArgumentError(absl::StrCat("regex does not compile (", u_errorName(status),
                                                   " at offset ", parse_error.offset, ")"));
  }
  return compiled;
}

}  // namespace

Pattern::~Pattern() = default;

absl::StatusOr<std::unique_ptr<Pattern>> Pattern::FromJson(const Json& json,
                                                           std::string_view path) {
  if (const Json* literal = OptionalMember(json, "String")) {
    if (!literal->is_string()) return FieldError(FieldPath(path, "String"), "not a string");
    return Literal(literal->get<std::string>());
  }
  if (const Json* regex = OptionalMember(json, "Regex")) {
    if (!regex->is_string()) return FieldError(FieldPath(path, "Regex"), "not a string");
    absl::StatusOr<std::unique_ptr<icu::RegexPattern>> compiled =
        CompileRegex(regex->get<std::string>());
    if (!compiled.ok())
      return FieldError(FieldPath(path, "Regex"), std::string(compiled.status().message()));
    auto pattern = std::unique_ptr<Pattern>(new Pattern());
    pattern->regex_ = *std::move(compiled);
    return pattern;
  }
  return FieldError(path, "want {\"String\": ...} or {\"Regex\": ...}");
}

std::unique_ptr<Pattern> Pattern::Literal(std::string literal) {
  auto pattern = std::unique_ptr<Pattern>(new Pattern());
  pattern->literal_ = std::move(literal);
  return pattern;
}

std::unique_ptr<Pattern> Pattern::BuiltinRegex(std::string_view regex) {
  auto pattern = std::unique_ptr<Pattern>(new Pattern());
  pattern->regex_ = *CompileRegex(regex);
  return pattern;
}

std::vector<Span> Pattern::Split(std::string_view text) const {
  std::vector<Span> spans;
  size_t previous = 0;
  const auto add_match = [&](size_t start, size_t end) {
    if (start == end) return;
    if (previous < start) spans.push_back({previous, start, false});
    spans.push_back({start, end, true});
    previous = end;
  };
  if (regex_ == nullptr) {
    if (!literal_.empty()) {
      for (size_t at = text.find(literal_); at != std::string_view::npos;
           at = text.find(literal_, at + literal_.size())) {
        add_match(at, at + literal_.size());
      }
    }
  } else {
    UErrorCode status = U_ZERO_ERROR;
    UText* utext = utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &status);
    std::unique_ptr<icu::RegexMatcher> matcher(regex_->matcher(status));
    if (U_SUCCESS(status)) {
      matcher->reset(utext);
      matcher->setTimeLimit(kMatchTimeLimit, status);
      while (U_SUCCESS(status) && matcher->find(status)) {
        const int64_t start = matcher->start64(status);
        const int64_t end = matcher->end64(status);
        if (U_FAILURE(status)) break;
        add_match(static_cast<size_t>(start), static_cast<size_t>(end));
      }
    }
    utext_close(utext);
  }
  if (previous < text.size()) spans.push_back({previous, text.size(), false});
  return spans;
}

std::string Pattern::ReplaceAll(std::string_view text, std::string_view content) const {
  std::string out;
  out.reserve(text.size());
  for (const Span& span : Split(text)) {
    if (span.matched) {
      out += content;
    } else {
      out += text.substr(span.start, span.end - span.start);
    }
  }
  return out;
}

absl::StatusOr<Replacement> Replacement::FromJson(const Json& json, std::string_view path) {
  absl::StatusOr<const Json*> pattern_json = RequiredMember(json, "pattern", path);
  if (!pattern_json.ok()) return pattern_json.status();
  absl::StatusOr<std::unique_ptr<Pattern>> pattern =
      Pattern::FromJson(**pattern_json, FieldPath(path, "pattern"));
  if (!pattern.ok()) return pattern.status();
  absl::StatusOr<std::string> content = StringMember(json, "content", path);
  if (!content.ok()) return content.status();
  return Replacement{*std::move(pattern), *std::move(content)};
}

}  // namespace ptune::engine::tokenizers

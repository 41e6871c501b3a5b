#include "worker/engine/tokenizers/normalizer.h"

#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "unicode/locid.h"
#include "unicode/normalizer2.h"
#include "unicode/uchar.h"
#include "unicode/unistr.h"
#include "worker/engine/tokenizers/pattern.h"
#include "worker/engine/tokenizers/precompiled_charsmap.h"
#include "worker/engine/tokenizers/utf8.h"

namespace ptune::engine::tokenizers {
namespace {

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps)
      : steps_(std::move(steps)) {}
  std::string Normalize(std::string_view text) const override {
    std::string out(text);
    for (const auto& step : steps_) out = step->Normalize(out);
    return out;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

// HF prepends only to non-empty text.
class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string Normalize(std::string_view text) const override {
    return text.empty() ? std::string() : absl::StrCat(prefix_, std::string(text));
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer final : public Normalizer {
 public:
  explicit ReplaceNormalizer(Replacement replacement) : replacement_(std::move(replacement)) {}
  std::string Normalize(std::string_view text) const override { return replacement_.Apply(text); }

 private:
  Replacement replacement_;
};

// The Unicode normal forms, through ICU's singletons (thread-safe, not owned).
class UnicodeFormNormalizer final : public Normalizer {
 public:
  explicit UnicodeFormNormalizer(const icu::Normalizer2* form) : form_(form) {}
  std::string Normalize(std::string_view text) const override {
    UErrorCode status = U_ZERO_ERROR;
    const icu::UnicodeString normalized =
        form_->normalize(icu::UnicodeString::fromUTF8(
                             icu::StringPiece(text.data(), static_cast<int32_t>(text.size()))),
                         status);
    std::string out;
    if (U_FAILURE(status)) return std::string(text);
    normalized.toUTF8String(out);
    return out;
  }

 private:
  const icu::Normalizer2* form_;
};

// Per code point full lowercase mapping with no context, as Rust's char::to_lowercase
// (so a final capital sigma becomes σ, not ς).
class LowercaseNormalizer final : public Normalizer {
 public:
  std::string Normalize(std::string_view text) const override {
    std::string out;
    out.reserve(text.size());
    for (size_t at = 0; at < text.size();) {
      const size_t length = CodePointLength(text, at);
      icu::UnicodeString one = icu::UnicodeString::fromUTF8(
          icu::StringPiece(text.data() + at, static_cast<int32_t>(length)));
      one.toLower(icu::Locale::getRoot());
      one.toUTF8String(out);
      at += length;
    }
    return out;
  }
};

class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  std::string Normalize(std::string_view text) const override {
    size_t start = 0, end = text.size();
    if (left_) {
      while (start < end && u_isUWhiteSpace(CodePointAt(text, start))) {
        start += CodePointLength(text, start);
      }
    }
    if (right_) {
      while (end > start) {
        size_t last = end - 1;
        while (last > start && (static_cast<uint8_t>(text[last]) & 0xC0) == 0x80) --last;
        if (!u_isUWhiteSpace(CodePointAt(text, last))) break;
        end = last;
      }
    }
    return std::string(text.substr(start, end - start));
  }

 private:
  bool left_, right_;
};

// Drops non-spacing marks (general category Mn), as HF's StripAccents.
class StripAccentsNormalizer final : public Normalizer {
 public:
  std::string Normalize(std::string_view text) const override {
    std::string out;
    for (size_t at = 0; at < text.size();) {
      const size_t length = CodePointLength(text, at);
      if (u_charType(CodePointAt(text, at)) != U_NON_SPACING_MARK) out += text.substr(at, length);
      at += length;
    }
    return out;
  }
};

class PrecompiledNormalizer final : public Normalizer {
 public:
  explicit PrecompiledNormalizer(std::unique_ptr<PrecompiledCharsmap> charsmap)
      : charsmap_(std::move(charsmap)) {}
  std::string Normalize(std::string_view text) const override { return charsmap_->Normalize(text); }

 private:
  std::unique_ptr<PrecompiledCharsmap> charsmap_;
};

absl::StatusOr<const icu::Normalizer2*> UnicodeForm(std::string_view type) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* form = nullptr;
  if (type == "NFC") form = icu::Normalizer2::getNFCInstance(status);
  if (type == "NFD") form = icu::Normalizer2::getNFDInstance(status);
  if (type == "NFKC") form = icu::Normalizer2::getNFKCInstance(status);
  if (type == "NFKD") form = icu::Normalizer2::getNFKDInstance(status);
  if (U_FAILURE(status) || form == nullptr) {
    return absl::InternalError(
        absl::StrCat("ICU ", std::string(type), " normaliser: ", u_errorName(status)));
  }
  return form;
}

absl::StatusOr<std::unique_ptr<Normalizer>> ParseSequence(const Json& json, std::string_view path) {
  absl::StatusOr<std::vector<std::unique_ptr<Normalizer>>> steps =
      ParseComponentList<Normalizer>(json, "normalizers", path, ParseNormalizer);
  if (!steps.ok()) return steps.status();
  return std::make_unique<SequenceNormalizer>(*std::move(steps));
}

absl::StatusOr<std::unique_ptr<Normalizer>> ParsePrecompiled(const Json& json,
                                                             std::string_view path) {
  absl::StatusOr<std::string> encoded = StringMember(json, "precompiled_charsmap", path);
  if (!encoded.ok()) return encoded.status();
  const std::string field = FieldPath(path, "precompiled_charsmap");
  std::string bytes;
  if (!absl::Base64Unescape(*encoded, &bytes)) return FieldError(field, "not base64");
  absl::StatusOr<std::unique_ptr<PrecompiledCharsmap>> charsmap = PrecompiledCharsmap::Parse(bytes);
  if (!charsmap.ok()) return FieldError(field, std::string(charsmap.status().message()));
  return std::make_unique<PrecompiledNormalizer>(*std::move(charsmap));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Normalizer>> ParseNormalizer(const Json& json,
                                                            std::string_view path) {
  absl::StatusOr<std::string> type = ComponentType(json, path);
  if (!type.ok()) return type.status();
  if (*type == "Sequence") return ParseSequence(json, path);
  if (*type == "Prepend") {
    absl::StatusOr<std::string> prefix = StringMember(json, "prepend", path);
    if (!prefix.ok()) return prefix.status();
    return std::make_unique<PrependNormalizer>(*std::move(prefix));
  }
  if (*type == "Replace") {
    absl::StatusOr<Replacement> replacement = Replacement::FromJson(json, path);
    if (!replacement.ok()) return replacement.status();
    return std::make_unique<ReplaceNormalizer>(*std::move(replacement));
  }
  if (*type == "NFC" || *type == "NFD" || *type == "NFKC" || *type == "NFKD") {
    absl::StatusOr<const icu::Normalizer2*> form = UnicodeForm(*type);
    if (!form.ok()) return form.status();
    return std::make_unique<UnicodeFormNormalizer>(*form);
  }
  if (*type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (*type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (*type == "Strip") {
    absl::StatusOr<bool> left = BoolMember(json, "strip_left", path, true);
    if (!left.ok()) return left.status();
    absl::StatusOr<bool> right = BoolMember(json, "strip_right", path, true);
    if (!right.ok()) return right.status();
    return std::make_unique<StripNormalizer>(*left, *right);
  }
  if (*type == "Precompiled") return ParsePrecompiled(json, path);
  return FieldError(FieldPath(path, "type"),
                    absl::StrCat("unsupported normalizer type \"", *type,
                                 "\" (supported: Sequence, Prepend, Replace, NFC, NFD, NFKC, "
                                 "NFKD, Lowercase, Strip, StripAccents, Precompiled)"));
}

}  // namespace ptune::engine::tokenizers

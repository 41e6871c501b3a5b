#include "worker/engine/tokenizers/decoder.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "worker/engine/tokenizers/byte_level.h"
#include "worker/engine/tokenizers/pattern.h"
#include "worker/engine/tokenizers/utf8.h"

namespace ptune::engine::tokenizers {
namespace {

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps)
      : steps_(std::move(steps)) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    for (const auto& step : steps_) tokens = step->DecodeChain(std::move(tokens));
    return tokens;
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

class ReplaceDecoder final : public Decoder {
 public:
  explicit ReplaceDecoder(Replacement replacement) : replacement_(std::move(replacement)) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    for (std::string& token : tokens) token = replacement_.Apply(token);
    return tokens;
  }

 private:
  Replacement replacement_;
};

// Runs of <0xNN> tokens become their bytes when those are valid UTF-8, else one U+FFFD
// per byte token.
class ByteFallbackDecoder final : public Decoder {
 public:
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    size_t byte_tokens = 0;
    const auto flush = [&] {
      if (byte_tokens == 0) return;
      if (LossyUtf8(bytes) == bytes) {
        out.push_back(bytes);
      } else {
        for (size_t i = 0; i < byte_tokens; ++i) out.push_back("\xEF\xBF\xBD");
      }
      bytes.clear();
      byte_tokens = 0;
    };
    for (std::string& token : tokens) {
      if (const std::optional<unsigned char> byte = ByteOf(token)) {
        bytes.push_back(static_cast<char>(*byte));
        ++byte_tokens;
      } else {
        flush();
        out.push_back(std::move(token));
      }
    }
    flush();
    return out;
  }

 private:
  static std::optional<unsigned char> ByteOf(std::string_view token) {
    if (token.size() != 6 || token.substr(0, 3) != "<0x" || token[5] != '>') return std::nullopt;
    int value = 0;
    for (const char c : token.substr(3, 2)) {
      const int digit = (c >= '0' && c <= '9')   ? c - '0'
                        : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                        : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                 : -1;
      if (digit < 0) return std::nullopt;
      value = value * 16 + digit;
    }
    return static_cast<unsigned char>(value);
  }
};

class FuseDecoder final : public Decoder {
 public:
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    return {absl::StrJoin(tokens, "")};
  }
};

// Removes up to `start` leading and `stop` trailing `content` characters from each token.
class StripDecoder final : public Decoder {
 public:
  StripDecoder(char32_t content, size_t start, size_t stop)
      : content_(content), start_(start), stop_(stop) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    for (std::string& token : tokens) {
      std::vector<size_t> offsets;  // code point starts, then the end
      for (size_t at = 0; at < token.size(); at += CodePointLength(token, at))
        offsets.push_back(at);
      const size_t count = offsets.size();
      offsets.push_back(token.size());
      size_t first = 0;
      while (first < start_ && first < count && CodePointAt(token, offsets[first]) == content_)
        ++first;
      size_t last = count;
      for (size_t i = 0; i < stop_ && last > first; ++i) {
        if (CodePointAt(token, offsets[last - 1]) != content_) break;
        --last;
      }
      token = token.substr(offsets[first], offsets[last] - offsets[first]);
    }
    return tokens;
  }

 private:
  char32_t content_;
  size_t start_, stop_;
};

// The replacement character becomes a space, except in the first token when a prefix
// was prepended on encode (HF removes it there).
class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(char32_t replacement, bool strip_first) : strip_first_(strip_first) {
    std::string text;
    AppendUtf8(replacement, &text);
    replacement_ = Pattern::Literal(text);
  }
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = replacement_->ReplaceAll(tokens[i], i == 0 && strip_first_ ? "" : " ");
    }
    return tokens;
  }

 private:
  std::unique_ptr<Pattern> replacement_;
  bool strip_first_;
};

// GPT-2's byte map undone over all tokens at once; a token with a character outside the
// map keeps its own bytes, and the result is read as lossy UTF-8.
class ByteLevelDecoder final : public Decoder {
 public:
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    std::string bytes;
    for (const std::string& token : tokens) {
      std::string mapped;
      bool all_mapped = true;
      for (size_t at = 0; at < token.size() && all_mapped; at += CodePointLength(token, at)) {
        const std::optional<unsigned char> byte = UnicodeToByte(CodePointAt(token, at));
        if (byte) {
          mapped.push_back(static_cast<char>(*byte));
        } else {
          all_mapped = false;
        }
      }
      bytes += all_mapped ? mapped : token;
    }
    return {LossyUtf8(bytes)};
  }
};

// BPE end-of-word suffixes become spaces (none after the last token).
class BpeSuffixDecoder final : public Decoder {
 public:
  explicit BpeSuffixDecoder(std::string suffix) : suffix_(Pattern::Literal(std::move(suffix))) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = suffix_->ReplaceAll(tokens[i], i + 1 == tokens.size() ? "" : " ");
    }
    return tokens;
  }

 private:
  std::unique_ptr<Pattern> suffix_;
};

absl::StatusOr<std::unique_ptr<Decoder>> ParseSequence(const Json& json, std::string_view path) {
  absl::StatusOr<std::vector<std::unique_ptr<Decoder>>> steps =
      ParseComponentList<Decoder>(json, "decoders", path, ParseDecoder);
  if (!steps.ok()) return steps.status();
  return std::make_unique<SequenceDecoder>(*std::move(steps));
}

absl::StatusOr<std::unique_ptr<Decoder>> ParseReplace(const Json& json, std::string_view path) {
  absl::StatusOr<Replacement> replacement = Replacement::FromJson(json, path);
  if (!replacement.ok()) return replacement.status();
  return std::make_unique<ReplaceDecoder>(*std::move(replacement));
}

absl::StatusOr<std::unique_ptr<Decoder>> ParseStrip(const Json& json, std::string_view path) {
  absl::StatusOr<char32_t> content = CharMember(json, "content", path);
  if (!content.ok()) return content.status();
  absl::StatusOr<int64_t> start = IntMember(json, "start", path, 0);
  if (!start.ok()) return start.status();
  absl::StatusOr<int64_t> stop = IntMember(json, "stop", path, 0);
  if (!stop.ok()) return stop.status();
  if (*start < 0 || *stop < 0) return FieldError(path, "start and stop must be >= 0");
  return std::make_unique<StripDecoder>(*content, static_cast<size_t>(*start),
                                        static_cast<size_t>(*stop));
}

absl::StatusOr<std::unique_ptr<Decoder>> ParseMetaspace(const Json& json, std::string_view path) {
  absl::StatusOr<char32_t> replacement = CharMember(json, "replacement", path);
  if (!replacement.ok()) return replacement.status();
  bool strip_first = true;
  if (OptionalMember(json, "prepend_scheme") != nullptr) {
    absl::StatusOr<std::string> scheme = StringMember(json, "prepend_scheme", path);
    if (!scheme.ok()) return scheme.status();
    if (*scheme != "always" && *scheme != "first" && *scheme != "never") {
      return FieldError(FieldPath(path, "prepend_scheme"),
                        absl::StrCat("unknown scheme \"", *scheme, "\" (always, first, never)"));
    }
    strip_first = *scheme != "never";
  } else {
    absl::StatusOr<bool> add = BoolMember(json, "add_prefix_space", path, true);
    if (!add.ok()) return add.status();
    strip_first = *add;
  }
  return std::make_unique<MetaspaceDecoder>(*replacement, strip_first);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Decoder>> ParseDecoder(const Json& json, std::string_view path) {
  absl::StatusOr<std::string> type = ComponentType(json, path);
  if (!type.ok()) return type.status();
  if (*type == "Sequence") return ParseSequence(json, path);
  if (*type == "Replace") return ParseReplace(json, path);
  if (*type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (*type == "Fuse") return std::make_unique<FuseDecoder>();
  if (*type == "Strip") return ParseStrip(json, path);
  if (*type == "Metaspace") return ParseMetaspace(json, path);
  if (*type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (*type == "BPEDecoder") {
    absl::StatusOr<std::string> suffix = StringMember(json, "suffix", path, "</w>");
    if (!suffix.ok()) return suffix.status();
    return std::make_unique<BpeSuffixDecoder>(*std::move(suffix));
  }
  return FieldError(FieldPath(path, "type"),
                    absl::StrCat("unsupported decoder type \"", *type,
                                 "\" (supported: Sequence, Replace, ByteFallback, Fuse, Strip, "
                                 "Metaspace, ByteLevel, BPEDecoder)"));
}

}  // namespace ptune::engine::tokenizers

#include "common/utf8.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ptune {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The length of the well-formed sequence starting at text[i], or 0 when ill-formed.
size_t SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length;
  uint8_t low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

void Check(std::string_view path, const std::string& text, std::vector<std::string>* lines) {
  const std::optional<size_t> bad = FirstInvalidUtf8(text);
  if (!bad) return;
  lines->push_back(absl::StrFormat("%s: must be valid UTF-8 (invalid byte 0x%02X at offset %d)",
                                   path, static_cast<uint8_t>(text[*bad]), *bad));
}

void Walk(const Message& message, const std::string& path, std::vector<std::string>* lines);

void WalkMap(const Message& message, const FieldDescriptor* field, const std::string& path,
             std::vector<std::string>* lines) {
  const Reflection* r = message.GetReflection();
  for (int i = 0; i < r->FieldSize(message, field); ++i) {
    const Message& entry = r->GetRepeatedMessage(message, field, i);
    const FieldDescriptor* key = entry.GetDescriptor()->map_key();
    const FieldDescriptor* value = entry.GetDescriptor()->map_value();
    std::string value_path = absl::StrCat(path, "[", i, "]");
    if (key->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      const std::string k = entry.GetReflection()->GetString(entry, key);
      if (FirstInvalidUtf8(k)) {
        Check(path, k, lines);
        continue;
      }
      value_path = absl::StrCat(path, ".", k);
    }
    if (value->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
        value->type() == FieldDescriptor::TYPE_STRING) {
      Check(value_path, entry.GetReflection()->GetString(entry, value), lines);
    } else if (value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      Walk(entry.GetReflection()->GetMessage(entry, value), value_path, lines);
    }
  }
}

void Walk(const Message& message, const std::string& path, std::vector<std::string>* lines) {
  const Reflection* r = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  for (const FieldDescriptor* f : fields) {
    const std::string field_path = path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    if (f->is_map()) {
      WalkMap(message, f, field_path, lines);
      continue;
    }
    const bool text = f->type() == FieldDescriptor::TYPE_STRING;  // not TYPE_BYTES
    const bool nested = f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (!text && !nested) continue;
    const int count = f->is_repeated() ? r->FieldSize(message, f) : 1;
    for (int i = 0; i < count; ++i) {
      const std::string at = f->is_repeated() ? absl::StrCat(field_path, "[", i, "]") : field_path;
      if (text) {
        Check(at, f->is_repeated() ? r->GetRepeatedString(message, f, i) : r->GetString(message, f),
              lines);
      } else {
        Walk(f->is_repeated() ? r->GetRepeatedMessage(message, f, i) : r->GetMessage(message, f),
             at, lines);
      }
    }
  }
}

}  // namespace

std::optional<size_t> FirstInvalidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = SequenceLength(text, i);
    if (length == 0) return i;
    i += length;
  }
  return std::nullopt;
}

std::vector<std::string> InvalidUtf8Fields(const Message& message) {
  std::vector<std::string> lines;
  Walk(message, "", &lines);
  return lines;
}

std::string QuoteForMessage(std::string_view text, size_t max_bytes) {
  std::string out = "\"";
  size_t i = 0;
  while (i < text.size() && i < max_bytes) {
    const size_t length = SequenceLength(text, i);
    const auto byte = static_cast<uint8_t>(text[i]);
    if (length == 0 || byte < 0x20 || byte == 0x7F) {
      absl::StrAppendFormat(&out, "\\x%02x", byte);
      ++i;
    } else if (i + length > max_bytes) {
      break;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  if (i < text.size()) out += "...";
  return out + "\"";
}

}  // namespace ptune

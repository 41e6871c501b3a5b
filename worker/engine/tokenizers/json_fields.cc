#include "worker/engine/tokenizers/json_fields.h"

#include "absl/strings/str_cat.h"
#include "worker/engine/tokenizers/utf8.h"

namespace ptune::engine::tokenizers {

absl::Status FieldError(std::string_view path, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("field `", std::string(path), "`: ", std::string(what)));
}

std::string FieldPath(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key)
                        : absl::StrCat(std::string(parent), ".", std::string(key));
}

std::string IndexPath(std::string_view parent, size_t index) {
  return absl::StrCat(std::string(parent), "[", index, "]");
}

const Json* OptionalMember(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::StatusOr<const Json*> RequiredMember(const Json& object, std::string_view key,
                                           std::string_view path) {
  const Json* member = OptionalMember(object, key);
  if (member == nullptr) return FieldError(FieldPath(path, key), "missing");
  return member;
}

absl::StatusOr<std::string> StringMember(const Json& object, std::string_view key,
                                         std::string_view path) {
  absl::StatusOr<const Json*> member = RequiredMember(object, key, path);
  if (!member.ok()) return member.status();
  if (!(*member)->is_string()) return FieldError(FieldPath(path, key), "not a string");
  return (*member)->get<std::string>();
}

absl::StatusOr<std::string> StringMember(const Json& object, std::string_view key,
                                         std::string_view path, std::string_view fallback) {
  if (OptionalMember(object, key) == nullptr) return std::string(fallback);
  return StringMember(object, key, path);
}

absl::StatusOr<bool> BoolMember(const Json& object, std::string_view key, std::string_view path,
                                bool fallback) {
  const Json* member = OptionalMember(object, key);
  if (member == nullptr) return fallback;
  if (!member->is_boolean()) return FieldError(FieldPath(path, key), "not a boolean");
  return member->get<bool>();
}

absl::StatusOr<int64_t> IntMember(const Json& object, std::string_view key, std::string_view path) {
  absl::StatusOr<const Json*> member = RequiredMember(object, key, path);
  if (!member.ok()) return member.status();
  if (!(*member)->is_number_integer()) return FieldError(FieldPath(path, key), "not an integer");
  return (*member)->get<int64_t>();
}

absl::StatusOr<int64_t> IntMember(const Json& object, std::string_view key, std::string_view path,
                                  int64_t fallback) {
  if (OptionalMember(object, key) == nullptr) return fallback;
  return IntMember(object, key, path);
}

absl::StatusOr<char32_t> CharMember(const Json& object, std::string_view key,
                                    std::string_view path) {
  absl::StatusOr<std::string> text = StringMember(object, key, path);
  if (!text.ok()) return text.status();
  if (text->empty() || LossyUtf8(*text) != *text || CodePointLength(*text, 0) != text->size()) {
    return FieldError(FieldPath(path, key), "must be exactly one character");
  }
  return CodePointAt(*text, 0);
}

absl::StatusOr<std::string> ComponentType(const Json& component, std::string_view path) {
  if (!component.is_object()) return FieldError(path, "not an object");
  return StringMember(component, "type", path);
}

}  // namespace ptune::engine::tokenizers

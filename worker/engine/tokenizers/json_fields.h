#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_JSON_FIELDS_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_JSON_FIELDS_H_

// Typed reads of tokenizer.json fields. tokenizer.json comes from users, so every read is
// checked and a failure is INVALID_ARGUMENT naming the field by its path
// ("pre_tokenizer.pretokenizers[1].pattern"). Never throws.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ptune::engine::tokenizers {

using Json = nlohmann::json;

// "`path`: what" as INVALID_ARGUMENT.
absl::Status FieldError(std::string_view path, std::string_view what);

// "parent.key" (or "key" at the top).
std::string FieldPath(std::string_view parent, std::string_view key);
// "parent[index]".
std::string IndexPath(std::string_view parent, size_t index);

// The member `key` of the object `object`, or nullptr when it is absent or null.
const Json* OptionalMember(const Json& object, std::string_view key);
// The member `key`; an error naming it when absent or null.
absl::StatusOr<const Json*> RequiredMember(const Json& object, std::string_view key,
                                           std::string_view path);

// Typed members; the defaulted forms accept an absent or null member.
absl::StatusOr<std::string> StringMember(const Json& object, std::string_view key,
                                         std::string_view path);
absl::StatusOr<std::string> StringMember(const Json& object, std::string_view key,
                                         std::string_view path, std::string_view fallback);
absl::StatusOr<bool> BoolMember(const Json& object, std::string_view key, std::string_view path,
                                bool fallback);
absl::StatusOr<int64_t> IntMember(const Json& object, std::string_view key, std::string_view path);
absl::StatusOr<int64_t> IntMember(const Json& object, std::string_view key, std::string_view path,
                                  int64_t fallback);
// A member that must hold exactly one character (Metaspace's replacement, Strip's content).
absl::StatusOr<char32_t> CharMember(const Json& object, std::string_view key,
                                    std::string_view path);

// The "type" of a component object; an error when `component` is not an object with one.
absl::StatusOr<std::string> ComponentType(const Json& component, std::string_view path);

// The components of a Sequence: the array member `key`, each element parsed by
// `parse(element, "path.key[i]")` (which returns StatusOr<std::unique_ptr<T>>).
template <typename T, typename Parse>
absl::StatusOr<std::vector<std::unique_ptr<T>>> ParseComponentList(const Json& json,
                                                                   std::string_view key,
                                                                   std::string_view path,
                                                                   Parse parse) {
  const std::string list_path = FieldPath(path, key);
  absl::StatusOr<const Json*> list = RequiredMember(json, key, path);
  if (!list.ok()) return list.status();
  if (!(*list)->is_array()) return FieldError(list_path, "not an array");
  std::vector<std::unique_ptr<T>> components;
  for (size_t i = 0; i < (*list)->size(); ++i) {
    absl::StatusOr<std::unique_ptr<T>> component = parse((**list)[i], IndexPath(list_path, i));
    if (!component.ok()) return component.status();
    components.push_back(*std::move(component));
  }
  return components;
}

}  // namespace ptune::engine::tokenizers

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_JSON_FIELDS_H_

#include "worker/engine/tokenizers/model.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "worker/engine/tokenizers/bpe_model.h"
#include "worker/engine/tokenizers/unigram_model.h"

namespace ptune::engine::tokenizers {

std::string ByteFallbackToken(unsigned char byte) {
  char text[8];
  std::snprintf(text, sizeof(text), "<0x%02X>", byte);
  return text;
}

std::optional<std::vector<int64_t>> ByteFallbackIds(
    const absl::flat_hash_map<std::string, int32_t>& vocab, std::string_view text) {
  std::vector<int64_t> ids;
  for (const char b : text) {
    const auto it = vocab.find(ByteFallbackToken(static_cast<unsigned char>(b)));
    if (it == vocab.end()) return std::nullopt;
    ids.push_back(it->second);
  }
  return ids;
}

absl::StatusOr<std::unique_ptr<Model>> ParseModel(const Json& json, std::string_view path) {
  if (!json.is_object()) return FieldError(path, "not an object");
  std::string type;
  if (OptionalMember(json, "type") != nullptr) {
    absl::StatusOr<std::string> named = StringMember(json, "type", path);
    if (!named.ok()) return named.status();
    type = *named;
  } else if (OptionalMember(json, "merges") != nullptr) {
    type = "BPE";
  } else if (const Json* vocab = OptionalMember(json, "vocab"); vocab && vocab->is_array()) {
    type = "Unigram";
  }
  if (type == "BPE") {
    absl::StatusOr<std::unique_ptr<BpeModel>> model = BpeModel::FromJson(json, path);
    if (!model.ok()) return model.status();
    return std::unique_ptr<Model>(*std::move(model));
  }
  if (type == "Unigram") {
    absl::StatusOr<std::unique_ptr<UnigramModel>> model = UnigramModel::FromJson(json, path);
    if (!model.ok()) return model.status();
    return std::unique_ptr<Model>(*std::move(model));
  }
  return FieldError(FieldPath(path, "type"), absl::StrCat("unsupported model type \"", type,
                                                          "\" (supported: BPE, Unigram)"));
}

}  // namespace ptune::engine::tokenizers

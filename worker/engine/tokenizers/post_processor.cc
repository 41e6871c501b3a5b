#include "worker/engine/tokenizers/post_processor.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "worker/engine/tokenizers/model.h"

namespace ptune::engine::tokenizers {
namespace {

class PassThroughProcessor final : public PostProcessor {
 public:
  size_t AddedTokens(bool) const override { return 0; }
  std::vector<Encoding> Process(std::vector<Encoding> sequences, bool) const override {
    return sequences;
  }
};

class SequenceProcessor final : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> steps)
      : steps_(std::move(steps)) {}
  size_t AddedTokens(bool pair) const override {
    size_t added = 0;
    for (const auto& step : steps_) added += step->AddedTokens(pair);
    return added;
  }
  std::vector<Encoding> Process(std::vector<Encoding> sequences,
                                bool add_special_tokens) const override {
    for (const auto& step : steps_)
      sequences = step->Process(std::move(sequences), add_special_tokens);
    return sequences;
  }
  std::vector<int64_t> SingleLeadingIds() const override {
    for (const auto& step : steps_) {
      if (std::vector<int64_t> ids = step->SingleLeadingIds(); !ids.empty()) return ids;
    }
    return {};
  }
  std::vector<int64_t> SingleTrailingIds() const override {
    for (const auto& step : steps_) {
      if (std::vector<int64_t> ids = step->SingleTrailingIds(); !ids.empty()) return ids;
    }
    return {};
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

// One element of a template: sequence A/B (index 0/1) or a special token's ids.
struct TemplatePiece {
  int sequence = -1;  // 0 or 1; -1 for a special token
  std::vector<int64_t> special_ids;
  int32_t type_id = 0;
};
using Template = std::vector<TemplatePiece>;

class TemplateProcessor final : public PostProcessor {
 public:
  TemplateProcessor(Template single, Template pair)
      : single_(std::move(single)), pair_(std::move(pair)) {}

  size_t AddedTokens(bool pair) const override {
    size_t added = 0;
    for (const TemplatePiece& piece : pair ? pair_ : single_) added += piece.special_ids.size();
    return added;
  }

  std::vector<Encoding> Process(std::vector<Encoding> sequences,
                                bool add_special_tokens) const override {
    const Template& used = sequences.size() == 2 ? pair_ : single_;
    Encoding joined;
    for (const TemplatePiece& piece : used) {
      if (piece.sequence >= 0) {
        if (piece.sequence >= static_cast<int>(sequences.size())) continue;
        Encoding part = sequences[piece.sequence];
        part.type_ids.assign(part.size(), piece.type_id);
        joined.Append(part);
      } else if (add_special_tokens) {
        const size_t n = piece.special_ids.size();
        joined.Append({piece.special_ids, std::vector<int32_t>(n, piece.type_id),
                       std::vector<uint8_t>(n, 1), std::vector<uint8_t>(n, 1)});
      }
    }
    return {std::move(joined)};
  }

  std::vector<int64_t> SingleLeadingIds() const override { return SpecialIds(true); }
  std::vector<int64_t> SingleTrailingIds() const override { return SpecialIds(false); }

 private:
  // The special ids before (leading) or after sequence A in the single template.
  std::vector<int64_t> SpecialIds(bool leading) const {
    std::vector<int64_t> ids;
    bool seen_sequence = false;
    for (const TemplatePiece& piece : single_) {
      if (piece.sequence >= 0) {
        seen_sequence = true;
      } else if (leading != seen_sequence) {
        ids.insert(ids.end(), piece.special_ids.begin(), piece.special_ids.end());
      }
    }
    return ids;
  }

  Template single_, pair_;
};

using SpecialTokens = absl::flat_hash_map<std::string, std::vector<int64_t>>;

absl::StatusOr<SpecialTokens> ParseSpecialTokens(const Json& json, std::string_view path) {
  SpecialTokens specials;
  const Json* map = OptionalMember(json, "special_tokens");
  if (map == nullptr) return specials;
  const std::string map_path = FieldPath(path, "special_tokens");
  if (!map->is_object()) return FieldError(map_path, "not an object");
  for (const auto& [name, token] : map->items()) {
    const std::string token_path = FieldPath(map_path, name);
    absl::StatusOr<const Json*> ids = RequiredMember(token, "ids", token_path);
    if (!ids.ok()) return ids.status();
    if (!(*ids)->is_array()) return FieldError(FieldPath(token_path, "ids"), "not an array");
    std::vector<int64_t>& out = specials[name];
    for (const Json& id : **ids) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > kMaxTokenId) {
        return FieldError(FieldPath(token_path, "ids"), "ids must be integers in range");
      }
      out.push_back(id.get<int64_t>());
    }
  }
  return specials;
}

absl::StatusOr<Template> ParseTemplate(const Json& json, std::string_view key,
                                       std::string_view path, const SpecialTokens& specials) {
  const std::string template_path = FieldPath(path, key);
  Template out;
  const Json* list = OptionalMember(json, key);
  if (list == nullptr) return out;
  if (!list->is_array()) return FieldError(template_path, "not an array");
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string item_path = IndexPath(template_path, i);
    const Json& item = (*list)[i];
    TemplatePiece piece;
    const Json* body = nullptr;
    std::string body_path;
    if ((body = OptionalMember(item, "Sequence")) != nullptr) {
      body_path = FieldPath(item_path, "Sequence");
      absl::StatusOr<std::string> id = StringMember(*body, "id", body_path);
      if (!id.ok()) return id.status();
      if (*id != "A" && *id != "B") return FieldError(FieldPath(body_path, "id"), "not A or B");
      piece.sequence = *id == "A" ? 0 : 1;
    } else if ((body = OptionalMember(item, "SpecialToken")) != nullptr) {
      body_path = FieldPath(item_path, "SpecialToken");
      absl::StatusOr<std::string> id = StringMember(*body, "id", body_path);
      if (!id.ok()) return id.status();
      const auto it = specials.find(*id);
      if (it == specials.end()) {
        return FieldError(FieldPath(body_path, "id"),
                          absl::StrCat("\"", *id, "\" is not in special_tokens"));
      }
      piece.special_ids = it->second;
    } else {
      return FieldError(item_path, "want {\"Sequence\": ...} or {\"SpecialToken\": ...}");
    }
    absl::StatusOr<int64_t> type_id = IntMember(*body, "type_id", body_path, 0);
    if (!type_id.ok()) return type_id.status();
    if (*type_id < 0 || *type_id > 255)
      return FieldError(FieldPath(body_path, "type_id"), "out of range");
    piece.type_id = static_cast<int32_t>(*type_id);
    out.push_back(std::move(piece));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<PostProcessor>> ParseTemplateProcessing(const Json& json,
                                                                       std::string_view path) {
  absl::StatusOr<SpecialTokens> specials = ParseSpecialTokens(json, path);
  if (!specials.ok()) return specials.status();
  absl::StatusOr<Template> single = ParseTemplate(json, "single", path, *specials);
  if (!single.ok()) return single.status();
  absl::StatusOr<Template> pair = ParseTemplate(json, "pair", path, *specials);
  if (!pair.ok()) return pair.status();
  return std::make_unique<TemplateProcessor>(*std::move(single), *std::move(pair));
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostProcessor>> ParsePostProcessor(const Json& json,
                                                                  std::string_view path) {
  absl::StatusOr<std::string> type = ComponentType(json, path);
  if (!type.ok()) return type.status();
  if (*type == "TemplateProcessing") return ParseTemplateProcessing(json, path);
  if (*type == "ByteLevel") return std::make_unique<PassThroughProcessor>();
  if (*type == "Sequence") {
    absl::StatusOr<std::vector<std::unique_ptr<PostProcessor>>> steps =
        ParseComponentList<PostProcessor>(json, "processors", path, ParsePostProcessor);
    if (!steps.ok()) return steps.status();
    return std::make_unique<SequenceProcessor>(*std::move(steps));
  }
  return FieldError(FieldPath(path, "type"),
                    absl::StrCat("unsupported post_processor type \"", *type,
                                 "\" (supported: TemplateProcessing, ByteLevel, Sequence)"));
}

}  // namespace ptune::engine::tokenizers

#include "common/yaml_to_proto.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "yaml-cpp/yaml.h"

namespace ptune {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Upper-case prefix shared by an enum's value names ("METHOD_" for Method): taken from
// the `<PREFIX>_UNSPECIFIED` value that every ptune enum has, else none.
std::string EnumPrefix(const EnumDescriptor& type) {
  for (int i = 0; i < type.value_count(); ++i) {
    const std::string& name = type.value(i)->name();
    if (absl::EndsWith(name, "_UNSPECIFIED")) {
      return name.substr(0, name.size() - std::string("UNSPECIFIED").size());
    }
  }
  return "";
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string JoinPath(const std::string& parent, absl::string_view child) {
  return parent.empty() ? std::string(child) : absl::StrCat(parent, ".", child);
}

// How a node is shown after "got" in an error.
std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return absl::StrCat("\"", node.Scalar(), "\"");
    default:
      return "nothing";
  }
}

// Stores `value` in a singular field or appends it to a repeated one.
void Put(Message* m, const FieldDescriptor* f, int64_t v) {
  const Reflection* r = m->GetReflection();
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
    f->is_repeated() ? r->AddInt32(m, f, static_cast<int32_t>(v))
                     : r->SetInt32(m, f, static_cast<int32_t>(v));
  } else {
    f->is_repeated() ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
  }
}
void PutUnsigned(Message* m, const FieldDescriptor* f, uint64_t v) {
  const Reflection* r = m->GetReflection();
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32) {
    f->is_repeated() ? r->AddUInt32(m, f, static_cast<uint32_t>(v))
                     : r->SetUInt32(m, f, static_cast<uint32_t>(v));
  } else {
    f->is_repeated() ? r->AddUInt64(m, f, v) : r->SetUInt64(m, f, v);
  }
}
void Put(Message* m, const FieldDescriptor* f, double v) {
  const Reflection* r = m->GetReflection();
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
    f->is_repeated() ? r->AddFloat(m, f, static_cast<float>(v))
                     : r->SetFloat(m, f, static_cast<float>(v));
  } else {
    f->is_repeated() ? r->AddDouble(m, f, v) : r->SetDouble(m, f, v);
  }
}
void Put(Message* m, const FieldDescriptor* f, bool v) {
  const Reflection* r = m->GetReflection();
  f->is_repeated() ? r->AddBool(m, f, v) : r->SetBool(m, f, v);
}
void Put(Message* m, const FieldDescriptor* f, const std::string& v) {
  const Reflection* r = m->GetReflection();
  f->is_repeated() ? r->AddString(m, f, v) : r->SetString(m, f, v);
}
void Put(Message* m, const FieldDescriptor* f, const EnumValueDescriptor* v) {
  const Reflection* r = m->GetReflection();
  f->is_repeated() ? r->AddEnum(m, f, v) : r->SetEnum(m, f, v);
}

// Reads a YAML/JSON number, including YAML's `.nan`/`.inf` spellings.
bool ParseReal(const std::string& text, double* out) {
  std::string lower = absl::AsciiStrToLower(text);
  absl::string_view body = lower;
  double sign = 1;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    sign = body[0] == '-' ? -1 : 1;
    body.remove_prefix(1);
  }
  if (body == ".nan" || body == "nan") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (body == ".inf" || body == "inf" || body == "infinity") {
    *out = sign * std::numeric_limits<double>::infinity();
    return true;
  }
  return absl::SimpleAtod(text, out);
}

struct IntRange {
  absl::string_view type;
  long double min;
  long double max;
};

IntRange RangeOf(const FieldDescriptor& f) {
  switch (f.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return {"int32", std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
    case FieldDescriptor::CPPTYPE_UINT32:
      return {"uint32", 0, std::numeric_limits<uint32_t>::max()};
    case FieldDescriptor::CPPTYPE_INT64:
      return {"int64", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
    default:
      return {"uint64", 0, std::numeric_limits<uint64_t>::max()};
  }
}

class YamlWalker {
 public:
  explicit YamlWalker(absl::string_view source) : source_(source) {}

  absl::Status FillMessage(const YAML::Node& node, const std::string& path, Message* message);

 private:
  absl::Status FillField(const YAML::Node& value, const std::string& path,
                         const FieldDescriptor* field, Message* message);
  absl::Status FillMap(const YAML::Node& value, const std::string& path,
                       const FieldDescriptor* field, Message* message);
  absl::Status FillScalar(const YAML::Node& value, const std::string& path,
                          const FieldDescriptor* field, Message* message);
  absl::Status FillInteger(const YAML::Node& value, const std::string& path,
                           const FieldDescriptor* field, Message* message);
  absl::Status FillEnum(const YAML::Node& value, const std::string& path,
                        const FieldDescriptor* field, Message* message);
  absl::Status UnknownField(const YAML::Node& key, const std::string& path,
                            const Descriptor& type) const;
  absl::Status Error(const YAML::Node& at, const std::string& path, absl::string_view problem,
                     const YAML::Node& got) const;
  absl::Status Error(const YAML::Node& at, const std::string& path,
                     absl::string_view problem) const;

  std::string source_;
};

absl::Status YamlWalker::Error(const YAML::Node& at, const std::string& path,
                               absl::string_view problem) const {
  std::string where = source_;
  const YAML::Mark mark = at.Mark();
  if (mark.line >= 0) absl::StrAppend(&where, ":", mark.line + 1, ":", mark.column + 1);
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", path, ": ", problem));
}

absl::Status YamlWalker::Error(const YAML::Node& at, const std::string& path,
                               absl::string_view problem, const YAML::Node& got) const {
  return Error(at, path, absl::StrCat(problem, " (got ", Describe(got), ")"));
}

const FieldDescriptor* FindField(const Descriptor& type, const std::string& key) {
  if (const FieldDescriptor* f = type.FindFieldByName(key)) return f;
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == key) return type.field(i);
  }
  return nullptr;
}

absl::Status YamlWalker::UnknownField(const YAML::Node& key, const std::string& path,
                                      const Descriptor& type) const {
  std::vector<std::string> names;
  std::string closest;
  size_t best = 3;  // suggest only names within two edits
  for (int i = 0; i < type.field_count(); ++i) {
    const std::string& name = type.field(i)->name();
    names.push_back(name);
    size_t d = EditDistance(absl::AsciiStrToLower(key.Scalar()), name);
    if (d < best) best = d, closest = name;
  }
  std::string hint = closest.empty() ? absl::StrCat("known fields: ", absl::StrJoin(names, ", "))
                                     : absl::StrCat("did you mean \"", closest, "\"?");
  return Error(key, path, absl::StrCat("unknown field; ", hint));
}

absl::Status YamlWalker::FillMessage(const YAML::Node& node, const std::string& path,
                                     Message* message) {
  if (!node.IsMap()) {
    return Error(node, path.empty() ? "(document)" : path, "expected a mapping of fields", node);
  }
  const Descriptor& type = *message->GetDescriptor();
  std::set<int> seen;
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    std::string key_path = JoinPath(path, key.IsScalar() ? key.Scalar() : "?");
    if (!key.IsScalar()) return Error(key, key_path, "field names must be plain words", key);
    const FieldDescriptor* field = FindField(type, key.Scalar());
    if (field == nullptr) return UnknownField(key, key_path, type);
    std::string field_path = JoinPath(path, field->name());
    if (!seen.insert(field->number()).second) return Error(key, field_path, "duplicate field");
    if (const auto* oneof = field->containing_oneof()) {
      const FieldDescriptor* set =
          message->GetReflection()->GetOneofFieldDescriptor(*message, oneof);
      if (set != nullptr) {
        return Error(key, field_path,
                     absl::StrCat("conflicts with ", set->name(), " (one of ", oneof->name(), ")"));
      }
    }
    if (entry.second.IsNull()) continue;  // `key:` with no value leaves the field unset
    absl::Status status = FillField(entry.second, field_path, field, message);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status YamlWalker::FillField(const YAML::Node& value, const std::string& path,
                                   const FieldDescriptor* field, Message* message) {
  if (field->is_map()) return FillMap(value, path, field, message);
  if (!field->is_repeated()) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return FillMessage(value, path, message->GetReflection()->MutableMessage(message, field));
    }
    return FillScalar(value, path, field, message);
  }
  if (!value.IsSequence()) return Error(value, path, "expected a list", value);
  for (size_t i = 0; i < value.size(); ++i) {
    const YAML::Node element = value[i];
    std::string element_path = absl::StrCat(path, "[", i, "]");
    absl::Status status = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
                              ? FillMessage(element, element_path,
                                            message->GetReflection()->AddMessage(message, field))
                              : FillScalar(element, element_path, field, message);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status YamlWalker::FillMap(const YAML::Node& value, const std::string& path,
                                 const FieldDescriptor* field, Message* message) {
  if (!value.IsMap()) return Error(value, path, "expected a mapping", value);
  const FieldDescriptor* key_field = field->message_type()->map_key();
  const FieldDescriptor* value_field = field->message_type()->map_value();
  std::set<std::string> seen;
  for (const auto& entry : value) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) return Error(key, path, "map keys must be scalars", key);
    std::string entry_path = JoinPath(path, key.Scalar());
    if (!seen.insert(key.Scalar()).second) return Error(key, entry_path, "duplicate key");
    Message* item = message->GetReflection()->AddMessage(message, field);
    absl::Status status = FillScalar(key, entry_path, key_field, item);
    if (status.ok() && !entry.second.IsNull()) {
      status = FillField(entry.second, entry_path, value_field, item);
    }
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status YamlWalker::FillScalar(const YAML::Node& value, const std::string& path,
                                    const FieldDescriptor* field, Message* message) {
  if (!value.IsScalar()) {
    return Error(value, path, absl::StrCat("expected a ", field->type_name()), value);
  }
  const std::string& text = value.Scalar();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return FillInteger(value, path, field, message);
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double v = 0;
      if (!ParseReal(text, &v)) return Error(value, path, "expected a number", value);
      bool is_float = field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT;
      if (is_float && std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max()) {
        return Error(value, path, "out of range for a float", value);
      }
      Put(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      std::string lower = absl::AsciiStrToLower(text);
      if (lower != "true" && lower != "false") {
        return Error(value, path, "expected true or false", value);
      }
      Put(message, field, lower == "true");
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM:
      return FillEnum(value, path, field, message);
    case FieldDescriptor::CPPTYPE_STRING:
      Put(message, field, text);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return Error(value, path, "expected a mapping", value);
}

absl::Status YamlWalker::FillInteger(const YAML::Node& value, const std::string& path,
                                     const FieldDescriptor* field, Message* message) {
  const std::string& text = value.Scalar();
  const IntRange range = RangeOf(*field);
  int64_t signed_value = 0;
  uint64_t unsigned_value = 0;  // only for values above int64's range
  bool above_int64 = false;
  long double v = 0;
  if (absl::SimpleAtoi(text, &signed_value)) {
    v = signed_value;
  } else if (absl::SimpleAtoi(text, &unsigned_value)) {
    v = unsigned_value;
    above_int64 = true;
  } else {
    // Whole numbers in exponent form ("1e3") are accepted, as the proto JSON parser does.
    double real = 0;
    if (!ParseReal(text, &real) || !std::isfinite(real) || std::trunc(real) != real) {
      return Error(value, path, "expected an integer", value);
    }
    v = real;
  }
  if (v < range.min || v > range.max) {
    return Error(
        value, path,
        absl::StrCat("out of range for ", range.type, " [", static_cast<int64_t>(range.min), ", ",
                     static_cast<uint64_t>(range.max), "]"),
        value);
  }
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_UINT32 ||
      field->cpp_type() == FieldDescriptor::CPPTYPE_UINT64) {
    PutUnsigned(message, field, above_int64 ? unsigned_value : static_cast<uint64_t>(v));
  } else {
    Put(message, field, static_cast<int64_t>(v));
  }
  return absl::OkStatus();
}

absl::Status YamlWalker::FillEnum(const YAML::Node& value, const std::string& path,
                                  const FieldDescriptor* field, Message* message) {
  const EnumDescriptor& type = *field->enum_type();
  const std::string upper = absl::AsciiStrToUpper(value.Scalar());
  const std::string prefix = EnumPrefix(type);
  const EnumValueDescriptor* match = type.FindValueByName(upper);
  if (match == nullptr) match = type.FindValueByName(prefix + upper);
  int number = 0;
  if (match == nullptr && absl::SimpleAtoi(value.Scalar(), &number)) {
    match = type.FindValueByNumber(number);
  }
  if (match != nullptr) {
    Put(message, field, match);
    return absl::OkStatus();
  }
  std::vector<std::string> allowed;
  for (int i = 0; i < type.value_count(); ++i) {
    if (type.value(i)->number() != 0) allowed.push_back(ShortEnumName(*type.value(i)));
  }
  return Error(value, path,
               absl::StrCat("unknown value; expected one of ", absl::StrJoin(allowed, ", ")),
               value);
}

}  // namespace

std::string ShortEnumName(const EnumValueDescriptor& value) {
  std::string name = value.name();
  std::string prefix = EnumPrefix(*value.type());
  if (absl::StartsWith(name, prefix)) name.erase(0, prefix.size());
  return absl::AsciiStrToLower(name);
}

absl::Status ParseYamlToProto(std::string_view text, std::string_view source_name,
                              Message* message) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    std::string where(source_name);
    if (e.mark.line >= 0) absl::StrAppend(&where, ":", e.mark.line + 1, ":", e.mark.column + 1);
    return absl::InvalidArgumentError(absl::StrCat(where, ": not valid YAML or JSON: ", e.msg));
  }
  if (!root.IsDefined() || root.IsNull()) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(source_name), ": the document is empty; expected a mapping of fields"));
  }
  YamlWalker walker(absl::string_view(source_name.data(), source_name.size()));
  try {
    return walker.FillMessage(root, "", message);
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws only on misuse of a node; surface it rather than crash.
    return absl::InvalidArgumentError(absl::StrCat(std::string(source_name), ": ", e.what()));
  }
}

}  // namespace ptune

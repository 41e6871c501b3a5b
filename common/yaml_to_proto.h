#ifndef PTUNE_COMMON_YAML_TO_PROTO_H_
#define PTUNE_COMMON_YAML_TO_PROTO_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace ptune {

// Parses `text` (YAML 1.2; JSON documents are YAML too, so one parser and one set of
// error messages serve both) into `message`, walking the message with protobuf
// reflection.
//
// Accepted input, per field kind:
//   * messages: a mapping; keys are the proto field names (snake_case) or their JSON
//     names (lowerCamelCase), so the protobuf JSON mapping of the message is accepted.
//   * repeated fields: a sequence; map fields: a mapping of scalar keys.
//   * integers: decimal, in the field type's range (quoted is fine, as in proto JSON).
//   * floating point: decimal or exponent; `nan`, `inf`, `.nan`, `.inf` are read as such
//     (range and finiteness are the validator's business) but a finite value outside a
//     float field's range is rejected.
//   * bool: true/false in any case.
//   * enums: the value name in any case, with or without the enum's prefix
//     (`ept` == `METHOD_EPT`), or its number.
//   * null (an empty value) leaves the field unset.
// Unknown fields, duplicate keys, wrong kinds, out-of-range integers and unknown enum
// values fail with INVALID_ARGUMENT whose message is
//   "<source_name>:<line>:<column>: <field.path>: <problem> (got <value>)"
// where the path names repeated elements `labels[2]` and map entries
// `verbalizers.positive`. YAML syntax errors give the source position as well.
// On failure `message` holds a partial parse and should be discarded.
absl::Status ParseYamlToProto(std::string_view text, std::string_view source_name,
                              google::protobuf::Message* message);

// The canonical spelling an enum value may be written in: the value name without the
// enum's common prefix, lower case ("METHOD_EPT" -> "ept"). Used by error messages and
// by ptunectl's output.
std::string ShortEnumName(const google::protobuf::EnumValueDescriptor& value);

}  // namespace ptune

#endif  // PTUNE_COMMON_YAML_TO_PROTO_H_

#ifndef PTUNE_COMMON_UTF8_H_
#define PTUNE_COMMON_UTF8_H_

// UTF-8 checks for texts that come from users (spec files, gRPC requests built in
// process). Protobuf `string` fields must hold UTF-8: a message with invalid bytes fails
// to parse on the other side of the wire, far from the field that caused it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/message.h"

namespace ptune {

// The offset of the first byte that is not part of a well-formed UTF-8 sequence
// (overlong forms, surrogates and code points above U+10FFFF are ill-formed), or nullopt
// when `text` is valid UTF-8.
std::optional<size_t> FirstInvalidUtf8(std::string_view text);

// One "<field.path>: must be valid UTF-8 (invalid byte 0xNN at offset N)" line per string
// field of `message` (recursively, repeated and map fields included) that is not. Paths
// are proto field names joined by '.', repeated elements as "[i]", map values as
// ".<key>"; an invalid map key is reported on the map's path.
std::vector<std::string> InvalidUtf8Fields(const google::protobuf::Message& message);

// `text` for an error message: quoted, cut to `max_bytes` (on a character boundary)
// with "..." when longer, invalid UTF-8 and control bytes hex-escaped (\xNN).
std::string QuoteForMessage(std::string_view text, size_t max_bytes = 80);

}  // namespace ptune

#endif  // PTUNE_COMMON_UTF8_H_

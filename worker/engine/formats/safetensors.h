#ifndef PTUNE_WORKER_ENGINE_FORMATS_SAFETENSORS_H_
#define PTUNE_WORKER_ENGINE_FORMATS_SAFETENSORS_H_

// Minimal safetensors (huggingface/safetensors) writer and reader for the engine's
// artifacts: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}} padded with spaces to
// a multiple of 8, then the raw little-endian tensor bytes. Torch-free.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ptune::engine {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // "F32", "BF16", "I64", ...
  std::vector<int64_t> shape;
  std::string bytes;  // row-major, little-endian
};

struct SafetensorsFile {
  std::vector<SafetensorsEntry> tensors;  // written in this order
  std::map<std::string, std::string> metadata;
};

// Serializes `file`. Entries' byte sizes are not checked against shape x dtype here;
// EncodeSafetensors is given what the caller built.
std::string EncodeSafetensors(const SafetensorsFile& file);

// Parses bytes written by any safetensors writer. INVALID_ARGUMENT (naming `source`) for
// a truncated file, a malformed header or offsets outside the data.
absl::StatusOr<SafetensorsFile> DecodeSafetensors(const std::string& bytes,
                                                  const std::string& source);

// Bytes of one element of a safetensors dtype, 0 when unknown.
int DtypeSize(const std::string& dtype);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_FORMATS_SAFETENSORS_H_

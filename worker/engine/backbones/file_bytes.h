#ifndef PTUNE_WORKER_ENGINE_BACKBONES_FILE_BYTES_H_
#define PTUNE_WORKER_ENGINE_BACKBONES_FILE_BYTES_H_

// Whole-file reads and writes for model files, with errors that name the path.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ptune::engine {

// The bytes of `path`. NOT_FOUND when it does not exist, PERMISSION_DENIED when it cannot
// be opened, DATA_LOSS when the read stops early.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path);

// Writes `bytes` to `path` through a temporary file renamed into place, so readers never
// see a partial file. INTERNAL naming the path on failure.
absl::Status WriteFileBytes(const std::string& path, std::string_view bytes);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_BACKBONES_FILE_BYTES_H_

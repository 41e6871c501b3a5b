#ifndef PTUNE_COMMON_FILE_IO_H_
#define PTUNE_COMMON_FILE_IO_H_

// Whole-file reads and crash-safe whole-file writes, with errors that name the file.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ptune {

// The bytes of the file at `path`. NOT_FOUND naming the path when it does not exist;
// FAILED_PRECONDITION naming the path when it is a directory or cannot be opened or read
// (with the system's reason, e.g. "Permission denied").
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Replaces the file at `path` with `contents` so that a reader (or a restart after a
// crash) sees either the old file or the complete new one, never a partial write: the
// bytes go to a temporary file in the same directory, which is fsynced, renamed over
// `path`, and the directory is fsynced so the rename itself is durable. The file keeps
// the mode of the file it replaces (0644 when new). On error the temporary file is
// removed, `path` is unchanged, and the status names the path and the system's reason.
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace ptune

#endif  // PTUNE_COMMON_FILE_IO_H_

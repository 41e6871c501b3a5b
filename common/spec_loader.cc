#include "common/spec_loader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/yaml_to_proto.h"

namespace ptune {

absl::StatusOr<ptune::v1::JobSpec> ParseJobSpec(std::string_view text,
                                                std::string_view source_name) {
  ptune::v1::JobSpec spec;
  absl::Status status = ParseYamlToProto(text, source_name, &spec);
  if (!status.ok()) return status;
  return spec;
}

absl::StatusOr<ptune::v1::JobSpec> LoadJobSpecFile(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": is a directory, expected a job spec file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int error = errno;
    std::string reason = std::strerror(error);
    if (error == ENOENT) {
      return absl::NotFoundError(absl::StrCat(path, ": job spec file not found (", reason, ")"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": cannot read the job spec file (", reason, ")"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": read error"));
  }
  return ParseJobSpec(text.str(), path);
}

}  // namespace ptune

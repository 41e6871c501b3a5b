#include "common/spec_loader.h"

#include "absl/strings/str_cat.h"
#include "common/file_io.h"
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
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat("job spec file ", text.status().message()));
  }
  return ParseJobSpec(*text, path);
}

}  // namespace ptune

#ifndef PTUNE_COMMON_SPEC_LOADER_H_
#define PTUNE_COMMON_SPEC_LOADER_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"

namespace ptune {

// Parses a job spec written in YAML or in the protobuf JSON mapping (JSON is read by the
// same YAML parser, so both give the same errors). Field names are the proto names
// (`train_file`) or their JSON names (`trainFile`); enum values are accepted in any case
// with or without their prefix (`method: ept`, `precision: BF16`, `device: cuda`).
//
// Returns INVALID_ARGUMENT for syntax errors, unknown fields, duplicate fields, values of
// the wrong kind, out-of-range integers and unknown enum values; the message is
//   "<source_name>:<line>:<column>: <field.path>: <problem> (got <value>)"
// e.g. "job.yaml:7:12: tsloss.lambda0: expected a number (got "high")".
// The result is NOT defaulted or validated: call ApplySpecDefaults / ValidateJobSpec.
absl::StatusOr<ptune::v1::JobSpec> ParseJobSpec(std::string_view text,
                                                std::string_view source_name);

// Reads `path` and parses it with ParseJobSpec (errors name the path). NOT_FOUND when
// the file does not exist; FAILED_PRECONDITION naming the path and the OS error when it
// cannot be read (a directory, no permission); otherwise ParseJobSpec's result.
absl::StatusOr<ptune::v1::JobSpec> LoadJobSpecFile(const std::string& path);

}  // namespace ptune

#endif  // PTUNE_COMMON_SPEC_LOADER_H_

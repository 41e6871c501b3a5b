#ifndef PTUNE_SERVER_SUBMIT_VALIDATION_H_
#define PTUNE_SERVER_SUBMIT_VALIDATION_H_

#include "absl/status/statusor.h"
#include "ptune/v1/job_service.pb.h"

namespace ptune::server {

// Checks every field of a SubmitJobRequest and returns the effective spec: the request's
// spec with ApplySpecDefaults applied. That is the spec the scheduler stores, shows in
// GetJob/ListJobs and dispatches, so what a queued job means never depends on the
// worker binary that runs it.
//
// INVALID_ARGUMENT with the message "<field.path>: <rule> (got <value>)": for the first
// violation among the request's own fields, or for every violation in the spec (paths
// under "spec."), which must be at most kMaxSpecBytes serialized (common/spec_limits.h)
// and pass ValidateJobSpec.
absl::StatusOr<ptune::v1::JobSpec> ValidateSubmitRequest(
    const ptune::v1::SubmitJobRequest& request);

// A job id as a request names it: INVALID_ARGUMENT for more than 128 bytes (so errors
// never echo a huge id back), otherwise OK (unknown ids are NOT_FOUND later).
absl::Status ValidateJobId(const std::string& job_id);

// GetArtifact's name: required, at most 4096 bytes, relative, without NUL bytes or ".."
// components (INVALID_ARGUMENT naming "name").
absl::Status ValidateArtifactName(const std::string& name);

}  // namespace ptune::server

#endif  // PTUNE_SERVER_SUBMIT_VALIDATION_H_

#ifndef PTUNE_SERVER_SUBMIT_VALIDATION_H_
#define PTUNE_SERVER_SUBMIT_VALIDATION_H_

#include "absl/status/status.h"
#include "ptune/v1/job_service.pb.h"

namespace ptune::server {

// Checks every field of a SubmitJobRequest. INVALID_ARGUMENT with the message
// "<field.path>: <rule> (got <value>)" for the first violation.
absl::Status ValidateSubmitRequest(const ptune::v1::SubmitJobRequest& request);

}  // namespace ptune::server

#endif  // PTUNE_SERVER_SUBMIT_VALIDATION_H_

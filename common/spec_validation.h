#ifndef PTUNE_COMMON_SPEC_VALIDATION_H_
#define PTUNE_COMMON_SPEC_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ptune/v1/spec.pb.h"

namespace ptune {

// Checks the ranges and cross-field rules of a job spec. The spec may be raw or already
// defaulted: the rules apply to the effective values (the spec with ApplySpecDefaults
// applied), so an unset field is never an error by itself.
//
// OK when the spec can run. Otherwise INVALID_ARGUMENT listing every problem found, in
// field order, separated by "; ", each as
//   "<field.path>: <rule> (got <value>)"
// e.g. "train.batch_size: must be in [1, 4096] (got 0)". NaN and infinity are rejected
// in every floating-point field, and enum numbers that spec.proto does not define are
// rejected in every enum field. Every text must be valid UTF-8 and every size within
// common/spec_limits.h (the spec's serialized size is checked at submit). At most 20
// problems are listed, then "; and N more problems".
// `path_prefix` is put before every path, e.g. "spec." where the spec is a field.
absl::Status ValidateJobSpec(const ptune::v1::JobSpec& spec, absl::string_view path_prefix = "");

}  // namespace ptune

#endif  // PTUNE_COMMON_SPEC_VALIDATION_H_

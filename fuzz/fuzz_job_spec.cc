// libFuzzer target: a job spec as a user submits it (YAML or the protobuf JSON mapping),
// through the same steps the scheduler and ptune-train take: parse, apply defaults,
// check limits, validate. Any input must end in a Status, never a crash, a hang or
// unbounded memory.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/spec_defaults.h"
#include "common/spec_limits.h"
#include "common/spec_loader.h"
#include "common/spec_validation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ptune::v1::JobSpec> spec = ptune::ParseJobSpec(text, "fuzz.yaml");
  if (!spec.ok()) return 0;
  // The raw spec is validated at submit, the defaulted one by the engine: both must hold.
  (void)ptune::ValidateJobSpec(*spec);
  ptune::ApplySpecDefaults(&*spec);
  // Defaults are idempotent and complete (spec_defaults.h).
  if (!ptune::CheckDefaultsApplied(*spec).ok()) std::abort();
  (void)ptune::SpecLimitViolations(*spec);
  (void)ptune::ValidateJobSpec(*spec, "spec.");
  return 0;
}

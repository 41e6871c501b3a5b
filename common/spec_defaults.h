#ifndef PTUNE_COMMON_SPEC_DEFAULTS_H_
#define PTUNE_COMMON_SPEC_DEFAULTS_H_

#include "absl/status/status.h"
#include "ptune/v1/spec.pb.h"

namespace ptune {

// Fills every unset field of `spec` with the default documented in spec.proto, so code
// downstream reads fields directly: unset `optional` fields get their value (e.g.
// prompt.length 100, train.steps 300, tsloss.lambda0 0.1), UNSPECIFIED enums become
// their documented value (method PT, head VERBALIZER, schedule LINEAR, ...), empty
// strings with a documented default get it (model.source "use-lite", data.text_field
// "text", data.label_field "label"), data.format is inferred from the train file's
// extension (.jsonl/.json, .csv, .tsv; left empty when unknown so validation can say
// so) and lower-cased, and every label in data.labels without a verbalizer gets itself.
//
// Fields whose default depends on the backbone stay as they are: dept.short_length and
// dept.rank 0 (derived from the PT budget by the engine) and prompt.init_std 0 (the
// embedding table's std). Values the user set are never changed, even invalid ones
// (ValidateJobSpec reports those). Idempotent.
void ApplySpecDefaults(ptune::v1::JobSpec* spec);

// OK when `spec` is effective: ApplySpecDefaults would change nothing. Otherwise
// FAILED_PRECONDITION naming the first fields that would change. The scheduler applies
// the defaults once, at submit, and workers run exactly what it stored; a worker checks
// this instead of defaulting again, so a spec is never run with different defaults than
// the ones the scheduler showed.
absl::Status CheckDefaultsApplied(const ptune::v1::JobSpec& spec);

}  // namespace ptune

#endif  // PTUNE_COMMON_SPEC_DEFAULTS_H_

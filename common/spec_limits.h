#ifndef PTUNE_COMMON_SPEC_LIMITS_H_
#define PTUNE_COMMON_SPEC_LIMITS_H_

// Upper bounds on every size in a job spec, in one place. A spec is data from a user:
// without bounds one submit (200,000 labels, a 20 MB spec) makes every worker that takes
// it allocate without limit. The limits are generous for real use (the largest real
// label sets, paths, prompts and runs fit with room to spare) and every default passes
// at kMaxSteps. docs/job-spec.md lists them in a table; keep the two in step.
//
// Violations are INVALID_ARGUMENT, reported by ValidateJobSpec (and, for the spec's
// serialized size, by the scheduler's submit validation) as
//   "<field.path>: at most <limit> <unit> (got <value>)".

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ptune/v1/spec.pb.h"

namespace ptune {

// The serialized JobSpec as submitted (before defaults).
inline constexpr size_t kMaxSpecBytes = 1 << 20;

// Texts.
inline constexpr size_t kMaxNameBytes = 256;           // name, data.dataset
inline constexpr size_t kMaxPathBytes = 4096;          // model.source, data.*_file (PATH_MAX)
inline constexpr size_t kMaxFieldNameBytes = 256;      // data.text_field, ..._pair_, label_
inline constexpr size_t kMaxInitTextBytes = 16 << 10;  // prompt.init_text

// Labels and their verbalizers (classification).
inline constexpr int kMaxLabels = 1024;                 // data.labels, data.verbalizers
inline constexpr size_t kMaxLabelBytes = 256;           // each label (and verbalizer key)
inline constexpr size_t kMaxVerbalizerBytes = 1 << 10;  // each verbalizer text

// Worker labels a job requires (resources.worker_labels).
inline constexpr int kMaxWorkerLabels = 64;
inline constexpr size_t kMaxWorkerLabelKeyBytes = 63;
inline constexpr size_t kMaxWorkerLabelValueBytes = 256;

// Shapes. The prompt holds length x hidden-size floats (plus optimizer state); the
// hidden size is known at submit for built-in backbones and at load for a model path.
inline constexpr uint32_t kMaxPromptLength = 4096;
inline constexpr int64_t kMaxPromptElements = int64_t{4096} * 4096;
inline constexpr uint32_t kMaxSeqLen = 8192;
inline constexpr uint32_t kMaxBatchSize = 4096;
inline constexpr uint32_t kMaxDeptRank = 4096;
inline constexpr uint32_t kMaxEptSubspaces = 64;
inline constexpr uint32_t kMaxEptSubspaceRank = 1024;
inline constexpr uint64_t kMaxGpuMemoryBytes = uint64_t{1} << 40;  // 1 TiB

// Length of a run, and how much telemetry it may produce: every interval must leave at
// most this many reports of its kind over train.steps (so the stored event history of a
// job stays bounded). The defaults (eval 50, checkpoint 100, topology 10, diagram 50)
// pass at kMaxSteps.
inline constexpr uint32_t kMaxSteps = 1000000;
inline constexpr uint64_t kMaxEvaluations = 20000;       // train.steps / train.eval_every
inline constexpr uint64_t kMaxCheckpoints = 10000;       // train.steps / train.checkpoint_every
inline constexpr uint64_t kMaxTopologyReports = 100000;  // train.steps / topology.every
inline constexpr uint64_t kMaxDiagrams = 20000;          // train.steps / topology.diagram_every

// The hidden size of a built-in backbone, or 0 when `source` is a model path (known
// only once the model is loaded).
int64_t BuiltinHiddenSize(const std::string& source);

// INVALID_ARGUMENT naming prompt.length and kMaxPromptElements when `prompt_length` x
// `hidden_size` is over the limit. For the engine, once a model path is loaded.
absl::Status CheckPromptElements(uint32_t prompt_length, int64_t hidden_size);

// One "<field.path>: at most ... (got ...)" line per field of the (defaulted) `spec`
// over its limit, in field order. A list over its count limit is reported once, without
// checking its elements.
std::vector<std::string> SpecLimitViolations(const ptune::v1::JobSpec& spec);

}  // namespace ptune

#endif  // PTUNE_COMMON_SPEC_LIMITS_H_

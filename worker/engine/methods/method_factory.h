#ifndef PTUNE_WORKER_ENGINE_METHODS_METHOD_FACTORY_H_
#define PTUNE_WORKER_ENGINE_METHODS_METHOD_FACTORY_H_

// Builds the prompt method a job spec asks for (PT, DePT or EPT). Torch header.

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"
#include "worker/engine/methods/dept.h"
#include "worker/engine/methods/ept.h"
#include "worker/engine/methods/prompt_method.h"

namespace ptune::engine {

// `spec` must have been through ApplySpecDefaults; `embedding_table` is the backbone's
// V x d input embedding table (the prompt's width and its init source). Parameters are created on
// the CPU in float32 from LibTorch's default generator (seed it with spec.seed first); move the
// method to the training device afterwards. `init_text_ids` is the tokenized
// prompt.init_text, needed only for PROMPT_INIT_TEXT (the caller owns the tokenizer).
// Errors: INVALID_ARGUMENT naming the spec field (e.g. "dept.rank: ...").
absl::StatusOr<std::shared_ptr<PromptMethodImpl>> CreatePromptMethod(
    const ptune::v1::JobSpec& spec, const torch::Tensor& embedding_table,
    const std::vector<int64_t>& init_text_ids = {});

// The options the factory derives from a spec for a backbone of width `hidden_size`
// ((m, r) resolved as in prompt_budget.h). Exposed so tests and tools can see the shapes
// without building the method.
absl::StatusOr<DeptOptions> DeptOptionsFromSpec(const ptune::v1::JobSpec& spec,
                                                int64_t hidden_size);
absl::StatusOr<EptOptions> EptOptionsFromSpec(const ptune::v1::JobSpec& spec, int64_t hidden_size);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_METHODS_METHOD_FACTORY_H_

#include "worker/engine/methods/method_factory.h"

#include "absl/status/status.h"
#include "worker/engine/methods/prompt_budget.h"
#include "worker/engine/methods/prompt_init.h"
#include "worker/engine/methods/pt.h"

namespace ptune::engine {

absl::StatusOr<DeptOptions> DeptOptionsFromSpec(const ptune::v1::JobSpec& spec,
                                                int64_t hidden_size) {
  absl::StatusOr<DecomposedShape> shape = ResolveDecomposedShape(spec, hidden_size);
  if (!shape.ok()) return shape.status();
  DeptOptions options;
  options.lowrank.max_seq_len = shape->max_seq_len;
  options.lowrank.hidden_size = hidden_size;
  options.lowrank.rank = shape->rank;
  options.lowrank.alpha = spec.dept().alpha();
  options.prompt_lr = spec.prompt().lr();
  options.lowrank_lr = spec.dept().lowrank_lr();
  return options;
}

absl::StatusOr<EptOptions> EptOptionsFromSpec(const ptune::v1::JobSpec& spec, int64_t hidden_size) {
  absl::StatusOr<DeptOptions> dept = DeptOptionsFromSpec(spec, hidden_size);
  if (!dept.ok()) return dept.status();
  const ptune::v1::EptSpec& ept = spec.ept();
  EptOptions options;
  options.lowrank = dept->lowrank;
  options.subspaces = ept.subspaces();
  options.subspace_rank = ept.subspace_rank();
  options.fusion = ept.fusion();
  options.fusion_gate_init = ept.fusion_gate_init();
  options.fusion_gate_per_dim = ept.fusion_gate_per_dim();
  options.per_example_gate = ept.gate_input() == ptune::v1::GATE_INPUT_EXAMPLE;
  options.prompt_lr = dept->prompt_lr;
  options.lowrank_lr = dept->lowrank_lr;
  return options;
}

namespace {

template <typename Method, typename Options>
absl::StatusOr<std::shared_ptr<PromptMethodImpl>> BuildDecomposed(
    const absl::StatusOr<Options>& options, const ptune::v1::JobSpec& spec,
    const torch::Tensor& embedding_table, const std::vector<int64_t>& init_text_ids) {
  if (!options.ok()) return options.status();
  absl::StatusOr<DecomposedShape> shape = ResolveDecomposedShape(spec, embedding_table.size(1));
  if (!shape.ok()) return shape.status();
  absl::StatusOr<torch::Tensor> prompt =
      InitialPromptRows(spec.prompt(), embedding_table, shape->short_length, init_text_ids);
  if (!prompt.ok()) return prompt.status();
  absl::StatusOr<std::shared_ptr<Method>> method = Method::Create(*options, prompt->cpu());
  if (!method.ok()) return method.status();
  return std::shared_ptr<PromptMethodImpl>(*std::move(method));
}

}  // namespace

absl::StatusOr<std::shared_ptr<PromptMethodImpl>> CreatePromptMethod(
    const ptune::v1::JobSpec& spec, const torch::Tensor& embedding_table,
    const std::vector<int64_t>& init_text_ids) {
  const int64_t d = embedding_table.size(1);
  switch (spec.method()) {
    case ptune::v1::METHOD_DEPT:
      return BuildDecomposed<DeptImpl>(DeptOptionsFromSpec(spec, d), spec, embedding_table,
                                       init_text_ids);
    case ptune::v1::METHOD_EPT:
      return BuildDecomposed<EptImpl>(EptOptionsFromSpec(spec, d), spec, embedding_table,
                                      init_text_ids);
    case ptune::v1::METHOD_PT:
    case ptune::v1::METHOD_UNSPECIFIED: {
      absl::StatusOr<torch::Tensor> prompt =
          InitialPromptRows(spec.prompt(), embedding_table, spec.prompt().length(), init_text_ids);
      if (!prompt.ok()) return prompt.status();
      PtOptions options;
      options.prompt_lr = spec.prompt().lr();
      absl::StatusOr<std::shared_ptr<PtImpl>> pt = PtImpl::Create(options, prompt->cpu());
      if (!pt.ok()) return pt.status();
      return std::shared_ptr<PromptMethodImpl>(*std::move(pt));
    }
    default:
      return absl::InvalidArgumentError("method: unknown prompt method");
  }
}

}  // namespace ptune::engine

#include "worker/engine/methods/dept.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "worker/engine/methods/prompted_input.h"

namespace ptune::engine {

absl::Status ValidateDecomposition(const LowRankUpdateOptions& lowrank,
                                   const torch::Tensor& initial_prompt) {
  if (lowrank.max_seq_len < 1 || lowrank.hidden_size < 1 || lowrank.rank < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dept: max_seq_len, hidden size and rank must be >= 1 (got L=", lowrank.max_seq_len,
        ", d=", lowrank.hidden_size, ", r=", lowrank.rank, ")"));
  }
  if (!initial_prompt.defined() || initial_prompt.dim() != 2 || initial_prompt.size(0) < 1 ||
      initial_prompt.size(1) != lowrank.hidden_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("dept.short_length: the short prompt must be m x d with m >= 1 and d=",
                     lowrank.hidden_size));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<DeptImpl>> DeptImpl::Create(const DeptOptions& options,
                                                           const torch::Tensor& initial_prompt) {
  if (absl::Status s = ValidateDecomposition(options.lowrank, initial_prompt); !s.ok()) return s;
  return std::make_shared<DeptImpl>(options, initial_prompt);
}

DeptImpl::DeptImpl(const DeptOptions& options, const torch::Tensor& initial_prompt)
    : options_(options) {
  prompt_ = register_parameter("prompt", initial_prompt.detach().to(torch::kFloat32).clone());
  lowrank_ = register_module("lowrank", LowRankUpdate(options.lowrank));
}

PromptedInput DeptImpl::Apply(const torch::Tensor& embeds, const torch::Tensor& mask) {
  return PrependPrompt(prompt_, lowrank_->Update(embeds), mask);
}

std::vector<ParamGroup> DeptImpl::ParameterGroups() {
  return {ParamGroup{"prompt", {prompt_}, options_.prompt_lr},
          ParamGroup{"lowrank", {lowrank_->a(), lowrank_->b()}, options_.lowrank_lr}};
}

}  // namespace ptune::engine

#include "worker/engine/methods/pt.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "worker/engine/methods/prompted_input.h"

namespace ptune::engine {

absl::StatusOr<std::shared_ptr<PtImpl>> PtImpl::Create(const PtOptions& options,
                                                       const torch::Tensor& initial_prompt) {
  if (!initial_prompt.defined() || initial_prompt.dim() != 2 || initial_prompt.size(0) < 1 ||
      initial_prompt.size(1) < 1) {
    return absl::InvalidArgumentError("prompt.length: PT needs a non-empty l x d initial prompt");
  }
  if (!(options.prompt_lr > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("prompt.lr: must be > 0 (got ", options.prompt_lr, ")"));
  }
  return std::make_shared<PtImpl>(options, initial_prompt);
}

PtImpl::PtImpl(const PtOptions& options, const torch::Tensor& initial_prompt) : options_(options) {
  prompt_ = register_parameter("prompt", initial_prompt.detach().to(torch::kFloat32).clone());
}

PromptedInput PtImpl::Apply(const torch::Tensor& embeds, const torch::Tensor& mask) {
  return PrependPrompt(prompt_, embeds, mask);
}

std::vector<ParamGroup> PtImpl::ParameterGroups() {
  return {ParamGroup{"prompt", {prompt_}, options_.prompt_lr}};
}

}  // namespace ptune::engine

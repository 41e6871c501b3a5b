#ifndef PTUNE_WORKER_ENGINE_METHODS_PT_H_
#define PTUNE_WORKER_ENGINE_METHODS_PT_H_

// PT, vanilla prompt tuning (Lester et al. 2021; HF PEFT PROMPT_TUNING; docs/methods.md):
// a trainable l x d prompt P prepended to the frozen token embeddings, input [P ; E].
// Torch header.

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/engine/methods/prompt_method.h"

namespace ptune::engine {

struct PtOptions {
  double prompt_lr = 0.3;  // learning rate of group "prompt"
};

// Parameters: "prompt" (P, l x d), the only trainable tensor.
class PtImpl : public PromptMethodImpl {
 public:
  // initial_prompt: l x d (see prompt_init.h), copied to a float32 parameter on its device.
  // INVALID_ARGUMENT when it is not a non-empty matrix or the learning rate is not > 0.
  static absl::StatusOr<std::shared_ptr<PtImpl>> Create(const PtOptions& options,
                                                        const torch::Tensor& initial_prompt);

  PtImpl(const PtOptions& options, const torch::Tensor& initial_prompt);

  std::string method_name() const override { return "pt"; }
  // [P ; E] with the mask prefixed by l ones; works for any text length L.
  PromptedInput Apply(const torch::Tensor& embeds, const torch::Tensor& mask) override;
  // P.
  torch::Tensor VisiblePrompt() override { return prompt_; }
  // {"prompt": [P]}.
  std::vector<ParamGroup> ParameterGroups() override;

 private:
  PtOptions options_;
  torch::Tensor prompt_;
};
TORCH_MODULE(Pt);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_METHODS_PT_H_

#ifndef PTUNE_WORKER_ENGINE_METHODS_DEPT_H_
#define PTUNE_WORKER_ENGINE_METHODS_DEPT_H_

// DePT, decomposed prompt tuning (Shi & Lipani, ICLR 2024; docs/methods.md):
//   E' = E + s (A B),  backbone input [P_s ; E'].
// Torch header.

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/engine/methods/lowrank_update.h"
#include "worker/engine/methods/prompt_method.h"

namespace ptune::engine {

struct DeptOptions {
  LowRankUpdateOptions lowrank;  // L, d, r, alpha
  double prompt_lr = 0.3;        // learning rate of group "prompt" (P_s)
  double lowrank_lr = 1e-3;      // learning rate of group "lowrank" (A, B)
};

// Parameters: "prompt" (P_s, m x d) and "lowrank.A", "lowrank.B".
class DeptImpl : public PromptMethodImpl {
 public:
  // initial_prompt: m x d (see prompt_init.h), copied. INVALID_ARGUMENT when its width is
  // not d or the options are not positive.
  static absl::StatusOr<std::shared_ptr<DeptImpl>> Create(const DeptOptions& options,
                                                          const torch::Tensor& initial_prompt);

  DeptImpl(const DeptOptions& options, const torch::Tensor& initial_prompt);

  std::string method_name() const override { return "dept"; }
  // embeds must be padded to exactly L tokens (c10::Error otherwise).
  PromptedInput Apply(const torch::Tensor& embeds, const torch::Tensor& mask) override;
  // P_s.
  torch::Tensor VisiblePrompt() override { return prompt_; }
  // {"prompt": [P_s]}, {"lowrank": [A, B]}.
  std::vector<ParamGroup> ParameterGroups() override;

  const DeptOptions& options() const { return options_; }

 private:
  DeptOptions options_;
  torch::Tensor prompt_;
  LowRankUpdate lowrank_{nullptr};
};
TORCH_MODULE(Dept);

// Checks what DePT and EPT share: a positive L, d, r and an m x d initial prompt.
absl::Status ValidateDecomposition(const LowRankUpdateOptions& lowrank,
                                   const torch::Tensor& initial_prompt);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_METHODS_DEPT_H_

#ifndef PTUNE_WORKER_ENGINE_METHODS_EPT_H_
#define PTUNE_WORKER_ENGINE_METHODS_EPT_H_

// EPT, efficient prompt tuning by multi-space projection and prompt fusion (Lan et al.,
// arXiv 2405.11464, AAAI 2025). The paper's equations are not available to us; this is
// ptune's reconstruction (docs/methods.md, "EPT"):
//   E'  = E + s (A B)                               DePT decomposition
//   F   = softmax(P_s (A B)^T / sqrt(d)) (A B)      prompt fusion
//   P_f = P_s + gamma * F                           (gamma: scalar or per-dim gate)
//   P_r = sum_k g_k (P_f + P_f U_k V_k)             multi-space projection + gating
//   backbone input [P_r ; E'].
// With K = 1, gamma = 0 and V = 0 it equals DePT exactly. Torch header.

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/engine/methods/lowrank_update.h"
#include "worker/engine/methods/multi_space_projection.h"
#include "worker/engine/methods/prompt_method.h"

namespace ptune::engine {

struct EptOptions {
  LowRankUpdateOptions lowrank;      // L, d, r, alpha (as DePT)
  int64_t subspaces = 4;             // K
  int64_t subspace_rank = 4;         // q
  bool fusion = true;                // prompt fusion on/off (off: P_f = P_s, no gamma)
  double fusion_gate_init = 0.0;     // initial gamma
  bool fusion_gate_per_dim = false;  // gamma in R^d instead of R
  bool per_example_gate = false;     // pool = [mean rows P_f ; masked mean tokens of E']
  double prompt_lr = 0.3;            // group "prompt": P_s
  double lowrank_lr = 1e-3;          // group "lowrank": A, B; group "projection": the rest
};

// Every intermediate of one forward pass, for Apply() and for tests.
struct EptForward {
  torch::Tensor updated_embeds;  // E', B x L x d
  torch::Tensor fused;           // P_f, m x d
  torch::Tensor gate;            // g, K (task gate) or B x K (per-example gate)
  torch::Tensor reconstructed;   // P_r, m x d or B x m x d
};

// Parameters: "prompt" (P_s), "lowrank.A", "lowrank.B", "fusion_gate" (only with fusion),
// "projection.U", "projection.V", "projection.gate_weight", "projection.gate_bias".
class EptImpl : public PromptMethodImpl {
 public:
  // initial_prompt: m x d, copied. INVALID_ARGUMENT naming the spec field when a size is
  // not positive or the prompt's width is not d.
  static absl::StatusOr<std::shared_ptr<EptImpl>> Create(const EptOptions& options,
                                                         const torch::Tensor& initial_prompt);

  EptImpl(const EptOptions& options, const torch::Tensor& initial_prompt);

  std::string method_name() const override { return "ept"; }
  // embeds must be padded to exactly L tokens (c10::Error otherwise).
  PromptedInput Apply(const torch::Tensor& embeds, const torch::Tensor& mask) override;
  // P_r with the task-level gate. With the per-example gate: P_r mixed with the mean gate
  // of the last Apply() (detached; uniform before the first), i.e. the prompt the last
  // batch saw on average.
  torch::Tensor VisiblePrompt() override;
  // {"prompt": [P_s]}, {"lowrank": [A, B]}, {"projection": [gamma?, U, V, W_g, b_g]}; the
  // last two groups use lowrank_lr.
  std::vector<ParamGroup> ParameterGroups() override;

  EptForward Forward(const torch::Tensor& embeds, const torch::Tensor& mask);
  // P_f = P_s + gamma * F (P_s when fusion is off).
  torch::Tensor FusedPrompt() const;

  const EptOptions& options() const { return options_; }

 private:
  EptOptions options_;
  torch::Tensor prompt_;
  torch::Tensor fusion_gate_;  // undefined when fusion is off
  LowRankUpdate lowrank_{nullptr};
  MultiSpaceProjection projection_{nullptr};
  torch::Tensor last_mean_gate_;  // per-example gate only: mean g of the last batch
};
TORCH_MODULE(Ept);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_METHODS_EPT_H_

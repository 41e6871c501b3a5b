#ifndef PTUNE_WORKER_ENGINE_METHODS_MULTI_SPACE_PROJECTION_H_
#define PTUNE_WORKER_ENGINE_METHODS_MULTI_SPACE_PROJECTION_H_

// EPT's multi-space projection and gating network (ptune's reconstruction, docs/methods.md
// "EPT", steps 3-4):
//   P_k = P_f + P_f U_k V_k            (k = 1..K, U_k: d x q, V_k: q x d)
//   g   = softmax(W_g pool + b_g)      (W_g: K x p, b_g: K)
//   P_r = sum_k g_k P_k = P_f + sum_k g_k (P_f U_k) V_k   (because sum_k g_k = 1)
// Torch header.

#include <torch/torch.h>

#include <cstdint>

namespace ptune::engine {

struct MultiSpaceProjectionOptions {
  int64_t hidden_size = 0;    // d
  int64_t subspaces = 4;      // K >= 1
  int64_t subspace_rank = 4;  // q >= 1
  int64_t pool_width = 0;     // p: d for the task-level gate, 2d for the per-example gate
};

// Parameters "U" (K x d x q, uniform(+-1/sqrt(d)) like a LoRA down-projection), "V"
// (K x q x d, zeros, so every P_k = P_f at initialisation), "gate_weight" (K x p, zeros)
// and "gate_bias" (K, zeros): the gate starts uniform, g_k = 1/K.
class MultiSpaceProjectionImpl : public torch::nn::Module {
 public:
  explicit MultiSpaceProjectionImpl(const MultiSpaceProjectionOptions& options);

  // pool: p (task-level) or B x p (per example) -> gate weights K or B x K, each row
  // summing to 1.
  torch::Tensor Gate(const torch::Tensor& pool) const;
  // fused: m x d, gate: K or B x K -> P_r: m x d or B x m x d.
  torch::Tensor Combine(const torch::Tensor& fused, const torch::Tensor& gate) const;

  const MultiSpaceProjectionOptions& options() const { return options_; }
  const torch::Tensor& u() const { return u_; }
  const torch::Tensor& v() const { return v_; }

 private:
  MultiSpaceProjectionOptions options_;
  torch::Tensor u_;
  torch::Tensor v_;
  torch::Tensor gate_weight_;
  torch::Tensor gate_bias_;
};
TORCH_MODULE(MultiSpaceProjection);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_METHODS_MULTI_SPACE_PROJECTION_H_

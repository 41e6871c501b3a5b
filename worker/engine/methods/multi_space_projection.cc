#include "worker/engine/methods/multi_space_projection.h"

#include <cmath>

namespace ptune::engine {

MultiSpaceProjectionImpl::MultiSpaceProjectionImpl(const MultiSpaceProjectionOptions& options)
    : options_(options) {
  const int64_t d = options.hidden_size, k = options.subspaces, q = options.subspace_rank;
  TORCH_CHECK(d > 0 && k > 0 && q > 0 && options.pool_width > 0,
              "MultiSpaceProjection: d, K, q and the pool width must be positive (got d=", d,
              ", K=", k, ", q=", q, ", p=", options.pool_width, ")");
  const double bound = 1.0 / std::sqrt(static_cast<double>(d));
  u_ = register_parameter("U", torch::empty({k, d, q}).uniform_(-bound, bound));
  v_ = register_parameter("V", torch::zeros({k, q, d}));
  gate_weight_ = register_parameter("gate_weight", torch::zeros({k, options.pool_width}));
  gate_bias_ = register_parameter("gate_bias", torch::zeros({k}));
}

torch::Tensor MultiSpaceProjectionImpl::Gate(const torch::Tensor& pool) const {
  TORCH_CHECK(pool.size(-1) == options_.pool_width, "EPT gate: pool width must be ",
              options_.pool_width, " (got shape ", pool.sizes(), ")");
  return torch::softmax(torch::matmul(pool, gate_weight_.t()) + gate_bias_, -1);
}

torch::Tensor MultiSpaceProjectionImpl::Combine(const torch::Tensor& fused,
                                                const torch::Tensor& gate) const {
  // delta_k = (P_f U_k) V_k for every k at once: K x m x d. Through rank q, never d x d.
  const torch::Tensor delta = torch::matmul(torch::matmul(fused.unsqueeze(0), u_), v_);
  if (gate.dim() == 1) return fused + torch::einsum("k,kmd->md", {gate, delta});
  return fused.unsqueeze(0) + torch::einsum("bk,kmd->bmd", {gate, delta});
}

}  // namespace ptune::engine

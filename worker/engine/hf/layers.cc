#include "worker/engine/hf/layers.h"

#include <limits>

namespace ptune::engine::hf {

torch::Tensor RmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps,
                      bool one_plus_weight) {
  const torch::Tensor x32 = x.to(torch::kFloat32);
  const torch::Tensor normed = x32 * torch::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true) + eps);
  if (one_plus_weight) return (normed * (1.0 + weight.to(torch::kFloat32))).to(x.scalar_type());
  return weight * normed.to(x.scalar_type());
}

torch::Tensor Activate(const torch::Tensor& x, const std::string& name) {
  if (name == "silu") return torch::silu(x);
  if (name == "relu") return torch::relu(x);
  if (name == "gelu") return torch::gelu(x);
  return torch::gelu(x, "tanh");  // gelu_new, gelu_pytorch_tanh (hf_config.cc checks names)
}

torch::Tensor AttentionBias(const torch::Tensor& key_mask, int64_t queries, bool causal,
                            torch::Dtype dtype) {
  const int64_t keys = key_mask.size(1);
  torch::Tensor allowed = (key_mask != 0).view({key_mask.size(0), 1, 1, keys});
  if (causal) {
    const auto opts = torch::TensorOptions().dtype(torch::kLong).device(key_mask.device());
    const torch::Tensor q = torch::arange(queries, opts).view({queries, 1}) + (keys - queries);
    allowed =
        allowed & (torch::arange(keys, opts).view({1, keys}) <= q).view({1, 1, queries, keys});
  } else {
    allowed = allowed.expand({key_mask.size(0), 1, queries, keys});
  }
  const double lowest = dtype == torch::kFloat64    ? std::numeric_limits<double>::lowest()
                        : dtype == torch::kBFloat16 ? -3.3895313892515355e38
                        : dtype == torch::kFloat16  ? -65504.0
                                                    : std::numeric_limits<float>::lowest();
  const auto opts = torch::TensorOptions().dtype(dtype).device(key_mask.device());
  return torch::where(allowed, torch::zeros({}, opts), torch::full({}, lowest, opts));
}

torch::Tensor Attend(const torch::Tensor& scores, const torch::Tensor& bias,
                     const torch::Tensor& v) {
  const torch::Tensor probs =
      torch::softmax(scores + bias, -1, torch::kFloat32).to(v.scalar_type());
  return torch::matmul(probs, v);
}

}  // namespace ptune::engine::hf

#include "worker/engine/methods/lowrank_update.h"

#include <cmath>

namespace ptune::engine {

LowRankUpdateImpl::LowRankUpdateImpl(const LowRankUpdateOptions& options)
    : options_(options), scale_(options.alpha / std::sqrt(static_cast<double>(options.rank))) {
  TORCH_CHECK(options.max_seq_len > 0 && options.hidden_size > 0 && options.rank > 0,
              "LowRankUpdate: L, d and r must be positive (got L=", options.max_seq_len,
              ", d=", options.hidden_size, ", r=", options.rank, ")");
  a_ = register_parameter("A", torch::empty({options.max_seq_len, options.rank}));
  b_ = register_parameter("B", torch::zeros({options.rank, options.hidden_size}));
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(a_, std::sqrt(5.0));
}

torch::Tensor LowRankUpdateImpl::Product() const { return torch::mm(a_, b_); }

torch::Tensor LowRankUpdateImpl::Update(const torch::Tensor& embeds) const {
  TORCH_CHECK(embeds.dim() == 3 && embeds.size(1) == options_.max_seq_len,
              "DePT/EPT need inputs padded to exactly max_seq_len=", options_.max_seq_len,
              " tokens (got shape ", embeds.sizes(), ")");
  return embeds + (Product() * scale_).to(embeds.scalar_type()).unsqueeze(0);
}

}  // namespace ptune::engine

#include "worker/engine/methods/ept.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "worker/engine/methods/dept.h"
#include "worker/engine/methods/prompted_input.h"

namespace ptune::engine {

absl::StatusOr<std::shared_ptr<EptImpl>> EptImpl::Create(const EptOptions& options,
                                                         const torch::Tensor& initial_prompt) {
  if (absl::Status s = ValidateDecomposition(options.lowrank, initial_prompt); !s.ok()) return s;
  if (options.subspaces < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("ept.subspaces: must be >= 1 (got ", options.subspaces, ")"));
  }
  if (options.subspace_rank < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("ept.subspace_rank: must be >= 1 (got ", options.subspace_rank, ")"));
  }
  return std::make_shared<EptImpl>(options, initial_prompt);
}

EptImpl::EptImpl(const EptOptions& options, const torch::Tensor& initial_prompt)
    : options_(options) {
  const int64_t d = options.lowrank.hidden_size;
  prompt_ = register_parameter("prompt", initial_prompt.detach().to(torch::kFloat32).clone());
  lowrank_ = register_module("lowrank", LowRankUpdate(options.lowrank));
  if (options.fusion) {
    fusion_gate_ =
        register_parameter("fusion_gate", torch::full({options.fusion_gate_per_dim ? d : 1},
                                                      options.fusion_gate_init, torch::kFloat32));
  }
  MultiSpaceProjectionOptions projection;
  projection.hidden_size = d;
  projection.subspaces = options.subspaces;
  projection.subspace_rank = options.subspace_rank;
  projection.pool_width = options.per_example_gate ? 2 * d : d;
  projection_ = register_module("projection", MultiSpaceProjection(projection));
}

torch::Tensor EptImpl::FusedPrompt() const {
  if (!options_.fusion) return prompt_;
  const torch::Tensor knowledge = lowrank_->Product();  // K = A B, L x d
  const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(knowledge.size(1)));
  const torch::Tensor attention =
      torch::softmax(torch::mm(prompt_, knowledge.t()) * inv_sqrt_d, -1);  // m x L
  return prompt_ + fusion_gate_ * torch::mm(attention, knowledge);
}

EptForward EptImpl::Forward(const torch::Tensor& embeds, const torch::Tensor& mask) {
  EptForward out;
  out.updated_embeds = lowrank_->Update(embeds);
  out.fused = FusedPrompt();
  torch::Tensor pool = out.fused.mean(0);
  if (options_.per_example_gate) {
    // Masked mean over the text tokens of E' (padding excluded), computed in fp32.
    const torch::Tensor weights = mask.to(torch::kFloat32).unsqueeze(-1);
    const torch::Tensor tokens =
        (out.updated_embeds.to(torch::kFloat32) * weights).sum(1) / weights.sum(1).clamp_min(1.0);
    pool = torch::cat({pool.unsqueeze(0).expand({tokens.size(0), pool.size(0)}), tokens}, 1);
  }
  out.gate = projection_->Gate(pool);
  out.reconstructed = projection_->Combine(out.fused, out.gate);
  if (options_.per_example_gate) last_mean_gate_ = out.gate.detach().mean(0);
  return out;
}

PromptedInput EptImpl::Apply(const torch::Tensor& embeds, const torch::Tensor& mask) {
  EptForward out = Forward(embeds, mask);
  return PrependPrompt(out.reconstructed, out.updated_embeds, mask);
}

torch::Tensor EptImpl::VisiblePrompt() {
  const torch::Tensor fused = FusedPrompt();
  if (!options_.per_example_gate)
    return projection_->Combine(fused, projection_->Gate(fused.mean(0)));
  torch::Tensor gate = last_mean_gate_;
  if (!gate.defined()) {
    gate = torch::full({options_.subspaces}, 1.0 / options_.subspaces, fused.options());
  }
  return projection_->Combine(fused, gate.to(fused.device()));
}

std::vector<ParamGroup> EptImpl::ParameterGroups() {
  std::vector<torch::Tensor> extra;
  if (fusion_gate_.defined()) extra.push_back(fusion_gate_);
  for (const auto& p : projection_->parameters()) extra.push_back(p);
  return {ParamGroup{"prompt", {prompt_}, options_.prompt_lr},
          ParamGroup{"lowrank", {lowrank_->a(), lowrank_->b()}, options_.lowrank_lr},
          ParamGroup{"projection", std::move(extra), options_.lowrank_lr}};
}

}  // namespace ptune::engine

#ifndef PTUNE_WORKER_ENGINE_METHODS_PROMPT_METHOD_H_
#define PTUNE_WORKER_ENGINE_METHODS_PROMPT_METHOD_H_

// The interface of a soft-prompt method (PT, DePT, EPT): the only trainable part of a
// job apart from an optional head. Torch header.

#include <torch/torch.h>

#include <string>
#include <vector>

namespace ptune::engine {

// What the backbone receives: prompt rows prepended to the (possibly updated) input
// embeddings, and the attention mask extended with ones for the prompt.
struct PromptedInput {
  torch::Tensor embeds;  // B x (n + L) x d
  torch::Tensor mask;    // B x (n + L)
};

// A named group of parameters with its own learning rate (DePT/EPT train the prompt and
// the low-rank matrices at different rates).
struct ParamGroup {
  std::string name;  // "prompt", "lowrank", ...
  std::vector<torch::Tensor> params;
  double lr = 0.0;
};

class PromptMethodImpl : public torch::nn::Module {
 public:
  ~PromptMethodImpl() override = default;

  // "pt", "dept" or "ept".
  virtual std::string method_name() const = 0;

  // embeds: B x L x d token embeddings of a batch padded to exactly L = max_seq_len;
  // mask: B x L. Returns the backbone input.
  virtual PromptedInput Apply(const torch::Tensor& embeds, const torch::Tensor& mask) = 0;

  // The prompt the backbone sees, n x d (P for PT, P_s for DePT, the task-level P_r for
  // EPT): the point cloud of TSLoss and of the topology telemetry. Differentiable.
  virtual torch::Tensor VisiblePrompt() = 0;

  // Trainable parameters by group, in a fixed order (group 0 is always "prompt").
  virtual std::vector<ParamGroup> ParameterGroups() = 0;
};

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_METHODS_PROMPT_METHOD_H_

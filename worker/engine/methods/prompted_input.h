#ifndef PTUNE_WORKER_ENGINE_METHODS_PROMPTED_INPUT_H_
#define PTUNE_WORKER_ENGINE_METHODS_PROMPTED_INPUT_H_

// Prepending prompt rows to a batch: the last step of every method's Apply(). Torch
// header.

#include <torch/torch.h>

#include "worker/engine/methods/prompt_method.h"

namespace ptune::engine {

// prompt: n x d (shared by the batch) or B x n x d (per example); embeds: B x L x d;
// mask: B x L (any dtype). Returns [prompt ; embeds] (in embeds' dtype) and the mask
// prefixed with n ones of mask's dtype. Throws c10::Error on mismatched shapes.
PromptedInput PrependPrompt(const torch::Tensor& prompt, const torch::Tensor& embeds,
                            const torch::Tensor& mask);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_METHODS_PROMPTED_INPUT_H_

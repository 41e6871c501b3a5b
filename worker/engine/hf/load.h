#ifndef PTUNE_WORKER_ENGINE_HF_LOAD_H_
#define PTUNE_WORKER_ENGINE_HF_LOAD_H_

// Loading an HF model directory (config.json + model.safetensors, or shards with
// model.safetensors.index.json) as a frozen LanguageModelImpl. Torch header.
//
// Errors name the file and the tensor or key: NOT_FOUND for a missing config.json or weight
// file; INVALID_ARGUMENT for an unsupported architecture or option, a malformed or hostile
// safetensors file or index, a missing tensor, a shape the config does not imply, a weight
// dtype other than F32/BF16/F16 or a compute dtype other than fp32/bf16/fp16; INTERNAL for
// a torch error while converting.

#include <torch/torch.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "worker/engine/hf/hf_model.h"

namespace ptune::engine::hf {

struct LoadOptions {
  // Compute dtype: weights are converted to it (fp32 weights on CPU in fp32 are not copied:
  // they alias the memory-mapped file).
  torch::Dtype dtype = torch::kFloat32;
  torch::Device device = torch::kCPU;
};

// The model, frozen (eval mode, requires_grad false): one instance may serve several
// threads. The result converts to std::shared_ptr<LanguageModelImpl>.
absl::StatusOr<std::shared_ptr<HfModel>> LoadHfModel(const std::string& model_dir,
                                                     const LoadOptions& options = {});

}  // namespace ptune::engine::hf

#endif  // PTUNE_WORKER_ENGINE_HF_LOAD_H_

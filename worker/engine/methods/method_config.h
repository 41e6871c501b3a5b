#ifndef PTUNE_WORKER_ENGINE_METHODS_METHOD_CONFIG_H_
#define PTUNE_WORKER_ENGINE_METHODS_METHOD_CONFIG_H_

// The JSON config written next to a trained prompt's safetensors (method_config.json):
// which method, the shapes of every trainable tensor and of the prompt the backbone
// sees, the resolved options (m, r, s, K, q, gates, learning rates) and the parameter
// count against PT's budget. Torch-free.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ptune/v1/spec.pb.h"

namespace ptune::engine {

using TensorShapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

// `spec` after ApplySpecDefaults; `tensors` the method's trainable tensors by name;
// `visible_prompt` the shape of the prompt the backbone sees (n x d). Returns pretty
// JSON ending in a newline. Options a method does not use are left out.
std::string MethodConfigJson(const ptune::v1::JobSpec& spec, const TensorShapes& tensors,
                             const std::vector<int64_t>& visible_prompt);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_METHODS_METHOD_CONFIG_H_

#ifndef PTUNE_WORKER_ENGINE_BACKBONES_TFJS_WEIGHTS_H_
#define PTUNE_WORKER_ENGINE_BACKBONES_TFJS_WEIGHTS_H_

// Reader for the weights of a TF.js graph model: the `weightsManifest` of model.json
// names every tensor (name, shape, dtype) in order, and each manifest group stores its
// tensors back to back, little-endian, across the group's shard files concatenated in
// listed order. Torch-free.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/engine/backbones/raw_tensor.h"

namespace ptune::engine {

// Reads `model_json_path` and the shard files it lists (relative to its directory) and
// returns every weight in manifest order. Errors name the file and the manifest entry:
// NOT_FOUND for a missing model.json or shard, INVALID_ARGUMENT for a malformed
// manifest, UNIMPLEMENTED for dtypes other than float32/int32 or quantised weights,
// DATA_LOSS when a group's shards hold more or fewer bytes than its weights need
// (truncated or wrong shard).
absl::StatusOr<std::vector<RawTensor>> LoadTfjsWeights(const std::string& model_json_path);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_BACKBONES_TFJS_WEIGHTS_H_

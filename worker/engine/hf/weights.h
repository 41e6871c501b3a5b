#ifndef PTUNE_WORKER_ENGINE_HF_WEIGHTS_H_
#define PTUNE_WORKER_ENGINE_HF_WEIGHTS_H_

// The tensors of an HF model directory: `model.safetensors`, or the shards that
// `model.safetensors.index.json` names in its weight_map. Files are memory-mapped; a
// tensor is converted to the requested dtype and device when it is taken. A CPU tensor
// already in the requested dtype aliases the mapping (zero-copy; the mapping lives as long
// as any such tensor). Torch header.

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/engine/hf/mapped_safetensors.h"

namespace ptune::engine::hf {

class HfWeights {
 public:
  // NOT_FOUND when the directory has neither file; INVALID_ARGUMENT naming the file for a
  // malformed index (bad JSON, no weight_map, a shard name with a '/', a tensor the index
  // places in a shard that lacks it) or a malformed safetensors file.
  static absl::StatusOr<HfWeights> Open(const std::string& model_dir);
  // One safetensors file (no index), e.g. a fixture's expected.safetensors.
  static absl::StatusOr<HfWeights> OpenFile(const std::string& path);

  bool Contains(const std::string& name) const { return where_.count(name) != 0; }
  std::vector<std::string> Names() const;

  // A floating-point weight (F32, BF16 or F16) of exactly `shape`, converted to `options`'
  // dtype and device. INVALID_ARGUMENT naming the file and the tensor when it is missing,
  // has another shape, or another dtype.
  absl::StatusOr<torch::Tensor> Weight(const std::string& name, const std::vector<int64_t>& shape,
                                       const torch::TensorOptions& options) const;
  // Any tensor as stored (float, integer or bool dtypes), copied to a CPU tensor.
  absl::StatusOr<torch::Tensor> Raw(const std::string& name) const;

 private:
  struct Location {
    std::shared_ptr<MappedSafetensors> file;
    const TensorSlot* slot;
  };
  absl::StatusOr<Location> Find(const std::string& name) const;
  static absl::Status Add(std::shared_ptr<MappedSafetensors> file, HfWeights& weights);

  std::string source_;  // the directory or file, for messages
  std::map<std::string, Location> where_;
};

// Takes a model's weights one by one and keeps the first error, so a model's loader reads
// as the list of its tensors: `Take` returns an undefined tensor after a failure.
class WeightTaker {
 public:
  WeightTaker(const HfWeights& weights, torch::TensorOptions options)
      : weights_(weights), options_(options) {}
  torch::Tensor Take(const std::string& name, const std::vector<int64_t>& shape);
  bool Has(const std::string& name) const { return weights_.Contains(name); }
  const absl::Status& status() const { return status_; }

 private:
  const HfWeights& weights_;
  const torch::TensorOptions options_;
  absl::Status status_;
};

}  // namespace ptune::engine::hf

#endif  // PTUNE_WORKER_ENGINE_HF_WEIGHTS_H_

#ifndef PTUNE_WORKER_ENGINE_TRAINING_CHECKPOINT_H_
#define PTUNE_WORKER_ENGINE_TRAINING_CHECKPOINT_H_

// Checkpoints of a job's trainable state as a byte string (they travel through the
// scheduler as bytes). Torch header.
//
// Format: a torch::serialize archive (a zip readable with torch.load's
// torch.jit machinery) holding
//   "meta"          a JSON string: format "ptune-checkpoint", version, step, method,
//                   spec fingerprint and spec JSON, tensor names/shapes, early-stopping
//                   state, LibTorch version;
//   "params/<name>" every trainable tensor (prompt method and head);
//   "best/<name>"   the trainable tensors of the best validation evaluation so far;
//   "optimizer"     the optimizer's state (Adam moments and step counts per param);
//   "rng/cpu"       LibTorch's default CPU generator state.
// The data order needs no state: it is a function of (seed, step) (see batcher.h).

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"
#include "worker/engine/training/early_stopping.h"

namespace ptune::engine {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

struct CheckpointState {
  uint64_t step = 0;  // last finished optimizer step
  std::string method;
  std::string spec_fingerprint;  // hex FNV-1a of the deterministic spec serialization
  std::string spec_json;         // the (defaulted) spec, for humans and tools
  EarlyStopping early_stopping;  // meta keys has_best, best_metric, evals_since_best
  NamedTensors params;           // current trainable values
  NamedTensors best;  // values at the best evaluation (empty without early_stopping.has_best)
  torch::Tensor cpu_rng_state;
};

// 64-bit FNV-1a (hex) of the deterministic serialization of `spec`: identifies the spec
// a checkpoint was written by.
std::string SpecFingerprint(const ptune::v1::JobSpec& spec);
// The protobuf JSON mapping of `spec` (for checkpoints and artifacts' metadata).
std::string SpecJson(const ptune::v1::JobSpec& spec);

// The checkpoint state of a job of `spec` at `step`, with LibTorch's default CPU
// generator state captured now.
CheckpointState CaptureState(const ptune::v1::JobSpec& spec, uint64_t step, std::string method,
                             const EarlyStopping& early_stopping, NamedTensors params,
                             NamedTensors best);
// Sets LibTorch's default CPU generator to the state a checkpoint captured.
void RestoreCpuRng(const CheckpointState& state);

// Serializes `state` and `optimizer`'s state. Tensors are copied to CPU.
std::string SaveCheckpoint(const CheckpointState& state, torch::optim::Optimizer& optimizer);

// Parses bytes written by SaveCheckpoint and loads the optimizer state into `optimizer`,
// which must have been built over the same parameters in the same order. `expected`
// gives the names and shapes of the trainable tensors this job has (values ignored) and
// `method` its method: FAILED_PRECONDITION when they differ from the checkpoint's (a
// checkpoint of another spec); INVALID_ARGUMENT for bytes that are not a ptune
// checkpoint. Tensors come back on CPU.
absl::StatusOr<CheckpointState> LoadCheckpoint(const std::string& bytes,
                                               const NamedTensors& expected,
                                               const std::string& method,
                                               torch::optim::Optimizer& optimizer);

// Reads only the "meta" JSON of a checkpoint (for `ptune-train` listings and tests).
absl::StatusOr<std::string> CheckpointMetaJson(const std::string& bytes);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_TRAINING_CHECKPOINT_H_

#ifndef PTUNE_WORKER_ENGINE_METHODS_TOPOLOGY_REPORT_H_
#define PTUNE_WORKER_ENGINE_METHODS_TOPOLOGY_REPORT_H_

// Topological telemetry of the prompt (docs/methods.md, "Topology telemetry"): every k
// steps, also when TSLoss is off, the Vietoris-Rips diagram of the prompt rows and its
// summary. Torch header.
//
// Units: the diagram is computed on distances divided by their mean, so bar values,
// total persistence, lifetimes and the reference scale are in units of the mean
// pairwise distance (comparable across training, where the prompt's scale drifts).
// `mean_distance` and `diameter` are reported raw (the prompt's actual scale).

#include <torch/torch.h>

#include <cstdint>
#include <memory>

#include "ptune/v1/events.pb.h"
#include "ptune/v1/spec.pb.h"
#include "worker/topology/torch_persistence.h"

namespace ptune::engine {

class TopologyReporter {
 public:
  // `spec` after ApplySpecDefaults.
  explicit TopologyReporter(const ptune::v1::TopologySpec& spec);

  // True when `every` > 0 and `step` is a multiple of it.
  bool Due(uint64_t step) const;
  // True when the full diagram goes into the snapshot at `step`.
  bool DiagramDue(uint64_t step) const;

  // Summary (and the pairs with their creating/killing simplices when DiagramDue) of
  // `prompt` (n x d; detached internally, no gradient is recorded). Throws c10::Error
  // naming the step when the prompt has non-finite values.
  ptune::v1::TopologySnapshot Snapshot(const torch::Tensor& prompt, uint64_t step);

 private:
  const ptune::v1::TopologySpec spec_;
  std::unique_ptr<topology::PersistenceLayer> layer_;
};

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_METHODS_TOPOLOGY_REPORT_H_

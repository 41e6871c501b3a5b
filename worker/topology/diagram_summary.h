// Scalar summaries of a persistence diagram (torch-free): what the topology telemetry
// reports and what tests compare.
#ifndef PTUNE_WORKER_TOPOLOGY_DIAGRAM_SUMMARY_H_
#define PTUNE_WORKER_TOPOLOGY_DIAGRAM_SUMMARY_H_

#include "worker/topology/rips_types.h"

namespace ptune::topology {

// Per-dimension figures over the *finite* bars of one dimension, except Betti numbers,
// which count every bar alive at the scale (infinite ones included).
struct DimensionSummary {
  int finite_bars = 0;
  int infinite_bars = 0;
  double total_persistence = 0;  // sum of (death - birth)
  double max_lifetime = 0;       // 0 when there is no finite bar
  // Persistence entropy -sum p log p with p = lifetime / total; 0 when total is 0.
  double entropy = 0;
};

struct DiagramSummary {
  DimensionSummary dim[2];
};

DiagramSummary Summarize(const Diagram& diagram);

// Number of bars of dimension `dim` with birth <= scale < death (the Betti number of
// the Rips complex at that scale, for scales below the diagram's threshold).
int BettiAtScale(const Diagram& diagram, int dim, double scale);

}  // namespace ptune::topology

#endif  // PTUNE_WORKER_TOPOLOGY_DIAGRAM_SUMMARY_H_

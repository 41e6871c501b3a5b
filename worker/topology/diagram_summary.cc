#include "worker/topology/diagram_summary.h"

#include <algorithm>
#include <cmath>

namespace ptune::topology {

DiagramSummary Summarize(const Diagram& diagram) {
  DiagramSummary summary;
  for (const PersistencePair& pair : diagram.pairs) {
    if (pair.dim < 0 || pair.dim > 1) continue;
    DimensionSummary& s = summary.dim[pair.dim];
    if (!pair.finite()) {
      ++s.infinite_bars;
      continue;
    }
    ++s.finite_bars;
    s.total_persistence += pair.persistence();
    s.max_lifetime = std::max(s.max_lifetime, pair.persistence());
  }
  for (const PersistencePair& pair : diagram.pairs) {
    if (pair.dim < 0 || pair.dim > 1 || !pair.finite()) continue;
    DimensionSummary& s = summary.dim[pair.dim];
    const double p = pair.persistence() / s.total_persistence;
    if (p > 0) s.entropy -= p * std::log(p);
  }
  return summary;
}

int BettiAtScale(const Diagram& diagram, int dim, double scale) {
  int count = 0;
  for (const PersistencePair& pair : diagram.pairs) {
    if (pair.dim == dim && pair.birth <= scale && scale < pair.death) ++count;
  }
  return count;
}

}  // namespace ptune::topology

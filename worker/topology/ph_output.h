// Writers of persistence diagrams for ptune-ph (torch-free).
#ifndef PTUNE_WORKER_TOPOLOGY_PH_OUTPUT_H_
#define PTUNE_WORKER_TOPOLOGY_PH_OUTPUT_H_

#include <string>

#include "worker/topology/rips_types.h"

namespace ptune::topology {

// ripser's layout: for each dimension "persistence intervals in dim k:" then one
// " [birth,death)" line per bar (" [birth, )" when infinite), values printed like
// std::ostream's default (6 significant digits). With `simplices`, each bar line is
// followed on the same line by " birth=[v...] death=[a,b]" (infinite: "death=[]").
std::string FormatRipserText(const Diagram& diagram, bool simplices);

// {"points": n, "threshold": t, "max_dim": k, "pairs": [{"dim": 0, "birth": 0,
//  "death": 1.5 | null, "birth_simplex": [3], "death_simplex": [3, 1]}, ...]}
// Values with 9 significant digits (exact for float input); infinite death -> null.
std::string FormatJson(const Diagram& diagram);

}  // namespace ptune::topology

#endif  // PTUNE_WORKER_TOPOLOGY_PH_OUTPUT_H_

// Value types of the persistent homology engine: options, pairs and diagrams.
// Torch-free; safe to include from any target.
#ifndef PTUNE_WORKER_TOPOLOGY_RIPS_TYPES_H_
#define PTUNE_WORKER_TOPOLOGY_RIPS_TYPES_H_

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace ptune::topology {

inline constexpr int32_t kNoVertex = -1;
inline constexpr double kInfinity = std::numeric_limits<double>::infinity();

// The largest point count the engine accepts: edge indices are 32-bit and the dense
// square matrix of 65535² floats is already 16 GiB.
inline constexpr int kMaxPoints = 65535;

struct RipsOptions {
  // Highest homology dimension computed: 0 or 1.
  int max_dim = 1;
  // Truncate the filtration at this diameter. Unset: the enclosing radius
  // min_i max_j d(i,j), beyond which the complex is a cone, so the diagram is exact.
  // A larger value is clamped to the enclosing radius (same diagram, less work).
  std::optional<double> threshold;
  // Report a pair only if death > ratio * birth (ripser's --ratio). The default 1
  // drops zero-length bars, as ripser does; infinite bars are always reported.
  double ratio = 1.0;
};

// One bar of the diagram with the simplices that create and kill it. Vertices are
// indices into the input; edges are stored larger vertex first.
//   H0: birth_simplex = {v, kNoVertex}, the vertex whose component dies (all vertices
//       are born at 0; the component with the smaller minimum vertex survives);
//       death_edge = the MST edge that merges it.
//   H1: birth_simplex = the edge that creates the cycle; death_edge = the longest
//       edge of the killing triangle.
// Infinite bars have death = +inf and death_edge = {kNoVertex, kNoVertex}.
//
// Total order of simplices (documented tie-break, makes results deterministic):
// by diameter, then by combinatorial index, where edge (i > j) has index
// i(i-1)/2 + j and triangle (a > b > c) has index C(a,3) + C(b,2) + c. "Longest edge"
// means the last edge in this order.
struct PersistencePair {
  int dim = 0;
  double birth = 0;
  double death = kInfinity;
  std::array<int32_t, 2> birth_simplex{kNoVertex, kNoVertex};
  std::array<int32_t, 2> death_edge{kNoVertex, kNoVertex};

  bool finite() const { return death != kInfinity; }
  double persistence() const { return death - birth; }
};

struct Diagram {
  int num_points = 0;
  int max_dim = 1;
  // The diameter at which the filtration was truncated.
  double threshold = 0;
  // H0 bars first (finite ones by increasing death, then the infinite ones), then H1
  // bars (by decreasing birth, the order the reduction finds them).
  std::vector<PersistencePair> pairs;

  void Clear() {
    num_points = 0;
    threshold = 0;
    pairs.clear();
  }
};

}  // namespace ptune::topology

#endif  // PTUNE_WORKER_TOPOLOGY_RIPS_TYPES_H_

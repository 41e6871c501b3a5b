// Test support for the topology tests: point-cloud generators, tolerance-based diagram
// matching, and the two oracles nobody here wrote (the Debian ripser binary and
// GUDHI's Rips persistent cohomology, in-process).
#ifndef PTUNE_TESTS_TOPOLOGY_DIAGRAM_ORACLES_H_
#define PTUNE_TESTS_TOPOLOGY_DIAGRAM_ORACLES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "worker/topology/rips_types.h"

namespace ptune::topology::testing {

struct Bar {
  int dim;
  double birth, death;  // death = +inf for infinite bars
};

// A dense n×n distance matrix (row-major, float like ripser's) built in double.
struct Matrix {
  int n = 0;
  std::vector<float> values;
  float at(int i, int j) const { return values[static_cast<size_t>(i) * n + j]; }
  std::vector<float> Lower() const;  // ripser's lower-distance layout
};

using Points = std::vector<std::vector<double>>;
Points GaussianCloud(int n, int d, uint64_t seed);
Points NoisyCircle(int n, double radius, double cx, double cy, double noise, uint64_t seed);
Points FigureEight(int n, uint64_t seed);
Points Clusters(int clusters, int per_cluster, int d, double spread, uint64_t seed);
Points Embed(const Points& low, int d, uint64_t seed);  // random linear map to R^d
Matrix Euclidean(const Points& points);
Matrix Cosine(const Points& points);

std::vector<Bar> Bars(const Diagram& diagram);

// True if a perfect matching exists in which matched bars of the same dimension have
// |Δbirth| <= tol and |Δdeath| <= tol (infinite with infinite) and every unmatched bar
// has persistence <= 2·tol: the bottleneck distance is at most tol. On failure,
// `why` names a bar that cannot be matched.
bool MatchWithin(const std::vector<Bar>& a, const std::vector<Bar>& b, double tol,
                 std::string* why);

// The intervals in ripser's text output ("persistence intervals in dim d:" headers, then
// " [birth,death)" or " [birth, )" lines), with death = +inf for the open ones.
std::vector<Bar> ParseRipserIntervals(const std::string& text);

// Runs /usr/bin/ripser --format lower-distance --dim 1 [extra, split at spaces] on the
// matrix written to a temporary file and parses its intervals. Aborts the test (ADD_FAILURE + empty
// result) if ripser is missing or fails.
std::vector<Bar> RunRipser(const Matrix& matrix, const std::string& extra_args = "");

// GUDHI: Rips_complex up to dimension 2 at `threshold` + Persistent_cohomology over
// Z/2, on the same float values promoted to double. Zero-length bars are dropped.
std::vector<Bar> RunGudhi(const Matrix& matrix, double threshold);

// min_i max_j d(i,j)
double EnclosingRadius(const Matrix& matrix);

}  // namespace ptune::topology::testing

#endif  // PTUNE_TESTS_TOPOLOGY_DIAGRAM_ORACLES_H_

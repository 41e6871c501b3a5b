#include "tests/topology/diagram_oracles.h"

#include <gtest/gtest.h>
#include <gudhi/Persistent_cohomology.h>
#include <gudhi/Rips_complex.h>
#include <gudhi/Simplex_tree.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <sstream>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace ptune::topology::testing {

std::vector<float> Matrix::Lower() const {
  std::vector<float> lower;
  for (int i = 1; i < n; ++i) {
    for (int j = 0; j < i; ++j) lower.push_back(at(i, j));
  }
  return lower;
}

Points GaussianCloud(int n, int d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Points points(n, std::vector<double>(d));
  for (auto& p : points) {
    for (double& x : p) x = normal(rng);
  }
  return points;
}

Points NoisyCircle(int n, double radius, double cx, double cy, double noise, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, noise);
  Points points;
  for (int i = 0; i < n; ++i) {
    const double t = 2 * M_PI * i / n;
    points.push_back(
        {cx + radius * std::cos(t) + normal(rng), cy + radius * std::sin(t) + normal(rng)});
  }
  return points;
}

Points FigureEight(int n, uint64_t seed) {
  Points left = NoisyCircle(n / 2, 1, -1, 0, 0.01, seed);
  Points right = NoisyCircle(n - n / 2, 1, 1, 0, 0.01, seed + 1);
  left.insert(left.end(), right.begin(), right.end());
  return left;
}

Points Clusters(int clusters, int per_cluster, int d, double spread, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Points points;
  for (int c = 0; c < clusters; ++c) {
    std::vector<double> center(d);
    for (double& x : center) x = 100 * normal(rng);
    for (int i = 0; i < per_cluster; ++i) {
      std::vector<double> p = center;
      for (double& x : p) x += spread * normal(rng);
      points.push_back(p);
    }
  }
  return points;
}

Points Embed(const Points& low, int d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  const size_t k = low.empty() ? 0 : low[0].size();
  std::vector<double> map(k * d);
  for (double& x : map) x = normal(rng);
  Points out;
  for (const auto& p : low) {
    std::vector<double> q(d, 0);
    for (int c = 0; c < d; ++c) {
      for (size_t r = 0; r < k; ++r) q[c] += p[r] * map[r * d + c];
    }
    out.push_back(q);
  }
  return out;
}

namespace {

Matrix Build(const Points& points, const std::function<double(int, int)>& distance) {
  Matrix m;
  m.n = static_cast<int>(points.size());
  m.values.assign(static_cast<size_t>(m.n) * m.n, 0);
  for (int i = 0; i < m.n; ++i) {
    for (int j = 0; j < i; ++j) {
      const float d = static_cast<float>(distance(i, j));
      m.values[static_cast<size_t>(i) * m.n + j] = d;
      m.values[static_cast<size_t>(j) * m.n + i] = d;
    }
  }
  return m;
}

bool Compatible(const Bar& x, const Bar& y, double tol) {
  if (x.dim != y.dim || std::abs(x.birth - y.birth) > tol) return false;
  if (std::isinf(x.death) || std::isinf(y.death)) return std::isinf(x.death) && std::isinf(y.death);
  return std::abs(x.death - y.death) <= tol;
}

// Kuhn's augmenting paths: can every bar of `x` far from the diagonal be matched?
bool CoverSide(const std::vector<Bar>& x, const std::vector<Bar>& y, double tol, std::string* why) {
  std::vector<std::vector<int>> adjacent(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    for (size_t j = 0; j < y.size(); ++j) {
      if (Compatible(x[i], y[j], tol)) adjacent[i].push_back(static_cast<int>(j));
    }
  }
  std::vector<int> owner(y.size(), -1);
  std::vector<char> seen;
  std::function<bool(int)> augment = [&](int i) {
    for (int j : adjacent[i]) {
      if (seen[j]) continue;
      seen[j] = 1;
      if (owner[j] < 0 || augment(owner[j])) {
        owner[j] = i;
        return true;
      }
    }
    return false;
  };
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i].death - x[i].birth <= 2 * tol) continue;
    seen.assign(y.size(), 0);
    if (!augment(static_cast<int>(i))) {
      std::ostringstream s;
      s << "no partner for bar dim " << x[i].dim << " [" << x[i].birth << ", " << x[i].death << ")";
      *why = s.str();
      return false;
    }
  }
  return true;
}

}  // namespace

Matrix Euclidean(const Points& points) {
  return Build(points, [&](int i, int j) {
    double s = 0;
    for (size_t k = 0; k < points[i].size(); ++k) {
      s += (points[i][k] - points[j][k]) * (points[i][k] - points[j][k]);
    }
    return std::sqrt(s);
  });
}

Matrix Cosine(const Points& points) {
  return Build(points, [&](int i, int j) {
    double dot = 0, ni = 0, nj = 0;
    for (size_t k = 0; k < points[i].size(); ++k) {
      dot += points[i][k] * points[j][k];
      ni += points[i][k] * points[i][k];
      nj += points[j][k] * points[j][k];
    }
    return std::sqrt(std::max(0.0, 2 - 2 * dot / std::sqrt(ni * nj)));
  });
}

std::vector<Bar> Bars(const Diagram& diagram) {
  std::vector<Bar> bars;
  for (const PersistencePair& p : diagram.pairs) bars.push_back({p.dim, p.birth, p.death});
  return bars;
}

bool MatchWithin(const std::vector<Bar>& a, const std::vector<Bar>& b, double tol,
                 std::string* why) {
  // Mendelsohn–Dulmage: matchings covering each side's far bars combine into one.
  return CoverSide(a, b, tol, why) && CoverSide(b, a, tol, why);
}

std::vector<Bar> ParseRipserIntervals(const std::string& text) {
  std::vector<Bar> bars;
  std::istringstream in(text);
  std::string line;
  int dim = -1;
  while (std::getline(in, line)) {
    double birth, death;
    if (std::sscanf(line.c_str(), "persistence intervals in dim %d:", &dim) == 1) continue;
    if (dim >= 0 && std::sscanf(line.c_str(), " [%lf,%lf)", &birth, &death) == 2) {
      bars.push_back({dim, birth, death});
    } else if (dim >= 0 && std::sscanf(line.c_str(), " [%lf, )", &birth) == 1) {
      bars.push_back({dim, birth, std::numeric_limits<double>::infinity()});
    }
  }
  return bars;
}

std::vector<Bar> RunRipser(const Matrix& matrix, const std::string& extra_args) {
  support::TempDir dir("ptune-ripser");
  const std::string path = dir.File("lower.txt");
  {
    std::ofstream file(path);
    char value[32];
    for (float v : matrix.Lower()) {
      std::snprintf(value, sizeof value, "%.9g\n", v);
      file << value;
    }
  }
  std::vector<std::string> argv = {"/usr/bin/ripser", "--format", "lower-distance", "--dim", "1"};
  std::istringstream extra(extra_args);
  for (std::string word; extra >> word;) argv.push_back(word);
  argv.push_back(path);
  const support::CommandResult ran = support::RunCommand(argv, std::chrono::seconds(60));
  if (ran.exit_code != 0) {
    ADD_FAILURE() << "/usr/bin/ripser " << extra_args << " exited " << ran.exit_code << ": "
                  << ran.err;
    return {};
  }
  return ParseRipserIntervals(ran.out);
}

std::vector<Bar> RunGudhi(const Matrix& matrix, double threshold) {
  using SimplexTree = Gudhi::Simplex_tree<>;
  using Field = Gudhi::persistent_cohomology::Field_Zp;
  std::vector<std::vector<double>> distances(matrix.n);
  for (int i = 0; i < matrix.n; ++i) {
    for (int j = 0; j < i; ++j) distances[i].push_back(matrix.at(i, j));
  }
  Gudhi::rips_complex::Rips_complex<double> rips(distances, threshold);
  SimplexTree tree;
  rips.create_complex(tree, 2);
  Gudhi::persistent_cohomology::Persistent_cohomology<SimplexTree, Field> cohomology(tree);
  cohomology.init_coefficients(2);
  cohomology.compute_persistent_cohomology(0);
  std::vector<Bar> bars;
  for (int dim = 0; dim <= 1; ++dim) {
    for (const auto& [birth, death] : cohomology.intervals_in_dimension(dim)) {
      if (death > birth) bars.push_back({dim, birth, death});
    }
  }
  return bars;
}

double EnclosingRadius(const Matrix& matrix) {
  double radius = std::numeric_limits<double>::infinity();
  for (int i = 0; i < matrix.n; ++i) {
    double row = 0;
    for (int j = 0; j < matrix.n; ++j) row = std::max<double>(row, matrix.at(i, j));
    radius = std::min(radius, row);
  }
  return radius;
}

}  // namespace ptune::topology::testing

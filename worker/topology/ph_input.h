// Parsing of the ripser input formats for ptune-ph (torch-free).
//
// Numbers are separated by whitespace or commas (as ripser reads them). Every error is
// INVALID_ARGUMENT with a message "<source>:<line>: <what>" naming the offending line.
#ifndef PTUNE_WORKER_TOPOLOGY_PH_INPUT_H_
#define PTUNE_WORKER_TOPOLOGY_PH_INPUT_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ptune::topology {

enum class InputFormat {
  kLowerDistance,  // strict lower triangle, row by row: d(1,0) d(2,0) d(2,1) ...
  kUpperDistance,  // strict upper triangle, row by row: d(0,1) d(0,2) ... d(1,2) ...
  kDistance,       // full n×n matrix, one row per line; must be symmetric
  kPointCloud,     // one point per line, coordinates; Euclidean distances
  kSparse,         // lines "i j d"; missing pairs are not edges (+inf)
};

// "lower-distance", "upper-distance", "distance", "point-cloud", "sparse".
absl::StatusOr<InputFormat> ParseInputFormat(std::string_view name);

struct DistanceInput {
  int num_points = 0;
  int dimension = 0;          // point-cloud only: coordinates per point
  size_t sparse_entries = 0;  // sparse only: number of distinct pairs given
  // Strict lower triangle in ripser's layout (n(n-1)/2 values), float like ripser.
  std::vector<float> lower;
};

// Parses `text` (the whole input). Rejects: an empty input, text that is not a
// number, NaN, negative distances (infinite coordinates), a lower/upper triangle whose
// length is not n(n-1)/2, ragged rows (distance, point-cloud), an asymmetric
// `distance` matrix, sparse lines that are not "i j d" with integer i != j >= 0, a
// sparse vertex index of 16384 or more (the dense triangle it implies would pass 512
// MiB), and more than kMaxPoints points.
absl::StatusOr<DistanceInput> ParseDistanceInput(std::string_view text, InputFormat format,
                                                 std::string_view source);

// Reads a whole file ("-" = stdin). NOT_FOUND / UNAVAILABLE naming the path.
absl::StatusOr<std::string> ReadInputFile(const std::string& path);

}  // namespace ptune::topology

#endif  // PTUNE_WORKER_TOPOLOGY_PH_INPUT_H_

#include "worker/topology/ph_input.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "worker/topology/rips_types.h"
#include "worker/topology/simplex_index.h"

namespace ptune::topology {
namespace {

bool IsSeparator(char c) { return c == ' ' || c == '\t' || c == '\r' || c == ','; }

// Walks the text line by line; each line is split into numbers.
class LineReader {
 public:
  LineReader(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  // Parses the next line into `values` (cleared first); false at the end of the text.
  // Sets `status` on a token that is not a number.
  bool Next(std::vector<double>* values, absl::Status* status) {
    values->clear();
    if (pos_ >= text_.size()) return false;
    ++line_;
    size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    const char* p = text_.data() + pos_;
    const char* const stop = text_.data() + end;
    pos_ = end + 1;
    while (p < stop) {
      while (p < stop && IsSeparator(*p)) ++p;
      if (p == stop) break;
      const char* token = p;
      while (p < stop && !IsSeparator(*p)) ++p;
      const char* begin = (*token == '+' && p - token > 1) ? token + 1 : token;
      double value;
      const auto [ptr, ec] = std::from_chars(begin, p, value);
      if (ec != std::errc() || ptr != p) {
        *status = Error(absl::StrCat("'", std::string(token, p - token), "' is not a number"));
        return false;
      }
      if (std::isnan(value)) {
        *status = Error("NaN is not allowed");
        return false;
      }
      values->push_back(value);
    }
    return true;
  }

  absl::Status Error(const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", line_, ": ", what));
  }
  int line() const { return line_; }

 private:
  std::string_view text_;
  std::string source_;
  size_t pos_ = 0;
  int line_ = 0;
};

absl::Status CheckDistance(const LineReader& reader, double value) {
  if (value < 0) return reader.Error(absl::StrCat("negative distance ", value));
  return absl::OkStatus();
}

absl::Status CheckPointCount(const std::string& source, size_t n) {
  if (n == 0) return absl::InvalidArgumentError(absl::StrCat(source, ": empty input"));
  if (n > static_cast<size_t>(kMaxPoints)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", n, " points; at most ", kMaxPoints, " are supported"));
  }
  return absl::OkStatus();
}

// Lower or upper triangle given as a plain sequence of numbers.
absl::StatusOr<DistanceInput> ParseTriangle(std::string_view text, bool upper,
                                            const std::string& source) {
  LineReader reader(text, source);
  std::vector<double> values;
  std::vector<float> sequence;
  absl::Status status;
  while (reader.Next(&values, &status)) {
    for (double v : values) {
      if (absl::Status s = CheckDistance(reader, v); !s.ok()) return s;
      sequence.push_back(static_cast<float>(v));
    }
  }
  if (!status.ok()) return status;
  if (sequence.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": empty input"));
  const size_t m = sequence.size();
  const size_t n = static_cast<size_t>((1 + std::sqrt(1.0 + 8.0 * m)) / 2 + 0.5);
  if (n * (n - 1) / 2 != m) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": ", m, " distances do not form a triangle (need n(n-1)/2 for some n)"));
  }
  if (absl::Status s = CheckPointCount(source, n); !s.ok()) return s;
  DistanceInput input;
  input.num_points = static_cast<int>(n);
  if (!upper) {
    input.lower = std::move(sequence);
    return input;
  }
  input.lower.resize(m);
  size_t next = 0;
  for (uint32_t i = 0; i + 1 < n; ++i) {
    for (uint32_t j = i + 1; j < n; ++j) input.lower[EdgeIndex(j, i)] = sequence[next++];
  }
  return input;
}

absl::StatusOr<DistanceInput> ParseFullMatrix(std::string_view text, const std::string& source) {
  LineReader reader(text, source);
  std::vector<double> row, matrix;
  std::vector<int> lines;
  size_t n = 0;
  absl::Status status;
  while (reader.Next(&row, &status)) {
    if (row.empty()) continue;
    if (n == 0) n = row.size();
    if (row.size() != n) {
      return reader.Error(absl::StrCat("ragged row: ", row.size(), " values, expected ", n));
    }
    for (double v : row) {
      if (absl::Status s = CheckDistance(reader, v); !s.ok()) return s;
    }
    matrix.insert(matrix.end(), row.begin(), row.end());
    lines.push_back(reader.line());
  }
  if (!status.ok()) return status;
  if (absl::Status s = CheckPointCount(source, n); !s.ok()) return s;
  if (lines.size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", lines.size(), " rows for a ", n, "x", n, " matrix"));
  }
  DistanceInput input;
  input.num_points = static_cast<int>(n);
  input.lower.resize(n * (n - 1) / 2);
  for (size_t i = 1; i < n; ++i) {
    for (size_t j = 0; j < i; ++j) {
      const double a = matrix[i * n + j], b = matrix[j * n + i];
      if (std::abs(a - b) > 1e-6 * std::max(std::abs(a), std::abs(b))) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ":", lines[i], ": matrix is not symmetric: entry (", i, ",", j,
                         ") = ", a, " but (", j, ",", i, ") = ", b, " on line ", lines[j]));
      }
      input.lower[EdgeIndex(i, j)] = static_cast<float>(a);
    }
  }
  return input;
}

double SquaredDistance(const double* x, const double* y, size_t d) {
  double s[4] = {0, 0, 0, 0};
  size_t k = 0;
  for (; k + 4 <= d; k += 4) {
    for (size_t u = 0; u < 4; ++u) s[u] += (x[k + u] - y[k + u]) * (x[k + u] - y[k + u]);
  }
  for (; k < d; ++k) s[0] += (x[k] - y[k]) * (x[k] - y[k]);
  return (s[0] + s[1]) + (s[2] + s[3]);
}

absl::StatusOr<DistanceInput> ParsePointCloud(std::string_view text, const std::string& source) {
  LineReader reader(text, source);
  std::vector<double> row, points;
  size_t d = 0, n = 0;
  absl::Status status;
  while (reader.Next(&row, &status)) {
    if (row.empty()) continue;
    if (n == 0) d = row.size();
    if (row.size() != d) {
      return reader.Error(absl::StrCat("ragged row: ", row.size(), " coordinates, expected ", d));
    }
    for (double v : row) {
      if (std::isinf(v)) return reader.Error("coordinates must be finite");
    }
    points.insert(points.end(), row.begin(), row.end());
    ++n;
  }
  if (!status.ok()) return status;
  if (absl::Status s = CheckPointCount(source, n); !s.ok()) return s;
  DistanceInput input;
  input.num_points = static_cast<int>(n);
  input.dimension = static_cast<int>(d);
  input.lower.resize(n * (n - 1) / 2);
  for (size_t i = 1; i < n; ++i) {
    for (size_t j = 0; j < i; ++j) {
      input.lower[EdgeIndex(i, j)] =
          static_cast<float>(std::sqrt(SquaredDistance(&points[i * d], &points[j * d], d)));
    }
  }
  return input;
}

// The engine takes a dense lower triangle, so one sparse line "i j d" costs
// Choose2(max(i, j) + 1) floats: at kMaxPoints a 13-byte file asked for 8.5 GB (found by
// fuzz/fuzz_ph_input). Capped at 512 MiB of distances.
constexpr uint32_t kMaxSparsePoints = 16384;

absl::StatusOr<DistanceInput> ParseSparse(std::string_view text, const std::string& source) {
  LineReader reader(text, source);
  std::vector<double> row;
  std::map<std::pair<uint32_t, uint32_t>, float> entries;
  uint32_t n = 0;
  absl::Status status;
  while (reader.Next(&row, &status)) {
    if (row.empty()) continue;
    if (row.size() != 3) return reader.Error("expected 'i j distance'");
    for (int c = 0; c < 2; ++c) {
      if (row[c] < 0 || row[c] != std::floor(row[c]) || row[c] >= kMaxSparsePoints) {
        return reader.Error(absl::StrCat("vertex index must be an integer in [0, ",
                                         kMaxSparsePoints, ") (got ", row[c], ")"));
      }
    }
    if (row[0] == row[1]) return reader.Error("an entry needs two different vertices");
    if (absl::Status s = CheckDistance(reader, row[2]); !s.ok()) return s;
    const uint32_t a = static_cast<uint32_t>(row[0]), b = static_cast<uint32_t>(row[1]);
    entries[{std::max(a, b), std::min(a, b)}] = static_cast<float>(row[2]);
    n = std::max(n, std::max(a, b) + 1);
  }
  if (!status.ok()) return status;
  if (absl::Status s = CheckPointCount(source, n); !s.ok()) return s;
  DistanceInput input;
  input.num_points = static_cast<int>(n);
  input.sparse_entries = entries.size();
  input.lower.assign(Choose2(n), std::numeric_limits<float>::infinity());
  for (const auto& [edge, d] : entries) input.lower[EdgeIndex(edge.first, edge.second)] = d;
  return input;
}

}  // namespace

absl::StatusOr<InputFormat> ParseInputFormat(std::string_view format_name) {
  const std::string name(format_name);
  if (name == "lower-distance") return InputFormat::kLowerDistance;
  if (name == "upper-distance") return InputFormat::kUpperDistance;
  if (name == "distance") return InputFormat::kDistance;
  if (name == "point-cloud") return InputFormat::kPointCloud;
  if (name == "sparse") return InputFormat::kSparse;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format '", name,
                   "' (expected lower-distance, upper-distance, distance, point-cloud or sparse)"));
}

absl::StatusOr<DistanceInput> ParseDistanceInput(std::string_view text, InputFormat format,
                                                 std::string_view source_name) {
  const std::string source(source_name);
  switch (format) {
    case InputFormat::kLowerDistance:
      return ParseTriangle(text, false, source);
    case InputFormat::kUpperDistance:
      return ParseTriangle(text, true, source);
    case InputFormat::kDistance:
      return ParseFullMatrix(text, source);
    case InputFormat::kPointCloud:
      return ParsePointCloud(text, source);
    case InputFormat::kSparse:
      return ParseSparse(text, source);
  }
  return absl::InvalidArgumentError("unknown input format");
}

absl::StatusOr<std::string> ReadInputFile(const std::string& path) {
  FILE* file = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot open '", path, "': ", std::strerror(errno)));
  }
  std::string text;
  char buffer[1 << 16];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, got);
  const bool failed = std::ferror(file) != 0;
  if (file != stdin) std::fclose(file);
  if (failed) return absl::UnavailableError(absl::StrCat("error reading '", path, "'"));
  return text;
}

}  // namespace ptune::topology

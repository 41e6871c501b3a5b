// ptune-ph: persistent homology of a Vietoris–Rips filtration, a drop-in for the
// ripser CLI on its common uses (same options and output layout), plus the creating
// and killing simplices and JSON output. Links only the torch-free core.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "worker/topology/ph_input.h"
#include "worker/topology/ph_output.h"
#include "worker/topology/rips_engine.h"

namespace ptune::topology {
namespace {

struct CliOptions {
  std::string file = "-";
  std::string format = "lower-distance";
  int dim = 1;
  std::optional<double> threshold;
  double ratio = 1;
  bool simplices = false;
  bool json = false;
};

// The informational lines ripser prints before the intervals.
std::string Header(const DistanceInput& input, InputFormat format, const Diagram& diagram,
                   bool threshold_given) {
  std::string out;
  if (format == InputFormat::kPointCloud) {
    absl::StrAppend(&out, "point cloud with ", input.num_points, " points in dimension ",
                    input.dimension, "\n");
  }
  if (format == InputFormat::kSparse) {
    absl::StrAppend(&out, "sparse distance matrix with ", input.num_points, " points and ",
                    input.sparse_entries, "/", input.sparse_entries, " entries\n");
    return out;
  }
  if (!input.lower.empty()) {
    const auto [lo, hi] = std::minmax_element(input.lower.begin(), input.lower.end());
    absl::StrAppendFormat(&out, "value range: [%g,%g]\n", *lo, *hi);
  }
  absl::StrAppendFormat(&out, "distance matrix with %d points, using threshold %s%g\n",
                        input.num_points, threshold_given ? "" : "at enclosing radius ",
                        diagram.threshold);
  return out;
}

int Run(const CliOptions& cli) {
  absl::StatusOr<InputFormat> format = ParseInputFormat(cli.format);
  RipsOptions rips;
  rips.max_dim = cli.dim;
  rips.threshold = cli.threshold;
  rips.ratio = cli.ratio;
  absl::StatusOr<std::unique_ptr<RipsEngine>> engine = RipsEngine::Create(rips);
  absl::StatusOr<std::string> text;
  absl::StatusOr<DistanceInput> input;
  Diagram diagram;
  absl::Status status = format.status();
  if (status.ok()) status = engine.status();
  if (status.ok()) status = (text = ReadInputFile(cli.file)).status();
  const std::string source = cli.file == "-" ? "<stdin>" : cli.file;
  if (status.ok()) status = (input = ParseDistanceInput(*text, *format, source)).status();
  if (status.ok()) {
    status = (*engine)->ComputeLower(input->lower.data(), input->num_points, &diagram);
  }
  if (!status.ok()) {
    std::fprintf(stderr, "ptune-ph: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  const std::string out = cli.json ? FormatJson(diagram)
                                   : Header(*input, *format, diagram, cli.threshold.has_value()) +
                                         FormatRipserText(diagram, cli.simplices);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ptune::topology

int main(int argc, char** argv) {
  ptune::topology::CliOptions cli;
  CLI::App app{
      "ptune-ph: persistent homology (Z/2) of the Vietoris-Rips filtration of a finite "
      "metric space, in dimensions 0 and 1.\nA drop-in for the ripser CLI on its common "
      "uses: same options, same 'persistence intervals in dim k:' / ' [b,d)' output.\n"
      "Exit status: 0 on success, 1 on bad input (message on stderr), another non-zero "
      "status on bad usage.",
      "ptune-ph"};
  app.add_option("file", cli.file, "Input file; '-' or absent reads stdin (standard input)");
  app.add_option("--format", cli.format,
                 "Input format: lower-distance (strict lower triangle, row by row; default), "
                 "upper-distance (strict upper triangle, row by row), distance (full "
                 "symmetric matrix, one row per line), point-cloud (one point per line; "
                 "Euclidean distances), sparse (lines 'i j d'; missing pairs are no edge). "
                 "Numbers are separated by spaces, tabs or commas")
      ->check(
          CLI::IsMember({"lower-distance", "upper-distance", "distance", "point-cloud", "sparse"}));
  app.add_option("--dim", cli.dim,
                 "Compute persistent homology up to dimension k (0 or 1; default 1)")
      ->check(CLI::Range(0, 1));
  app.add_option("--threshold", cli.threshold,
                 "Compute Rips complexes up to diameter t (default: the enclosing radius, "
                 "which gives the exact diagram)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--ratio", cli.ratio,
                 "Only show persistence pairs with death/birth ratio > r (default 1: "
                 "zero-length bars are not shown)")
      ->check(CLI::Validator(
          [](std::string& value) {
            char* end = nullptr;
            const double r = std::strtod(value.c_str(), &end);
            const bool ok = end != value.c_str() && *end == '\0' && r >= 1;
            return ok ? std::string() : std::string("ratio must be a number >= 1");
          },
          "FLOAT >= 1"));
  app.add_flag("--simplices", cli.simplices,
               "After each interval print the creating simplex and the killing edge, e.g. "
               "' [0.5,0.8) birth=[4,2] death=[7,1]' (vertices are 0-based input indices; "
               "H0 bars are born at a vertex and die at an MST edge; H1 bars die at the "
               "longest edge of the killing triangle; ties broken by (length, edge index))");
  app.add_flag("--json", cli.json,
               "Print the diagram as JSON ({points, threshold, max_dim, pairs: [{dim, "
               "birth, death (null if infinite), birth_simplex, death_simplex}]}) instead "
               "of text");
  CLI11_PARSE(app, argc, argv);
  return ptune::topology::Run(cli);
}

#include "worker/topology/ph_output.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ptune::topology {
namespace {

// The vertices of a simplex as "[a,b]" / "[v]" / "[]".
std::string Simplex(const std::array<int32_t, 2>& v, const char* separator) {
  if (v[0] == kNoVertex) return "[]";
  if (v[1] == kNoVertex) return absl::StrCat("[", v[0], "]");
  return absl::StrCat("[", v[0], separator, v[1], "]");
}

std::string JsonNumber(double v) {
  return v == kInfinity ? std::string("null") : absl::StrFormat("%.9g", v);
}

}  // namespace

std::string FormatRipserText(const Diagram& diagram, bool simplices) {
  std::string out;
  for (int dim = 0; dim <= diagram.max_dim; ++dim) {
    absl::StrAppend(&out, "persistence intervals in dim ", dim, ":\n");
    for (const PersistencePair& pair : diagram.pairs) {
      if (pair.dim != dim) continue;
      if (pair.finite()) {
        absl::StrAppendFormat(&out, " [%g,%g)", pair.birth, pair.death);
      } else {
        absl::StrAppendFormat(&out, " [%g, )", pair.birth);
      }
      if (simplices) {
        absl::StrAppend(&out, " birth=", Simplex(pair.birth_simplex, ","),
                        " death=", Simplex(pair.death_edge, ","));
      }
      out += '\n';
    }
  }
  return out;
}

std::string FormatJson(const Diagram& diagram) {
  std::string out = absl::StrCat("{\"points\": ", diagram.num_points,
                                 ", \"threshold\": ", JsonNumber(diagram.threshold),
                                 ", \"max_dim\": ", diagram.max_dim, ", \"pairs\": [");
  for (size_t p = 0; p < diagram.pairs.size(); ++p) {
    const PersistencePair& pair = diagram.pairs[p];
    absl::StrAppend(&out, p ? "," : "", "\n  {\"dim\": ", pair.dim,
                    ", \"birth\": ", JsonNumber(pair.birth),
                    ", \"death\": ", JsonNumber(pair.death),
                    ", \"birth_simplex\": ", Simplex(pair.birth_simplex, ", "),
                    ", \"death_simplex\": ", Simplex(pair.death_edge, ", "), "}");
  }
  out += "\n]}\n";
  return out;
}

}  // namespace ptune::topology

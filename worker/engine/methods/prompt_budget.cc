#include "worker/engine/methods/prompt_budget.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ptune::engine {

absl::StatusOr<DecomposedShape> ResolveDecomposedShape(const ptune::v1::JobSpec& spec,
                                                       int64_t hidden_size) {
  DecomposedShape shape;
  shape.hidden_size = hidden_size;
  shape.max_seq_len = spec.data().max_seq_len();
  if (shape.max_seq_len <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("data.max_seq_len: must be > 0 for DePT/EPT (got ", shape.max_seq_len, ")"));
  }
  const int64_t m = spec.dept().short_length();
  const int64_t r = spec.dept().rank();
  if (m > 0 && r > 0) {
    shape.short_length = m;
    shape.rank = r;
    return shape;
  }
  if (m > 0 || r > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(m > 0 ? "dept.rank" : "dept.short_length",
                     ": must be given together with the other (or both 0 to derive them from "
                     "prompt.length) (got short_length=",
                     m, ", rank=", r, ")"));
  }
  const int64_t l = spec.prompt().length();
  shape.short_length = std::llround(0.6 * static_cast<double>(l));
  shape.rank = (l - shape.short_length) * hidden_size / (shape.max_seq_len + hidden_size);
  if (shape.short_length < 1 || shape.rank < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("prompt.length: the PT budget l*d is too small to derive DePT's (m, r) ",
                     "with m >= 1 and r >= 1; give dept.short_length and dept.rank (got ", l, ")"));
  }
  return shape;
}

int64_t PtParameters(int64_t length, int64_t hidden_size) { return length * hidden_size; }

int64_t DeptParameters(const DecomposedShape& s) {
  return s.short_length * s.hidden_size + s.max_seq_len * s.rank + s.rank * s.hidden_size;
}

int64_t EptExtraParameters(const ptune::v1::EptSpec& ept, int64_t d) {
  const int64_t k = ept.subspaces();
  const int64_t q = ept.subspace_rank();
  const int64_t fusion = ept.fusion() ? (ept.fusion_gate_per_dim() ? d : 1) : 0;
  const int64_t pool = ept.gate_input() == ptune::v1::GATE_INPUT_EXAMPLE ? 2 * d : d;
  return fusion + k * 2 * d * q + k * pool + k;
}

}  // namespace ptune::engine

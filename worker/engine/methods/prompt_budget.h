#ifndef PTUNE_WORKER_ENGINE_METHODS_PROMPT_BUDGET_H_
#define PTUNE_WORKER_ENGINE_METHODS_PROMPT_BUDGET_H_

// Shapes and trainable-parameter counts of PT, DePT and EPT, and the derivation of
// DePT's (m, r) from PT's budget l*d (docs/methods.md, "DePT"). Torch-free, so the scheduler or a
// client could show parameter counts without linking LibTorch.

#include <cstdint>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"

namespace ptune::engine {

// The decomposition of DePT and EPT: short prompt P_s (m x d), A (L x r), B (r x d).
struct DecomposedShape {
  int64_t short_length = 0;  // m
  int64_t rank = 0;          // r
  int64_t max_seq_len = 0;   // L
  int64_t hidden_size = 0;   // d
};

// Resolves (m, r) for a spec after ApplySpecDefaults:
//  * dept.short_length and dept.rank both > 0: taken as given;
//  * both 0: derived from the PT budget l*d (l = prompt.length) with m = round(0.6 l)
//    and r = floor((l - m) d / (L + d)), so m d + r (L + d) <= l d (equality when it
//    divides, e.g. l=100, d=768, L=256 gives (60, 30));
//  * exactly one of them 0, or a budget too small for r >= 1: INVALID_ARGUMENT naming
//    the field.
// EPT uses the same (m, r) as DePT; its extra tensors are counted on top (see
// EptExtraParameters) so the budget stays within a stated factor of PT's.
absl::StatusOr<DecomposedShape> ResolveDecomposedShape(const ptune::v1::JobSpec& spec,
                                                       int64_t hidden_size);

// l d.
int64_t PtParameters(int64_t length, int64_t hidden_size);
// m d + L r + r d.
int64_t DeptParameters(const DecomposedShape& shape);
// EPT's tensors beyond DePT's: the fusion gate (1 or d, when fusion is on), the K
// subspace maps U_k (d x q) and V_k (q x d), and the gate W_g (K x p) + b_g (K) with
// p = d (task gate) or 2d (per-example gate).
int64_t EptExtraParameters(const ptune::v1::EptSpec& ept, int64_t hidden_size);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_METHODS_PROMPT_BUDGET_H_

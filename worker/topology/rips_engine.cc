#include "worker/topology/rips_engine.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "worker/topology/rips_kernels.h"
#include "worker/topology/rips_workspace.h"

namespace ptune::topology {
namespace {

absl::Status CheckSize(int n) {
  if (n < 0 || n > kMaxPoints) {
    return absl::InvalidArgumentError(
        absl::StrCat("number of points must be in [0, ", kMaxPoints, "] (got ", n, ")"));
  }
  return absl::OkStatus();
}

template <typename T>
RipsWorkspace<T>& Workspace(std::unique_ptr<RipsWorkspace<T>>& slot) {
  if (slot == nullptr) slot = std::make_unique<RipsWorkspace<T>>();
  return *slot;
}

template <typename T, typename Load>
absl::Status Run(RipsWorkspace<T>& workspace, const RipsOptions& options, int n, Load load,
                 Diagram* out) {
  out->Clear();
  if (absl::Status status = CheckSize(n); !status.ok()) return status;
  if (absl::Status status = load(workspace); !status.ok()) return status;
  workspace.Compute(options, out);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RipsEngine>> RipsEngine::Create(const RipsOptions& options) {
  if (options.max_dim != 0 && options.max_dim != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_dim must be 0 or 1 (got ", options.max_dim, ")"));
  }
  if (options.threshold && !(*options.threshold >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("threshold must be >= 0 (got ", *options.threshold, ")"));
  }
  if (!(options.ratio >= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("ratio must be >= 1 (got ", options.ratio, ")"));
  }
  return std::unique_ptr<RipsEngine>(new RipsEngine(options));
}

RipsEngine::RipsEngine(const RipsOptions& options) : options_(options) {}
RipsEngine::~RipsEngine() = default;

absl::Status RipsEngine::ComputeSquare(const float* dist, int n, Diagram* out) {
  return Run(
      Workspace(float_workspace_), options_, n,
      [&](RipsWorkspace<float>& w) { return w.LoadSquare(dist, n); }, out);
}

absl::Status RipsEngine::ComputeSquare(const double* dist, int n, Diagram* out) {
  return Run(
      Workspace(double_workspace_), options_, n,
      [&](RipsWorkspace<double>& w) { return w.LoadSquare(dist, n); }, out);
}

absl::Status RipsEngine::ComputeLower(const float* lower, int n, Diagram* out) {
  return Run(
      Workspace(float_workspace_), options_, n,
      [&](RipsWorkspace<float>& w) { return w.LoadLower(lower, n); }, out);
}

absl::Status RipsEngine::ComputeLower(const double* lower, int n, Diagram* out) {
  return Run(
      Workspace(double_workspace_), options_, n,
      [&](RipsWorkspace<double>& w) { return w.LoadLower(lower, n); }, out);
}

absl::Status RipsEngine::ComputePrepared(const float* dist, int n, Diagram* out) {
  return Run(
      Workspace(float_workspace_), options_, n,
      [&](RipsWorkspace<float>& w) { return w.UsePrepared(dist, n); }, out);
}

absl::Status RipsEngine::ComputePrepared(const double* dist, int n, Diagram* out) {
  return Run(
      Workspace(double_workspace_), options_, n,
      [&](RipsWorkspace<double>& w) { return w.UsePrepared(dist, n); }, out);
}

int RipsEngine::PaddedRowLength(int n) {
  return static_cast<int>(PaddedLength(static_cast<uint32_t>(std::max(n, 0))));
}

}  // namespace ptune::topology

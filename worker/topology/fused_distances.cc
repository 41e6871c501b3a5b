#include "worker/topology/fused_distances.h"

#include <cmath>
#include <limits>
#include <utility>

namespace ptune::topology {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr double kNormEpsilon = 1e-12;  // as PairwiseDistances' cosine clamp
constexpr double kMeanEpsilon = 1e-30;  // as PairwiseDistances' mean clamp

// Lower triangle of the guarded distances from the Gram matrix g (its diagonal holds
// the squared norms); returns their sum, or NaN if a squared norm is not finite.
template <typename T>
double FillLower(const T* g, T* d, int64_t n, double sqrt_epsilon) {
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(g[i * n + i])) return std::numeric_limits<double>::quiet_NaN();
  }
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T gi = g[i * n + i];
    d[i * n + i] = 0;
    for (int64_t j = 0; j < i; ++j) {
      const T sq = gi + g[j * n + j] - 2 * g[i * n + j];
      const T v = static_cast<double>(sq) > sqrt_epsilon ? std::sqrt(sq) : T(0);
      d[i * n + j] = v;
      sum += v;
    }
  }
  return sum;
}

// Divides the lower triangle by `scale` and mirrors it to the upper one.
template <typename T>
void ScaleAndMirror(T* d, int64_t n, T scale) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < i; ++j) {
      const T v = scale == T(1) ? d[i * n + j] : d[i * n + j] / scale;
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  }
}

// grad_rows[a] += w (rows[a] - rows[b]), grad_rows[b] -= the same, for each gathered
// edge (a, b) of positive distance, w = dL/d(raw distance) / raw distance.
template <typename T>
void AddEdgeGradients(const torch::Tensor& rows, const torch::Tensor& distances,
                      const torch::Tensor& edges, const torch::Tensor& grad, double scale,
                      torch::Tensor& grad_rows) {
  const int64_t n = rows.size(0), dim = rows.size(1);
  // Distinct tensors: __restrict lets the row update vectorise.
  const T* __restrict x = rows.data_ptr<T>();
  const T* d = distances.data_ptr<T>();
  const int64_t* e = edges.data_ptr<int64_t>();
  const T* g = grad.data_ptr<T>();
  T* __restrict out = grad_rows.data_ptr<T>();
  for (int64_t k = 0; k < edges.numel(); ++k) {
    const T dist = d[e[k]];
    if (!(dist > 0)) continue;  // sqrt guard: zero gradient at distance 0
    const T w = static_cast<T>(g[k] / (scale * scale * dist));
    const int64_t a = e[k] / n, b = e[k] % n;
    for (int64_t c = 0; c < dim; ++c) {
      const T delta = w * (x[a * dim + c] - x[b * dim + c]);
      out[a * dim + c] += delta;
      out[b * dim + c] -= delta;
    }
  }
}

// Bar values gathered from the fused distance matrix; backward is analytic.
class FusedGather : public torch::autograd::Function<FusedGather> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& points,
                               const FusedDistances& fused, bool cosine,
                               const torch::Tensor& edges) {
    const torch::Tensor values = fused.distances.reshape({-1}).index_select(0, edges);
    ctx->saved_data["rows"] = fused.rows;
    ctx->saved_data["norms"] = fused.norms;
    ctx->saved_data["distances"] = fused.distances;
    ctx->saved_data["edges"] = edges;
    ctx->saved_data["values"] = values;
    ctx->saved_data["scale"] = fused.scale;
    ctx->saved_data["scale_is_mean"] = fused.scale_is_mean;
    ctx->saved_data["cosine"] = cosine;
    return values.to(points.scalar_type());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const torch::Tensor rows = ctx->saved_data["rows"].toTensor();
    const torch::Tensor distances = ctx->saved_data["distances"].toTensor();
    const torch::Tensor edges = ctx->saved_data["edges"].toTensor();
    const double scale = ctx->saved_data["scale"].toDouble();
    const torch::Tensor grad = grads[0].to(torch::kCPU, rows.scalar_type()).contiguous();
    torch::Tensor grad_rows;
    if (ctx->saved_data["scale_is_mean"].toBool()) {
      // The mean of the n(n-1)/2 raw distances r: every pair gets dL/dr = -c.
      const double pairs = static_cast<double>(rows.size(0)) * (rows.size(0) - 1) / 2;
      const double c =
          (grad * ctx->saved_data["values"].toTensor()).sum().item<double>() / (scale * pairs);
      const torch::Tensor w = torch::where(distances > 0, (-c / scale) / distances,
                                           torch::zeros({}, distances.options()));
      grad_rows = rows * w.sum(1, true);
      grad_rows.addmm_(w, rows, /*beta=*/1, /*alpha=*/-1);
    } else {
      grad_rows = torch::zeros_like(rows);
    }
    if (rows.scalar_type() == torch::kDouble) {
      AddEdgeGradients<double>(rows, distances, edges, grad, scale, grad_rows);
    } else {
      AddEdgeGradients<float>(rows, distances, edges, grad, scale, grad_rows);
    }
    torch::Tensor grad_points = grad_rows;
    if (ctx->saved_data["cosine"].toBool()) {
      // rows = x / max(|x|, eps): project out the radial part where |x| > eps.
      const torch::Tensor norms = ctx->saved_data["norms"].toTensor();
      const torch::Tensor tangent = grad_rows - rows * (rows * grad_rows).sum(1, true);
      grad_points = torch::where(norms > kNormEpsilon, tangent / norms, grad_rows / kNormEpsilon);
    }
    return {grad_points, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

bool CanFuse(const torch::Tensor& points) {
  return points.device().is_cpu() && points.dim() == 2 &&
         (points.scalar_type() == torch::kFloat || points.scalar_type() == torch::kDouble);
}

absl::StatusOr<FusedDistances> ComputeFusedDistances(const torch::Tensor& points,
                                                     const DistanceOptions& options) {
  torch::NoGradGuard no_grad;
  FusedDistances fused;
  const torch::Tensor x = points.detach().contiguous();
  if (options.kind == DistanceKind::kCosine) {
    fused.norms = x.norm(2, 1, true);
    fused.rows = (x / fused.norms.clamp_min(kNormEpsilon)).contiguous();
  } else {
    fused.rows = x;
  }
  const int64_t n = x.size(0);
  const torch::Tensor gram = torch::mm(fused.rows, fused.rows.t()).contiguous();
  fused.distances = torch::empty({n, n}, x.options());
  const bool dbl = x.scalar_type() == torch::kDouble;
  const double sum = dbl ? FillLower(gram.data_ptr<double>(), fused.distances.data_ptr<double>(), n,
                                     options.sqrt_epsilon)
                         : FillLower(gram.data_ptr<float>(), fused.distances.data_ptr<float>(), n,
                                     options.sqrt_epsilon);
  // NaN/Inf in the points would otherwise meet the sqrt guard and become distance 0.
  if (!std::isfinite(sum)) {
    return absl::InvalidArgumentError("points contain NaN or infinite values");
  }
  if (options.normalize && n >= 2) {
    const double mean = sum / (static_cast<double>(n) * (n - 1) / 2);
    fused.scale_is_mean = mean >= kMeanEpsilon;
    fused.scale = fused.scale_is_mean ? mean : kMeanEpsilon;
  }
  if (dbl) {
    ScaleAndMirror(fused.distances.data_ptr<double>(), n, fused.scale);
  } else {
    ScaleAndMirror(fused.distances.data_ptr<float>(), n, static_cast<float>(fused.scale));
  }
  return fused;
}

torch::Tensor GatherFused(const torch::Tensor& points, const FusedDistances& fused,
                          const DistanceOptions& options, std::vector<int64_t> edges) {
  const torch::Tensor index =
      torch::from_blob(edges.data(), {static_cast<int64_t>(edges.size())}, torch::kLong).clone();
  return FusedGather::apply(points, fused, options.kind == DistanceKind::kCosine, index);
}

}  // namespace ptune::topology

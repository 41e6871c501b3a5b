#include "worker/topology/fused_distances.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace ptune::topology {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr double kNormEpsilon = 1e-12;  // as PairwiseDistances' cosine clamp
constexpr double kMeanEpsilon = 1e-30;  // as PairwiseDistances' mean clamp

// Lower triangle of the guarded distances from the Gram matrix g (n×n; its diagonal
// holds the squared norms) into d (row length `stride`); returns their sum, or NaN if
// a squared norm is not finite.
template <typename T>
double FillLower(const T* g, T* d, int64_t n, int64_t stride, double sqrt_epsilon) {
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(g[i * n + i])) return std::numeric_limits<double>::quiet_NaN();
  }
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T gi = g[i * n + i];
    for (int64_t j = 0; j < i; ++j) {
      const T sq = gi + g[j * n + j] - 2 * g[i * n + j];
      const T v = static_cast<double>(sq) > sqrt_epsilon ? std::sqrt(sq) : T(0);
      d[i * stride + j] = v;
      sum += v;
    }
  }
  return sum;
}

// Divides the lower triangle by `scale`, mirrors it to the upper one, zeroes the
// diagonal and fills the padding with +inf; records the mean and the largest value.
template <typename T>
void ScaleAndMirror(T* d, int64_t n, int64_t stride, T scale, FusedDistances* fused) {
  double sum = 0, max = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < i; ++j) {
      const T v = scale == T(1) ? d[i * stride + j] : d[i * stride + j] / scale;
      d[i * stride + j] = v;
      d[j * stride + i] = v;
      sum += v;
      max = std::max<double>(max, v);
    }
    d[i * stride + i] = 0;
    std::fill(d + i * stride + n, d + (i + 1) * stride, std::numeric_limits<T>::infinity());
  }
  fused->mean_distance = n >= 2 ? sum / (static_cast<double>(n) * (n - 1) / 2) : 0;
  fused->diameter = max;
}

// grad_rows[a] += w (rows[a] - rows[b]), grad_rows[b] -= the same, for each gathered
// edge (a, b) of positive distance, w = dL/d(raw distance) / raw distance.
template <typename T>
void AddEdgeGradients(const torch::Tensor& rows, const torch::Tensor& distances,
                      const torch::Tensor& edges, const torch::Tensor& grad, double scale,
                      torch::Tensor& grad_rows) {
  const int64_t stride = distances.size(1), dim = rows.size(1);
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
    const int64_t a = e[k] / stride, b = e[k] % stride;
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
    const torch::Tensor padded = ctx->saved_data["distances"].toTensor();
    const torch::Tensor edges = ctx->saved_data["edges"].toTensor();
    const double scale = ctx->saved_data["scale"].toDouble();
    const torch::Tensor grad = grads[0].to(torch::kCPU, rows.scalar_type()).contiguous();
    torch::Tensor grad_rows;
    if (ctx->saved_data["scale_is_mean"].toBool()) {
      // The mean of the n(n-1)/2 raw distances r: every pair gets dL/dr = -c.
      const double pairs = static_cast<double>(rows.size(0)) * (rows.size(0) - 1) / 2;
      const double c =
          (grad * ctx->saved_data["values"].toTensor()).sum().item<double>() / (scale * pairs);
      const torch::Tensor distances = padded.narrow(1, 0, rows.size(0));
      const torch::Tensor w = torch::where(distances > 0, (-c / scale) / distances,
                                           torch::zeros({}, distances.options()));
      grad_rows = rows * w.sum(1, true);
      grad_rows.addmm_(w, rows, /*beta=*/1, /*alpha=*/-1);
    } else {
      grad_rows = torch::zeros_like(rows);
    }
    if (rows.scalar_type() == torch::kDouble) {
      AddEdgeGradients<double>(rows, padded, edges, grad, scale, grad_rows);
    } else {
      AddEdgeGradients<float>(rows, padded, edges, grad, scale, grad_rows);
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
  fused.stride = RipsEngine::PaddedRowLength(static_cast<int>(n));
  fused.distances = torch::empty({n, fused.stride}, x.options());
  const bool dbl = x.scalar_type() == torch::kDouble;
  const double sum = dbl ? FillLower(gram.data_ptr<double>(), fused.distances.data_ptr<double>(), n,
                                     fused.stride, options.sqrt_epsilon)
                         : FillLower(gram.data_ptr<float>(), fused.distances.data_ptr<float>(), n,
                                     fused.stride, options.sqrt_epsilon);
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
    ScaleAndMirror(fused.distances.data_ptr<double>(), n, fused.stride, fused.scale, &fused);
  } else {
    ScaleAndMirror(fused.distances.data_ptr<float>(), n, fused.stride,
                   static_cast<float>(fused.scale), &fused);
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

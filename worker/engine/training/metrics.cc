#include "worker/engine/training/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ptune::engine {
namespace {

std::vector<double> AverageRanks(const std::vector<double>& x) {
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> ranks(x.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    const double rank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

}  // namespace

double Accuracy(const std::vector<int>& predicted, const std::vector<int>& gold) {
  if (gold.empty()) return 0.0;
  size_t right = 0;
  for (size_t i = 0; i < gold.size(); ++i) right += predicted[i] == gold[i];
  return static_cast<double>(right) / static_cast<double>(gold.size());
}

double MacroF1(const std::vector<int>& predicted, const std::vector<int>& gold, int num_labels) {
  std::vector<double> tp(num_labels), fp(num_labels), fn(num_labels);
  for (size_t i = 0; i < gold.size(); ++i) {
    if (predicted[i] == gold[i]) {
      tp[gold[i]] += 1;
    } else {
      fp[predicted[i]] += 1;
      fn[gold[i]] += 1;
    }
  }
  double sum = 0;
  int classes = 0;
  for (int c = 0; c < num_labels; ++c) {
    if (tp[c] + fp[c] + fn[c] == 0) continue;
    sum += 2 * tp[c] / (2 * tp[c] + fp[c] + fn[c]);
    ++classes;
  }
  return classes == 0 ? 0.0 : sum / classes;
}

double Pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  if (n < 2) return 0.0;
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx == 0 || syy == 0) return 0.0;
  return sxy / std::sqrt(sxx * syy);
}

double Spearman(const std::vector<double>& x, const std::vector<double>& y) {
  return Pearson(AverageRanks(x), AverageRanks(y));
}

double MeanSquaredError(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.empty()) return 0.0;
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) sum += (x[i] - y[i]) * (x[i] - y[i]);
  return sum / static_cast<double>(x.size());
}

std::map<std::string, double> ClassificationMetrics(const std::vector<int>& predicted,
                                                    const std::vector<int>& gold, int num_labels) {
  return {{"accuracy", Accuracy(predicted, gold)},
          {"macro_f1", MacroF1(predicted, gold, num_labels)}};
}

std::map<std::string, double> RegressionMetrics(const std::vector<double>& predicted,
                                                const std::vector<double>& gold) {
  return {{"pearson", Pearson(predicted, gold)},
          {"spearman", Spearman(predicted, gold)},
          {"mse", MeanSquaredError(predicted, gold)}};
}

}  // namespace ptune::engine

#ifndef PTUNE_WORKER_ENGINE_TRAINING_METRICS_H_
#define PTUNE_WORKER_ENGINE_TRAINING_METRICS_H_

// Evaluation metrics over plain vectors. Torch-free.

#include <map>
#include <string>
#include <vector>

namespace ptune::engine {

// Fraction of positions where predicted == gold; 0 for empty input.
double Accuracy(const std::vector<int>& predicted, const std::vector<int>& gold);

// Unweighted mean of per-class F1 over the classes among the `num_labels` that occur in
// `gold` or `predicted` (a class in neither is left out, as scikit-learn does); 0 for
// empty input. Labels must be in [0, num_labels).
double MacroF1(const std::vector<int>& predicted, const std::vector<int>& gold, int num_labels);

// Pearson correlation; 0 when either side is constant or has < 2 points.
double Pearson(const std::vector<double>& x, const std::vector<double>& y);

// Spearman rank correlation (Pearson of average ranks, ties share their mean rank).
double Spearman(const std::vector<double>& x, const std::vector<double>& y);

double MeanSquaredError(const std::vector<double>& x, const std::vector<double>& y);

// {"accuracy", "macro_f1"} of a classification split.
std::map<std::string, double> ClassificationMetrics(const std::vector<int>& predicted,
                                                    const std::vector<int>& gold, int num_labels);
// {"pearson", "spearman", "mse"} of a regression split.
std::map<std::string, double> RegressionMetrics(const std::vector<double>& predicted,
                                                const std::vector<double>& gold);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_TRAINING_METRICS_H_

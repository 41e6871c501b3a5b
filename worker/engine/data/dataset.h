#ifndef PTUNE_WORKER_ENGINE_DATA_DATASET_H_
#define PTUNE_WORKER_ENGINE_DATA_DATASET_H_

// Labelled text examples and the train/validation/test splits of a job, built from the
// job's DataSpec (user files or a built-in dataset). Torch-free.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"
#include "worker/engine/data/table_reader.h"

namespace ptune::engine {

struct Example {
  std::string text;
  std::string text_pair;  // empty for single-sentence tasks
  int label = -1;         // index into DataSplits::labels (classification)
  double target = 0.0;    // regression target
  // Causal LM: the completion the loss is taken on (`text` is its prompt). Empty for a
  // {"text"} example, whose every token is a target.
  std::string completion;
};

struct DataSplits {
  std::vector<Example> train, validation, test;
  // Classification label names; index = label id. Empty for regression.
  std::vector<std::string> labels;
  // Verbalizer text per label (same order as labels).
  std::vector<std::string> verbalizers;
  bool regression = false;
  bool causal_lm = false;  // examples are prompt/completion or text; no labels
  // Human-readable provenance for logs ("uci-sentiment: 2400/300/300 (split_seed 0)").
  std::string description;
};

// How rows of a table become examples.
struct ExampleFields {
  std::string text_field = "text";
  std::string text_pair_field;  // empty: single sentence
  std::string label_field = "label";
  bool regression = false;
  // Causal LM: a row with `completion_field` is {prompt_field, completion_field}, any
  // other row is {text_field} (loss on all of it). No label.
  bool causal_lm = false;
  std::string prompt_field = "prompt";
  std::string completion_field = "completion";
};

// Converts rows to examples. For classification the label string is looked up in
// `labels`; when `grow_labels` is true unknown labels are appended (label inference),
// otherwise they are an error. INVALID_ARGUMENT "<path>:<line>: field "<f>": ..." for a
// missing field, an empty text, an unknown label or a regression target that is not a
// finite number.
absl::StatusOr<std::vector<Example>> RowsToExamples(const std::vector<TableRow>& rows,
                                                    const ExampleFields& fields,
                                                    const std::string& path,
                                                    std::vector<std::string>* labels,
                                                    bool grow_labels);

// Deterministic Fisher-Yates shuffle of `n` indices with a 64-bit Mersenne Twister seeded
// by `seed` (same order on every platform, unlike std::shuffle).
std::vector<size_t> SeededPermutation(size_t n, uint64_t seed);

// Builds the splits of a job's data (spec after ApplySpecDefaults). With a built-in
// `dataset` the files are ignored. Without a validation (test) file, that split is the
// first validation_fraction (test_fraction) of a split_seed permutation of the training
// file: test first, then validation, the rest trains. Inferred labels are sorted so the
// label order never depends on file order. max_train_examples truncates the training
// split after splitting. Errors name the file, line and field; NOT_FOUND for a missing
// file or an unknown built-in dataset; INVALID_ARGUMENT when a split ends up empty.
absl::StatusOr<DataSplits> LoadDataSplits(const ptune::v1::DataSpec& spec);

// Splits `all` into train/validation/test as LoadDataSplits does for a single file.
void SplitExamples(std::vector<Example> all, double validation_fraction, double test_fraction,
                   uint64_t split_seed, DataSplits* splits);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_DATA_DATASET_H_

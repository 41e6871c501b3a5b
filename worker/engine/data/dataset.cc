#include "worker/engine/data/dataset.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "worker/engine/data/builtin_datasets.h"

namespace ptune::engine {
namespace {

absl::Status FieldError(const std::string& path, int line, const std::string& field,
                        absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ":", line, ": field \"", field, "\": ", what));
}

// The text of `field` in `row`, or an error when it is missing or blank.
absl::StatusOr<std::string> RequiredText(const TableRow& row, const std::string& field,
                                         const std::string& path) {
  auto it = row.fields.find(field);
  if (it == row.fields.end()) return FieldError(path, row.line, field, "missing");
  if (absl::StripAsciiWhitespace(it->second).empty()) {
    return FieldError(path, row.line, field, "empty text");
  }
  return it->second;
}

// Label name -> id. A spec may name tens of thousands of labels, so every lookup per row
// (and per verbalizer) must not scan them.
using LabelIndex = std::unordered_map<std::string, int>;

LabelIndex IndexLabels(const std::vector<std::string>& labels) {
  LabelIndex index;
  for (size_t i = 0; i < labels.size(); ++i) index.emplace(labels[i], static_cast<int>(i));
  return index;
}

// The labels for an error message: the first few, then how many there are in all.
std::string LabelList(const std::vector<std::string>& labels) {
  constexpr size_t kShown = 10;
  if (labels.size() <= kShown) return absl::StrJoin(labels, ", ");
  return absl::StrCat(absl::StrJoin(labels.begin(), labels.begin() + kShown, ", "), ", ... (",
                      labels.size(), " labels)");
}

absl::Status FillLabel(const TableRow& row, const ExampleFields& fields, const std::string& path,
                       std::vector<std::string>* labels, LabelIndex* index, bool grow_labels,
                       Example* example) {
  auto value = RequiredText(row, fields.label_field, path);
  if (!value.ok()) return value.status();
  const std::string label(absl::StripAsciiWhitespace(*value));
  if (fields.regression) {
    if (!absl::SimpleAtod(label, &example->target) || !std::isfinite(example->target)) {
      return FieldError(
          path, row.line, fields.label_field,
          absl::StrCat("regression target is not a finite number (got \"", label, "\")"));
    }
    return absl::OkStatus();
  }
  auto it = index->find(label);
  if (it == index->end() && !grow_labels) {
    return FieldError(
        path, row.line, fields.label_field,
        absl::StrCat("unknown label \"", label, "\" (labels: ", LabelList(*labels), ")"));
  }
  if (it == index->end()) {
    it = index->emplace(label, static_cast<int>(labels->size())).first;
    labels->push_back(label);
  }
  example->label = it->second;
  return absl::OkStatus();
}

// A causal-LM row: {prompt, completion} or {text}.
absl::Status ReadCausalLm(const TableRow& row, const ExampleFields& fields, const std::string& path,
                          Example* example) {
  if (!row.fields.count(fields.completion_field)) {
    auto text = RequiredText(row, fields.text_field, path);
    if (!text.ok()) return text.status();
    example->text = *std::move(text);
    return absl::OkStatus();
  }
  auto completion = RequiredText(row, fields.completion_field, path);
  if (!completion.ok()) return completion.status();
  const auto prompt = row.fields.find(fields.prompt_field);
  if (prompt == row.fields.end()) return FieldError(path, row.line, fields.prompt_field, "missing");
  example->text = prompt->second;  // may be empty: the completion is then the whole text
  example->completion = *std::move(completion);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Example>> ReadExamples(const std::string& path,
                                                  const ptune::v1::DataSpec& spec,
                                                  const ExampleFields& fields,
                                                  std::vector<std::string>* labels,
                                                  bool grow_labels) {
  auto format = ResolveTableFormat(spec.format(), path);
  if (!format.ok()) return format.status();
  auto rows = ReadTable(path, *format);
  if (!rows.ok()) return rows.status();
  return RowsToExamples(*rows, fields, path, labels, grow_labels);
}

// Re-maps label ids after sorting inferred labels, so label order never depends on the
// order of the file.
void SortInferredLabels(DataSplits* splits) {
  std::vector<std::string> sorted = splits->labels;
  std::sort(sorted.begin(), sorted.end());
  const LabelIndex sorted_index = IndexLabels(sorted);
  std::vector<int> remap(sorted.size());
  for (size_t i = 0; i < splits->labels.size(); ++i) {
    remap[i] = sorted_index.at(splits->labels[i]);
  }
  for (auto* split : {&splits->train, &splits->validation, &splits->test}) {
    for (Example& e : *split) e.label = remap[e.label];
  }
  splits->labels = std::move(sorted);
}

absl::Status FillVerbalizers(const ptune::v1::DataSpec& spec, DataSplits* splits) {
  const std::unordered_set<std::string> known(splits->labels.begin(), splits->labels.end());
  for (const auto& [label, text] : spec.verbalizers()) {
    if (!known.count(label)) {
      return absl::InvalidArgumentError(absl::StrCat("data.verbalizers: label \"", label,
                                                     "\" is not in the label set (",
                                                     LabelList(splits->labels), ")"));
    }
  }
  splits->verbalizers.clear();
  for (const std::string& label : splits->labels) {
    auto it = spec.verbalizers().find(label);
    splits->verbalizers.push_back(it == spec.verbalizers().end() ? label : it->second);
  }
  return absl::OkStatus();
}

absl::Status CheckNotEmpty(const DataSplits& splits) {
  if (splits.train.empty()) return absl::InvalidArgumentError("data: the training split is empty");
  if (splits.validation.empty()) {
    return absl::InvalidArgumentError(
        "data: the validation split is empty (give data.validation_file or a larger "
        "data.validation_fraction)");
  }
  if (!splits.regression && !splits.causal_lm && splits.labels.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("data: classification needs at least 2 labels, found ", splits.labels.size()));
  }
  return absl::OkStatus();
}

absl::StatusOr<DataSplits> LoadFileSplits(const ptune::v1::DataSpec& spec) {
  if (spec.train_file().empty()) {
    return absl::InvalidArgumentError("data.train_file: required when data.dataset is empty");
  }
  ExampleFields fields{spec.text_field(), spec.text_pair_field(), spec.label_field(),
                       spec.task() == ptune::v1::TASK_TYPE_REGRESSION};
  fields.causal_lm = spec.task() == ptune::v1::TASK_TYPE_CAUSAL_LM;
  if (!spec.prompt_field().empty()) fields.prompt_field = spec.prompt_field();
  if (!spec.completion_field().empty()) fields.completion_field = spec.completion_field();
  DataSplits splits;
  splits.regression = fields.regression;
  splits.causal_lm = fields.causal_lm;
  splits.labels.assign(spec.labels().begin(), spec.labels().end());
  const bool infer = splits.labels.empty();
  auto train = ReadExamples(spec.train_file(), spec, fields, &splits.labels, infer);
  if (!train.ok()) return train.status();
  const auto read_optional = [&](const std::string& path,
                                 std::vector<Example>* out) -> absl::Status {
    if (path.empty()) return absl::OkStatus();
    auto examples = ReadExamples(path, spec, fields, &splits.labels, /*grow_labels=*/false);
    if (!examples.ok()) return examples.status();
    *out = std::move(*examples);
    return absl::OkStatus();
  };
  if (auto s = read_optional(spec.validation_file(), &splits.validation); !s.ok()) return s;
  if (auto s = read_optional(spec.test_file(), &splits.test); !s.ok()) return s;
  DataSplits from_train;
  SplitExamples(std::move(*train), spec.validation_file().empty() ? spec.validation_fraction() : 0,
                spec.test_file().empty() ? spec.test_fraction() : 0, spec.split_seed(),
                &from_train);
  splits.train = std::move(from_train.train);
  if (spec.validation_file().empty()) splits.validation = std::move(from_train.validation);
  if (spec.test_file().empty()) splits.test = std::move(from_train.test);
  if (infer && !splits.regression && !splits.causal_lm) SortInferredLabels(&splits);
  splits.description =
      absl::StrCat(spec.train_file(), ": ", splits.train.size(), "/", splits.validation.size(), "/",
                   splits.test.size(), " train/validation/test");
  return splits;
}

}  // namespace

absl::StatusOr<std::vector<Example>> RowsToExamples(const std::vector<TableRow>& rows,
                                                    const ExampleFields& fields,
                                                    const std::string& path,
                                                    std::vector<std::string>* labels,
                                                    bool grow_labels) {
  std::vector<Example> examples;
  examples.reserve(rows.size());
  LabelIndex index = IndexLabels(*labels);
  for (const TableRow& row : rows) {
    Example example;
    if (fields.causal_lm) {
      auto read = ReadCausalLm(row, fields, path, &example);
      if (!read.ok()) return read;
      examples.push_back(std::move(example));
      continue;
    }
    auto text = RequiredText(row, fields.text_field, path);
    if (!text.ok()) return text.status();
    example.text = std::move(*text);
    if (!fields.text_pair_field.empty()) {
      auto pair = RequiredText(row, fields.text_pair_field, path);
      if (!pair.ok()) return pair.status();
      example.text_pair = std::move(*pair);
    }
    if (auto s = FillLabel(row, fields, path, labels, &index, grow_labels, &example); !s.ok()) {
      return s;
    }
    examples.push_back(std::move(example));
  }
  return examples;
}

std::vector<size_t> SeededPermutation(size_t n, uint64_t seed) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  return order;
}

void SplitExamples(std::vector<Example> all, double validation_fraction, double test_fraction,
                   uint64_t split_seed, DataSplits* splits) {
  const size_t n = all.size();
  const auto count = [n](double f) {
    return std::min(n, static_cast<size_t>(std::llround(std::max(0.0, f) * n)));
  };
  const size_t n_test = count(test_fraction);
  const size_t n_val = std::min(n - n_test, count(validation_fraction));
  const std::vector<size_t> order = SeededPermutation(n, split_seed);
  for (size_t k = 0; k < n; ++k) {
    auto* split = k < n_test           ? &splits->test
                  : k < n_test + n_val ? &splits->validation
                                       : &splits->train;
    split->push_back(std::move(all[order[k]]));
  }
}

absl::StatusOr<DataSplits> LoadDataSplits(const ptune::v1::DataSpec& spec) {
  auto splits = spec.dataset().empty() ? LoadFileSplits(spec) : LoadBuiltinDataset(spec);
  if (!splits.ok()) return splits.status();
  if (spec.max_train_examples() > 0 && splits->train.size() > spec.max_train_examples()) {
    splits->train.resize(spec.max_train_examples());
  }
  if (!splits->regression && !splits->causal_lm) {
    if (auto s = FillVerbalizers(spec, &*splits); !s.ok()) return s;
  }
  if (auto s = CheckNotEmpty(*splits); !s.ok()) return s;
  return splits;
}

}  // namespace ptune::engine

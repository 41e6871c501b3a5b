#include "common/spec_limits.h"

#include "absl/strings/str_cat.h"

namespace ptune {
namespace {

class Violations {
 public:
  void Text(absl::string_view path, const std::string& text, size_t limit) {
    if (text.size() > limit) Over(path, limit, "bytes", text.size());
  }
  void Count(absl::string_view path, int count, int limit, absl::string_view unit) {
    if (count > limit) Over(path, limit, unit, count);
  }
  void Over(absl::string_view path, uint64_t limit, absl::string_view unit, uint64_t got) {
    lines_.push_back(absl::StrCat(path, ": at most ", limit, " ", unit, " (got ", got, ")"));
  }
  // `interval` (0: disabled) must leave at most `limit` reports over `steps`.
  void Interval(absl::string_view path, uint32_t interval, uint32_t steps, uint64_t limit,
                absl::string_view reports) {
    if (interval == 0 || steps / interval <= limit) return;
    lines_.push_back(absl::StrCat(
        path, ": at most ", limit, " ", reports, " per job (train.steps / ", path,
        "); must be >= ", steps / (limit + 1) + 1, " for ", steps, " steps (got ", interval, ")"));
  }
  void Add(std::string line) { lines_.push_back(std::move(line)); }
  std::vector<std::string> Take() { return std::move(lines_); }

 private:
  std::vector<std::string> lines_;
};

void CheckTexts(const v1::JobSpec& spec, Violations* v) {
  v->Text("name", spec.name(), kMaxNameBytes);
  v->Text("model.source", spec.model().source(), kMaxPathBytes);
  const v1::DataSpec& data = spec.data();
  v->Text("data.dataset", data.dataset(), kMaxNameBytes);
  v->Text("data.train_file", data.train_file(), kMaxPathBytes);
  v->Text("data.validation_file", data.validation_file(), kMaxPathBytes);
  v->Text("data.test_file", data.test_file(), kMaxPathBytes);
  v->Text("data.format", data.format(), kMaxNameBytes);
  v->Text("data.text_field", data.text_field(), kMaxFieldNameBytes);
  v->Text("data.text_pair_field", data.text_pair_field(), kMaxFieldNameBytes);
  v->Text("data.label_field", data.label_field(), kMaxFieldNameBytes);
  v->Text("prompt.init_text", spec.prompt().init_text(), kMaxInitTextBytes);
}

void CheckLabels(const v1::DataSpec& data, Violations* v) {
  if (data.labels_size() > kMaxLabels) {
    v->Count("data.labels", data.labels_size(), kMaxLabels, "labels");
  } else {
    for (int i = 0; i < data.labels_size(); ++i) {
      v->Text(absl::StrCat("data.labels[", i, "]"), data.labels(i), kMaxLabelBytes);
    }
  }
  if (data.verbalizers_size() > kMaxLabels) {
    v->Count("data.verbalizers", data.verbalizers_size(), kMaxLabels, "verbalizers");
    return;
  }
  for (const auto& [label, text] : data.verbalizers()) {
    if (label.size() > kMaxLabelBytes) {
      v->Over("data.verbalizers", kMaxLabelBytes, "bytes per label", label.size());
      continue;
    }
    v->Text(absl::StrCat("data.verbalizers.", label), text, kMaxVerbalizerBytes);
  }
}

void CheckPromptSize(const v1::JobSpec& spec, Violations* v) {
  absl::Status status =
      CheckPromptElements(spec.prompt().length(), BuiltinHiddenSize(spec.model().source()));
  if (!status.ok()) v->Add(std::string(status.message()));
}

void CheckRun(const v1::JobSpec& spec, Violations* v) {
  const v1::TrainSpec& train = spec.train();
  if (train.steps() > kMaxSteps) {
    v->Over("train.steps", kMaxSteps, "steps", train.steps());
    return;  // the intervals below are relative to the steps
  }
  v->Interval("train.eval_every", train.eval_every(), train.steps(), kMaxEvaluations,
              "evaluations");
  v->Interval("train.checkpoint_every", train.checkpoint_every(), train.steps(), kMaxCheckpoints,
              "checkpoints");
  v->Interval("topology.every", spec.topology().every(), train.steps(), kMaxTopologyReports,
              "topology reports");
  v->Interval("topology.diagram_every", spec.topology().diagram_every(), train.steps(),
              kMaxDiagrams, "persistence diagrams");
}

void CheckResources(const v1::ResourceSpec& resources, Violations* v) {
  if (resources.min_gpu_memory_bytes() > kMaxGpuMemoryBytes) {
    v->Over("resources.min_gpu_memory_bytes", kMaxGpuMemoryBytes, "bytes",
            resources.min_gpu_memory_bytes());
  }
  if (resources.worker_labels_size() > kMaxWorkerLabels) {
    v->Count("resources.worker_labels", resources.worker_labels_size(), kMaxWorkerLabels, "labels");
    return;
  }
  for (const auto& [key, value] : resources.worker_labels()) {
    if (key.size() > kMaxWorkerLabelKeyBytes) {
      v->Over("resources.worker_labels", kMaxWorkerLabelKeyBytes, "bytes per key", key.size());
      continue;
    }
    v->Text(absl::StrCat("resources.worker_labels.", key), value, kMaxWorkerLabelValueBytes);
  }
}

}  // namespace

int64_t BuiltinHiddenSize(const std::string& source) {
  // USE-Lite's token embedding width (worker/engine/backbones/use_lite.h).
  if (source.empty() || source == "use-lite") return 256;
  return 0;
}

absl::Status CheckPromptElements(uint32_t prompt_length, int64_t hidden_size) {
  if (hidden_size <= 0 || int64_t{prompt_length} * hidden_size <= kMaxPromptElements) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "prompt.length: at most ", kMaxPromptElements / hidden_size, " rows for a hidden size of ",
      hidden_size, ", prompt.length x hidden size <= ", kMaxPromptElements, " (got ", prompt_length,
      ")"));
}

std::vector<std::string> SpecLimitViolations(const v1::JobSpec& spec) {
  Violations v;
  CheckTexts(spec, &v);
  CheckLabels(spec.data(), &v);
  CheckPromptSize(spec, &v);
  CheckRun(spec, &v);
  CheckResources(spec.resources(), &v);
  return v.Take();
}

}  // namespace ptune

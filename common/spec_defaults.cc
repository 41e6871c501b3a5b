#include "common/spec_defaults.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/message_differencer.h"

namespace ptune {
namespace {

void DefaultModel(v1::ModelSpec* model) {
  if (model->source().empty()) model->set_source("use-lite");
  if (model->head() == v1::HEAD_UNSPECIFIED) model->set_head(v1::HEAD_VERBALIZER);
  if (!model->has_temperature()) model->set_temperature(20.0f);
}

std::string FormatFromExtension(const std::string& file) {
  std::string lower = absl::AsciiStrToLower(file);
  if (absl::EndsWith(lower, ".jsonl") || absl::EndsWith(lower, ".json")) return "jsonl";
  if (absl::EndsWith(lower, ".csv")) return "csv";
  if (absl::EndsWith(lower, ".tsv")) return "tsv";
  return "";
}

void DefaultData(v1::DataSpec* data) {
  if (data->format().empty()) {
    data->set_format(FormatFromExtension(data->train_file()));
  } else {
    data->set_format(absl::AsciiStrToLower(data->format()));
  }
  if (data->text_field().empty()) data->set_text_field("text");
  if (data->label_field().empty()) data->set_label_field("label");
  for (const std::string& label : data->labels()) {
    // Map insertion keeps an existing verbalizer.
    data->mutable_verbalizers()->insert({label, label});
  }
  if (data->task() == v1::TASK_TYPE_UNSPECIFIED) data->set_task(v1::TASK_TYPE_CLASSIFICATION);
  if (!data->has_validation_fraction()) data->set_validation_fraction(0.1f);
  if (!data->has_test_fraction()) data->set_test_fraction(0.1f);
  if (!data->has_max_seq_len()) data->set_max_seq_len(64);
}

void DefaultPrompt(v1::PromptSpec* prompt) {
  if (!prompt->has_length()) prompt->set_length(100);
  if (prompt->init() == v1::PROMPT_INIT_UNSPECIFIED) prompt->set_init(v1::PROMPT_INIT_RANDOM);
  if (!prompt->has_lr()) prompt->set_lr(0.3f);
}

void DefaultDept(v1::DeptSpec* dept) {
  if (!dept->has_alpha()) dept->set_alpha(8.0f);
  if (!dept->has_lowrank_lr()) dept->set_lowrank_lr(1e-3f);
}

void DefaultEpt(v1::EptSpec* ept) {
  if (!ept->has_subspaces()) ept->set_subspaces(4);
  if (!ept->has_subspace_rank()) ept->set_subspace_rank(4);
  if (!ept->has_fusion()) ept->set_fusion(true);
  if (ept->gate_input() == v1::GATE_INPUT_UNSPECIFIED) ept->set_gate_input(v1::GATE_INPUT_TASK);
}

void DefaultTrain(v1::TrainSpec* train) {
  if (!train->has_steps()) train->set_steps(300);
  if (!train->has_batch_size()) train->set_batch_size(32);
  if (train->optimizer() == v1::OPTIMIZER_UNSPECIFIED) train->set_optimizer(v1::OPTIMIZER_ADAMW);
  if (!train->has_weight_decay()) train->set_weight_decay(1e-5f);
  if (train->schedule() == v1::LR_SCHEDULE_UNSPECIFIED) train->set_schedule(v1::LR_SCHEDULE_LINEAR);
  if (!train->has_grad_clip()) train->set_grad_clip(1.0f);
  if (train->precision() == v1::PRECISION_UNSPECIFIED) train->set_precision(v1::PRECISION_FP32);
  if (!train->has_eval_every()) train->set_eval_every(50);
  if (!train->has_checkpoint_every()) train->set_checkpoint_every(100);
  if (!train->has_log_every()) train->set_log_every(1);
}

void DefaultTsloss(v1::TSLossSpec* tsloss) {
  if (!tsloss->has_lambda0()) tsloss->set_lambda0(0.1f);
  if (!tsloss->has_lambda1()) tsloss->set_lambda1(0.1f);
  if (tsloss->distance() == v1::DISTANCE_UNSPECIFIED) tsloss->set_distance(v1::DISTANCE_EUCLIDEAN);
  if (!tsloss->has_normalize()) tsloss->set_normalize(true);
  if (!tsloss->has_every()) tsloss->set_every(1);
  if (tsloss->reduction() == v1::TSLOSS_REDUCTION_UNSPECIFIED) {
    tsloss->set_reduction(v1::TSLOSS_REDUCTION_PER_POINT);
  }
}

void DefaultTopology(v1::TopologySpec* topology) {
  if (!topology->has_every()) topology->set_every(10);
  if (!topology->has_diagram_every()) topology->set_diagram_every(50);
  if (!topology->has_reference_scale()) topology->set_reference_scale(1.0f);
  if (topology->distance() == v1::DISTANCE_UNSPECIFIED)
    topology->set_distance(v1::DISTANCE_EUCLIDEAN);
}

}  // namespace

void ApplySpecDefaults(v1::JobSpec* spec) {
  if (spec->method() == v1::METHOD_UNSPECIFIED) spec->set_method(v1::METHOD_PT);
  DefaultModel(spec->mutable_model());
  DefaultData(spec->mutable_data());
  DefaultPrompt(spec->mutable_prompt());
  DefaultDept(spec->mutable_dept());
  DefaultEpt(spec->mutable_ept());
  DefaultTrain(spec->mutable_train());
  DefaultTsloss(spec->mutable_tsloss());
  DefaultTopology(spec->mutable_topology());
  if (spec->resources().device() == v1::DEVICE_KIND_UNSPECIFIED) {
    spec->mutable_resources()->set_device(v1::DEVICE_KIND_AUTO);
  }
}

absl::Status CheckDefaultsApplied(const v1::JobSpec& spec) {
  v1::JobSpec defaulted = spec;
  ApplySpecDefaults(&defaulted);
  std::string report;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&report);
  if (differencer.Compare(spec, defaulted)) return absl::OkStatus();
  constexpr size_t kShown = 3;
  std::vector<std::string> lines = absl::StrSplit(report, '\n', absl::SkipEmpty());
  const size_t more = lines.size() > kShown ? lines.size() - kShown : 0;
  if (more > 0) lines.resize(kShown);
  return absl::FailedPreconditionError(absl::StrCat(
      "spec: defaults were not applied (", absl::StrJoin(lines, "; "),
      more > 0 ? absl::StrCat("; and ", more, " more") : "",
      "); the scheduler applies them at submit: run a ptune-scheduler of this version or newer"));
}

}  // namespace ptune

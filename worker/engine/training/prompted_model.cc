#include "worker/engine/training/prompted_model.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "worker/engine/backbones/backbone.h"
#include "worker/engine/backbones/language_model.h"
#include "worker/engine/formats/artifacts.h"
#include "worker/engine/training/encoder_model.h"
#include "worker/engine/training/lm_model.h"
#include "worker/engine/training/metrics.h"

namespace ptune::engine {

PromptedModel::PromptedModel(Common common)
    : spec_(std::move(common.spec)),
      task_(common.task),
      method_(std::move(common.method)),
      tokenizer_(std::move(common.tokenizer)),
      labels_(std::move(common.labels)),
      device_(common.device) {
  method_->to(device_);
}

double PromptedModel::SelectionScore(const std::map<std::string, double>& metrics) const {
  switch (task_) {
    case TaskKind::kRegression:
      return metrics.at("pearson");
    case TaskKind::kCausalLm:
      return -metrics.at("loss");
    default:
      return metrics.at("accuracy");
  }
}

NamedTensors PromptedModel::TrainableTensors() {
  NamedTensors out;
  for (const auto& item : method_->named_parameters()) {
    out.emplace_back("method." + item.key(), item.value());
  }
  for (auto& named : HeadTensors()) out.push_back(std::move(named));
  return out;
}

std::vector<ParamGroup> PromptedModel::ParameterGroups() {
  std::vector<ParamGroup> groups = method_->ParameterGroups();
  for (ParamGroup& g : HeadGroups()) groups.push_back(std::move(g));
  return groups;
}

void PromptedModel::CopyTensors(const NamedTensors& values) {
  torch::NoGradGuard no_grad;
  NamedTensors current = TrainableTensors();
  for (size_t i = 0; i < current.size(); ++i) current[i].second.copy_(values[i].second);
}

absl::Status PromptedModel::LoadTensors(const std::vector<SafetensorsEntry>& entries,
                                        const std::string& path) {
  torch::NoGradGuard no_grad;
  for (auto& [name, target] : TrainableTensors()) {
    auto it = std::find_if(entries.begin(), entries.end(),
                           [&name = name](const SafetensorsEntry& e) { return e.name == name; });
    if (it == entries.end()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": tensor \"", name, "\" missing"));
    }
    auto value = EntryTensor(*it);
    if (!value.ok()) return value.status();
    if (value->sizes() != target.sizes()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": tensor \"", name, "\" has shape ", absl::StrJoin(value->sizes().vec(), "x"),
          ", this job needs ", absl::StrJoin(target.sizes().vec(), "x")));
    }
    target.copy_(*value);
  }
  return absl::OkStatus();
}

Batch PromptedModel::ToDevice(const Batch& batch) const {
  const auto to = [this](const torch::Tensor& t) { return t.defined() ? t.to(device_) : t; };
  return Batch{to(batch.ids),         to(batch.mask),        to(batch.labels),
               to(batch.targets),     batch.tokens,          to(batch.token_labels),
               to(batch.decoder_ids), to(batch.decoder_mask)};
}

EvalOutput PromptedModel::Evaluate(const std::vector<Example>& examples, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  const EncodedSplit split = Encode(examples);
  std::vector<torch::Tensor> outputs;
  double loss_sum = 0, weight_sum = 0;
  for (int64_t begin = 0; begin < split.size(); begin += batch_size) {
    const TaskOutput out =
        Run(ToDevice(SliceBatch(split, begin, std::min(split.size(), begin + batch_size))));
    loss_sum += out.loss.item<double>() * out.loss_weight;
    weight_sum += out.loss_weight;
    if (out.scores.defined()) outputs.push_back(out.scores.to(torch::kFloat32).cpu());
  }
  EvalOutput result;
  if (split.size() == 0) return result;
  const double loss = weight_sum > 0 ? loss_sum / weight_sum : 0.0;
  if (task_ == TaskKind::kCausalLm) {
    result.metrics = {{"loss", loss}, {"perplexity", std::exp(loss)}};
    return result;
  }
  const torch::Tensor all = torch::cat(outputs, 0);
  if (task_ == TaskKind::kRegression) {
    std::vector<double> gold(split.targets.data_ptr<float>(),
                             split.targets.data_ptr<float>() + split.size());
    const torch::Tensor pred = all.to(torch::kDouble).contiguous();
    result.scores.assign(pred.data_ptr<double>(), pred.data_ptr<double>() + pred.numel());
    result.metrics = RegressionMetrics(result.scores, gold);
  } else {
    result.probabilities = torch::softmax(all, 1);
    const torch::Tensor pred = all.argmax(1).to(torch::kInt).contiguous();
    result.predicted.assign(pred.data_ptr<int>(), pred.data_ptr<int>() + pred.numel());
    std::vector<int> gold;
    for (const Example& e : examples) gold.push_back(e.label);
    result.metrics =
        ClassificationMetrics(result.predicted, gold, static_cast<int>(labels_.size()));
  }
  result.metrics["loss"] = loss;
  return result;
}

torch::Tensor EmbeddingTableOf(const LoadedBackbone& backbone) {
  return backbone.language_model ? backbone.language_model->EmbeddingTable()
                                 : backbone.backbone->EmbeddingTable();
}

absl::StatusOr<std::unique_ptr<PromptedModel>> CreatePromptedModel(
    const ptune::v1::JobSpec& spec, const LoadedBackbone& backbone,
    std::shared_ptr<PromptMethodImpl> method, const DataSplits& data, torch::Device device,
    const std::function<bool()>& should_stop) {
  if (backbone.tokenizer == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("model.source: ", backbone.source,
                                                   " has no tokenizer.json; training needs one"));
  }
  const bool causal_lm = spec.data().task() == ptune::v1::TASK_TYPE_CAUSAL_LM;
  if (backbone.language_model == nullptr) {
    if (causal_lm) {
      return absl::InvalidArgumentError(
          absl::StrCat("data.task: causal LM needs a language-model backbone (an HF model "
                       "directory in model.source); \"",
                       backbone.source, "\" is a sentence encoder"));
    }
    return CreateEncoderModel(spec, backbone, std::move(method), data, device, should_stop);
  }
  return CreateLanguageModelTask(spec, backbone, std::move(method), data, device);
}

}  // namespace ptune::engine

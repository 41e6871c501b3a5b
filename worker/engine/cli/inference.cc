#include "worker/engine/cli/inference.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "worker/engine/backbone_resolver.h"
#include "worker/engine/formats/safetensors.h"
#include "worker/engine/methods/method_factory.h"

namespace ptune::engine {
namespace {

absl::StatusOr<std::shared_ptr<PromptMethodImpl>> FreshMethod(const ptune::v1::JobSpec& spec,
                                                              const LoadedBackbone& backbone) {
  // Values are overwritten by the trained tensors, so a random init of the right shape
  // is enough whatever the job's init was.
  ptune::v1::JobSpec shape_only = spec;
  shape_only.mutable_prompt()->set_init(ptune::v1::PROMPT_INIT_RANDOM);
  return CreatePromptMethod(shape_only, EmbeddingTableOf(backbone));
}

absl::StatusOr<DataSplits> LabelsFromMetadata(const SafetensorsFile& file,
                                              const ptune::v1::JobSpec& spec,
                                              const std::string& path) {
  DataSplits data;
  data.regression = spec.data().task() == ptune::v1::TASK_TYPE_REGRESSION;
  const auto labels = nlohmann::json::parse(
      file.metadata.count("labels") ? file.metadata.at("labels") : "", nullptr, false);
  const auto verbalizers = nlohmann::json::parse(
      file.metadata.count("verbalizers") ? file.metadata.at("verbalizers") : "", nullptr, false);
  if (!labels.is_array() || !verbalizers.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": metadata lacks labels/verbalizers"));
  }
  data.labels = labels.get<std::vector<std::string>>();
  data.verbalizers = verbalizers.get<std::vector<std::string>>();
  return data;
}

}  // namespace

absl::StatusOr<TrainedPrompt> LoadTrainedPrompt(const std::string& artifacts_dir,
                                                BackboneCache* cache,
                                                const std::string& model_source) {
  const std::string path = artifacts_dir + "/prompt.safetensors";
  auto bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  auto file = DecodeSafetensors(*bytes, path);
  if (!file.ok()) return file.status();
  if (file->metadata["format"] != "ptune-prompt") {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a ptune prompt (metadata format)"));
  }
  TrainedPrompt out;
  if (!google::protobuf::util::JsonStringToMessage(file->metadata["spec"], &out.spec).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": metadata \"spec\" is not a job spec"));
  }
  if (!model_source.empty()) out.spec.mutable_model()->set_source(model_source);
  auto data = LabelsFromMetadata(*file, out.spec, path);
  if (!data.ok()) return data.status();
  const torch::Device device(torch::cuda::is_available() ? torch::kCUDA : torch::kCPU);
  auto backbone = AcquireBackbone(out.spec.model(), device, cache);
  if (!backbone.ok()) return backbone.status();
  out.backbone = *std::move(backbone);
  auto method = FreshMethod(out.spec, out.backbone);
  if (!method.ok()) return method.status();
  auto model = CreatePromptedModel(out.spec, out.backbone, *method, *data, device);
  if (!model.ok()) return model.status();
  if (absl::Status s = (*model)->LoadTensors(file->tensors, path); !s.ok()) return s;
  out.model = *std::move(model);
  return out;
}

std::vector<Example> TextsToExamples(const std::vector<std::string>& texts) {
  std::vector<Example> out;
  for (const std::string& text : texts) {
    const size_t tab = text.find('\t');
    Example e;
    e.text = text.substr(0, tab);
    if (tab != std::string::npos) e.text_pair = text.substr(tab + 1);
    e.label = 0;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace ptune::engine

#ifndef PTUNE_WORKER_ENGINE_CLI_INFERENCE_H_
#define PTUNE_WORKER_ENGINE_CLI_INFERENCE_H_

// Applying a trained prompt (a job's prompt.safetensors) to new data: what
// `ptune-train eval`, `predict` and `generate --prompt` run. Torch header.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"
#include "worker/engine/backbones/backbone_cache.h"
#include "worker/engine/training/prompted_model.h"

namespace ptune::engine {

struct TrainedPrompt {
  ptune::v1::JobSpec spec;               // the job's spec (defaults applied), from the metadata
  LoadedBackbone backbone;               // the frozen model it was trained on
  std::unique_ptr<PromptedModel> model;  // the trained tensors loaded; Evaluate() applies them
};

// Reads `<artifacts_dir>/prompt.safetensors`, rebuilds the job's backbone, method and
// head and loads the trained tensors. `model_source`, when not empty, replaces the
// spec's model.source (the model directory may live elsewhere on this machine).
// NOT_FOUND when the file or the model is missing; INVALID_ARGUMENT when the file is not
// a ptune prompt or its tensors do not fit.
absl::StatusOr<TrainedPrompt> LoadTrainedPrompt(const std::string& artifacts_dir,
                                                BackboneCache* cache,
                                                const std::string& model_source = "");

// Examples to predict from raw texts (label 0 placeholders; "a\tb" is a sentence pair).
std::vector<Example> TextsToExamples(const std::vector<std::string>& texts);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_CLI_INFERENCE_H_

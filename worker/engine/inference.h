#ifndef PTUNE_WORKER_ENGINE_INFERENCE_H_
#define PTUNE_WORKER_ENGINE_INFERENCE_H_

// Applying a trained prompt (a job's prompt.safetensors) to new data: what
// `ptune-train eval` and `ptune-train predict` run. Torch header.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"
#include "worker/engine/job_runner.h"
#include "worker/engine/trainer.h"

namespace ptune::engine {

struct TrainedPrompt {
  ptune::v1::JobSpec spec;           // the job's spec (defaults applied), from the metadata
  std::unique_ptr<Trainer> trainer;  // no training data; Evaluate() applies the prompt
};

// Reads `<artifacts_dir>/prompt.safetensors`, rebuilds the job's backbone, method and
// head and loads the trained tensors. NOT_FOUND when the file or the model is missing;
// INVALID_ARGUMENT when the file is not a ptune prompt or its tensors do not fit.
absl::StatusOr<TrainedPrompt> LoadTrainedPrompt(const std::string& artifacts_dir,
                                                BackboneCache* cache);

// Examples to predict from raw texts (label 0 placeholders; "a\tb" is a sentence pair).
std::vector<Example> TextsToExamples(const std::vector<std::string>& texts);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_INFERENCE_H_

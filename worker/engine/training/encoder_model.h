#ifndef PTUNE_WORKER_ENGINE_TRAINING_ENCODER_MODEL_H_
#define PTUNE_WORKER_ENGINE_TRAINING_ENCODER_MODEL_H_

// A PromptedModel on a sentence encoder (BackboneImpl, e.g. USE-Lite): [prompt; text]
// -> pooled output -> head (training/head.h) -> class logits or a regression prediction;
// cross-entropy or MSE. Torch header.

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "worker/engine/training/prompted_model.h"

namespace ptune::engine {

// `backbone.backbone` must be set. INVALID_ARGUMENT for a bad head configuration;
// CANCELLED when `should_stop` (may be empty) returned true while embedding verbalizers.
absl::StatusOr<std::unique_ptr<PromptedModel>> CreateEncoderModel(
    const ptune::v1::JobSpec& spec, const LoadedBackbone& backbone,
    std::shared_ptr<PromptMethodImpl> method, const DataSplits& data, torch::Device device,
    const std::function<bool()>& should_stop = {});

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_TRAINING_ENCODER_MODEL_H_

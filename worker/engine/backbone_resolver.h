#ifndef PTUNE_WORKER_ENGINE_BACKBONE_RESOLVER_H_
#define PTUNE_WORKER_ENGINE_BACKBONE_RESOLVER_H_

// The frozen backbone of a job on its device: from the shared BackboneCache when the
// caller has one, else loaded for this job alone. Torch header.

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"
#include "worker/engine/backbones/backbone.h"
#include "worker/engine/backbones/backbone_cache.h"
#include "worker/engine/backbones/backbone_registry.h"

namespace ptune::engine {

// `models_dir` is used only without a cache (the cache has its own). Errors as
// backbones/backbone_registry.h's ResolveBackbone (NOT_FOUND naming the path and
// scripts/setup.sh when the model files are missing; RESOURCE_EXHAUSTED when an HF
// model's weights do not fit in memory).
absl::StatusOr<LoadedBackbone> AcquireBackbone(const ptune::v1::ModelSpec& model,
                                               const torch::Device& device, BackboneCache* cache,
                                               const std::string& models_dir = "");

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_BACKBONE_RESOLVER_H_

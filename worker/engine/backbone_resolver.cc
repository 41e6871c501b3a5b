#include "worker/engine/backbone_resolver.h"

namespace ptune::engine {

absl::StatusOr<LoadedBackbone> AcquireBackbone(const ptune::v1::ModelSpec& model,
                                               const torch::Device& device, BackboneCache* cache) {
  if (cache != nullptr) return cache->Get(model.source(), device.str());
  auto loaded = ResolveBackbone(model.source(), DefaultModelCache());
  if (!loaded.ok()) return loaded.status();
  loaded->backbone->to(device);
  return loaded;
}

}  // namespace ptune::engine

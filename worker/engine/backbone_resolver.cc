#include "worker/engine/backbone_resolver.h"

namespace ptune::engine {

absl::StatusOr<LoadedBackbone> AcquireBackbone(const ptune::v1::ModelSpec& model,
                                               const torch::Device& device, BackboneCache* cache,
                                               const std::string& models_dir) {
  if (cache != nullptr) return cache->Get(model.source(), device.str());
  auto loaded = ResolveBackbone(model.source(), DefaultModelCache(), models_dir);
  if (!loaded.ok()) return loaded.status();
  if (absl::Status s = PlaceFrozen(*loaded, device.str()); !s.ok()) return s;
  return loaded;
}

}  // namespace ptune::engine

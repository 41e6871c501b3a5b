#include "worker/engine/backbones/backbone_cache.h"

namespace ptune::engine {

BackboneCache::BackboneCache(const Options& options)
    : cache_dir_(options.cache_dir.empty() ? DefaultModelCache() : options.cache_dir),
      models_dir_(options.models_dir) {}

absl::StatusOr<LoadedBackbone> BackboneCache::Get(const std::string& source,
                                                  const std::string& device) {
  absl::MutexLock lock(&mu_);
  // "" means the default backbone: one entry for both spellings.
  const auto key = std::make_pair(source.empty() ? std::string(kUseLiteName) : source, device);
  if (const auto it = loaded_.find(key); it != loaded_.end()) return it->second;
  absl::StatusOr<LoadedBackbone> loaded = ResolveBackbone(source, cache_dir_, models_dir_);
  if (!loaded.ok()) return loaded.status();
  if (absl::Status s = PlaceFrozen(*loaded, device); !s.ok()) return s;
  loaded_.emplace(key, *loaded);
  return loaded;
}

size_t BackboneCache::size() const {
  absl::MutexLock lock(&mu_);
  return loaded_.size();
}

}  // namespace ptune::engine

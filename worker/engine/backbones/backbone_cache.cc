#include "worker/engine/backbones/backbone_cache.h"

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "worker/engine/backbones/backbone.h"

namespace ptune::engine {

BackboneCache::BackboneCache(const Options& options)
    : cache_dir_(options.cache_dir.empty() ? DefaultModelCache() : options.cache_dir) {}

absl::StatusOr<LoadedBackbone> BackboneCache::Get(const std::string& source,
                                                  const std::string& device) {
  absl::MutexLock lock(&mu_);
  // "" means the default backbone: one entry for both spellings.
  const auto key = std::make_pair(source.empty() ? std::string(kUseLiteName) : source, device);
  if (const auto it = loaded_.find(key); it != loaded_.end()) return it->second;
  absl::StatusOr<LoadedBackbone> loaded = ResolveBackbone(source, cache_dir_);
  if (!loaded.ok()) return loaded.status();
  try {
    loaded->backbone->to(torch::Device(device));
    loaded->backbone->eval();
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("cannot place backbone ", source,
                                                   " on device \"", device,
                                                   "\": ", e.what_without_backtrace()));
  }
  loaded_.emplace(key, *loaded);
  return loaded;
}

size_t BackboneCache::size() const {
  absl::MutexLock lock(&mu_);
  return loaded_.size();
}

}  // namespace ptune::engine

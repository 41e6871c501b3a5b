#ifndef PTUNE_WORKER_ENGINE_BACKBONES_BACKBONE_CACHE_H_
#define PTUNE_WORKER_ENGINE_BACKBONES_BACKBONE_CACHE_H_

// Loaded backbones shared across the jobs of one worker process, so a job does not pay
// the model load again. Torch-free header: job_runner.h forward-declares the class.

#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "worker/engine/backbones/backbone_registry.h"

namespace ptune::engine {

class BackboneCache {
 public:
  struct Options {
    // Where built-in models live; "" = DefaultModelCache().
    std::string cache_dir;
    // Where named models live (ptune-worker --models-dir): a ModelSpec.source "NAME"
    // is <models_dir>/NAME. "" = sources are built-in names or directories only.
    std::string models_dir;
  };

  explicit BackboneCache(const Options& options);
  BackboneCache() : BackboneCache(Options()) {}
  BackboneCache(const BackboneCache&) = delete;
  BackboneCache& operator=(const BackboneCache&) = delete;

  // The backbone for ModelSpec.source `source` on `device` ("cpu", "cuda", "cuda:1"),
  // loading it on first use (see ResolveBackbone for sources and errors). Later calls
  // with the same source and device return the same objects. Failures are not cached,
  // so a retry after running scripts/setup.sh succeeds. Thread-safe; concurrent first
  // calls load once. The backbone comes back frozen and on `device`; callers must not
  // mutate it (backbone.h's concurrency contract): it is shared.
  absl::StatusOr<LoadedBackbone> Get(const std::string& source, const std::string& device = "cpu");

  // Number of loaded (source, device) entries.
  size_t size() const;

 private:
  // Constant after construction.
  const std::string cache_dir_;
  const std::string models_dir_;

  mutable absl::Mutex mu_;
  // Keyed by (source as given, "" read as "use-lite"; device). Loads happen under mu_: they are
  // rare and short
  // (~0.3 s for USE-Lite), and this keeps two jobs from loading the same model twice.
  std::map<std::pair<std::string, std::string>, LoadedBackbone> loaded_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_BACKBONES_BACKBONE_CACHE_H_

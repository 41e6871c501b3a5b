#ifndef PTUNE_WORKER_ENGINE_BACKBONES_BACKBONE_REGISTRY_H_
#define PTUNE_WORKER_ENGINE_BACKBONES_BACKBONE_REGISTRY_H_

// Resolves a ModelSpec.source (a built-in name or a model directory) into a loaded
// backbone and its tokenizer. Torch-free header (BackboneImpl is only declared).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "worker/engine/backbones/tokenizer.h"

namespace ptune::engine {

class BackboneImpl;  // backbone.h (torch)

// The built-in default backbone's name (ModelSpec.source "" means this too).
inline constexpr char kUseLiteName[] = "use-lite";

struct LoadedBackbone {
  std::shared_ptr<BackboneImpl> backbone;      // frozen, eval mode, on the requested device
  std::shared_ptr<const Tokenizer> tokenizer;  // thread-safe
  std::string source;                          // canonical: "use-lite" or the directory
};

// $PTUNE_CACHE, else $HOME/.cache/ptune (what scripts/setup.sh fills).
std::string DefaultModelCache();

// Where scripts/setup.sh unpacks USE-Lite: <cache_dir>/models/use-lite/dist.
std::string UseLiteDir(const std::string& cache_dir);

// Loads a built-in backbone by name ("use-lite") from `cache_dir` on the CPU.
// NOT_FOUND for an unknown name (listing the known ones) or missing files (naming the
// path and saying to run scripts/setup.sh).
absl::StatusOr<LoadedBackbone> LoadBuiltinBackbone(const std::string& name,
                                                   const std::string& cache_dir);

// `source`: "" or a built-in name, or a directory holding USE-Lite's TF.js files
// (model.json + shards + vocab.json). HF-format directories (config.json) are
// UNIMPLEMENTED for now; anything else is NOT_FOUND with a message saying what was tried.
absl::StatusOr<LoadedBackbone> ResolveBackbone(const std::string& source,
                                               const std::string& cache_dir);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_BACKBONES_BACKBONE_REGISTRY_H_

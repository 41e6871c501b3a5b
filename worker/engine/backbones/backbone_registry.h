#ifndef PTUNE_WORKER_ENGINE_BACKBONES_BACKBONE_REGISTRY_H_
#define PTUNE_WORKER_ENGINE_BACKBONES_BACKBONE_REGISTRY_H_

// Resolves a ModelSpec.source (a built-in name or a model directory) into a loaded
// backbone and its tokenizer. Torch-free header (BackboneImpl is only declared).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "worker/engine/backbones/tokenizer.h"

namespace ptune::engine {

class BackboneImpl;       // backbone.h (torch)
class LanguageModelImpl;  // language_model.h (torch)

// The built-in default backbone's name (ModelSpec.source "" means this too).
inline constexpr char kUseLiteName[] = "use-lite";

// A loaded, frozen model (eval mode, requires_grad false on every parameter: see the
// concurrency contract in backbone.h). Exactly one of `backbone` and `language_model`
// is set.
struct LoadedBackbone {
  std::shared_ptr<BackboneImpl> backbone;             // a sentence encoder (USE-Lite)
  std::shared_ptr<LanguageModelImpl> language_model;  // an HF T5 / Llama-family model
  std::shared_ptr<const Tokenizer> tokenizer;         // thread-safe; null for an HF model without
                                                      // tokenizer.json (forward passes only)
  std::string source;                                 // canonical: "use-lite" or the directory
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

// `source`: "" or a built-in name; a model name under `models_dir` (a relative path,
// when `models_dir` is set and `<models_dir>/<source>` is a directory); or a directory:
// USE-Lite's TF.js files (model.json + shards + vocab.json) or an HF model (config.json
// + safetensors + tokenizer.json, see hf_backbone.h: its memory is checked first,
// RESOURCE_EXHAUSTED with the numbers when it does not fit). Anything else is NOT_FOUND
// with a message saying what was tried.
absl::StatusOr<LoadedBackbone> ResolveBackbone(const std::string& source,
                                               const std::string& cache_dir,
                                               const std::string& models_dir = "");

// Moves the loaded model to `device` ("cpu", "cuda", "cuda:1") and freezes it (eval mode,
// requires_grad false). Called once per model before it is shared (backbone.h).
// INVALID_ARGUMENT naming the source and device when it cannot be placed there.
absl::Status PlaceFrozen(LoadedBackbone& loaded, const std::string& device);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_BACKBONES_BACKBONE_REGISTRY_H_

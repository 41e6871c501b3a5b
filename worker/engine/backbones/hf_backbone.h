#ifndef PTUNE_WORKER_ENGINE_BACKBONES_HF_BACKBONE_H_
#define PTUNE_WORKER_ENGINE_BACKBONES_HF_BACKBONE_H_

// Loading an HF model directory (config.json + safetensors + tokenizer.json) as a
// LoadedBackbone, after checking that its weights fit in memory. Torch-free header.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "worker/engine/backbones/backbone_registry.h"

namespace ptune::engine {

// Bytes of memory the system can still give this process (MemAvailable of
// /proc/meminfo); 0 when unknown.
uint64_t AvailableMemoryBytes();

// Estimates the frozen weights from config.json (parameters x 4 bytes, fp32 compute) and
// refuses with RESOURCE_EXHAUSTED, giving both numbers, when they exceed
// `available_bytes` (0 = unknown: no check). Then loads the model (hf/load.h) and
// `<dir>/tokenizer.json` when it exists (without one the tokenizer is null: enough for
// `ptune-train forward`; training and generation refuse it). Errors of config.json, the weights and
// the tokenizer as their loaders report them (naming the file).
absl::StatusOr<LoadedBackbone> LoadHfBackbone(const std::string& dir, const std::string& source,
                                              uint64_t available_bytes);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_BACKBONES_HF_BACKBONE_H_

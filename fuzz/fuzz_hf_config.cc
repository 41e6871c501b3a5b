// libFuzzer target: an HF config.json (model files come from users). The worker parses it
// and estimates the weights' memory before it loads anything, so both must hold for any
// bytes: a Status, and for an accepted config a non-negative estimate without overflow
// (UBSan stops on signed overflow).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "worker/engine/hf/hf_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ptune::engine::hf::HfConfig> config =
      ptune::engine::hf::ParseHfConfig(text, "config.json");
  if (!config.ok()) return 0;
  if (ptune::engine::hf::ParameterCount(*config) < 0) std::abort();
  if (ptune::engine::hf::WeightBytes(*config, 4) < 0) std::abort();
  return 0;
}

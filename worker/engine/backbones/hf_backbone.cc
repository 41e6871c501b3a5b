#include "worker/engine/backbones/hf_backbone.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "worker/engine/hf/hf_config.h"
#include "worker/engine/hf/load.h"
#include "worker/engine/tokenizers/hf_tokenizer.h"

namespace ptune::engine {

uint64_t AvailableMemoryBytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

absl::StatusOr<LoadedBackbone> LoadHfBackbone(const std::string& dir, const std::string& source,
                                              uint64_t available_bytes) {
  absl::StatusOr<hf::HfConfig> config = hf::ReadHfConfig(dir);
  if (!config.ok()) return config.status();
  const int64_t params = hf::ParameterCount(*config);
  const int64_t weights = hf::WeightBytes(*config, 4);
  if (available_bytes > 0 && static_cast<uint64_t>(weights) > available_bytes) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "%s: the model needs about %.1f MiB for its weights (%d parameters x 4 bytes, fp32), "
        "but only %.1f MiB of memory is available",
        source, weights / 1048576.0, params, available_bytes / 1048576.0));
  }
  absl::StatusOr<std::shared_ptr<hf::HfModel>> model = hf::LoadHfModel(dir);
  if (!model.ok()) return model.status();
  // config.json's special ids win over what tokenizer.json suggests (they are what the
  // model was trained with).
  HfTokenizer::Options ids;
  ids.bos_id = config->bos_token_id;
  ids.eos_id = config->eos_token_id;
  ids.pad_id = config->pad_token_id;
  LoadedBackbone loaded;
  loaded.language_model = *std::move(model);
  loaded.source = source;
  std::error_code ec;
  if (!std::filesystem::exists(dir + "/tokenizer.json", ec)) return loaded;  // forward only
  absl::StatusOr<std::unique_ptr<HfTokenizer>> tokenizer =
      HfTokenizer::Load(dir + "/tokenizer.json", ids);
  if (!tokenizer.ok()) return tokenizer.status();
  loaded.tokenizer = *std::move(tokenizer);
  return loaded;
}

}  // namespace ptune::engine

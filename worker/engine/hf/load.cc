#include "worker/engine/hf/load.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "worker/engine/hf/llama.h"
#include "worker/engine/hf/t5.h"
#include "worker/engine/hf/weights.h"

namespace ptune::engine::hf {
namespace {

absl::StatusOr<std::shared_ptr<HfModel>> Build(const HfConfig& config, const HfWeights& weights,
                                               const torch::TensorOptions& options) {
  if (config.family == Family::kT5) {
    absl::StatusOr<std::shared_ptr<T5Model>> m = T5Model::Load(config, weights, options);
    if (!m.ok()) return m.status();
    return std::shared_ptr<HfModel>(*std::move(m));
  }
  absl::StatusOr<std::shared_ptr<LlamaModel>> m = LlamaModel::Load(config, weights, options);
  if (!m.ok()) return m.status();
  return std::shared_ptr<HfModel>(*std::move(m));
}

}  // namespace

absl::StatusOr<std::shared_ptr<HfModel>> LoadHfModel(const std::string& model_dir,
                                                     const LoadOptions& options) {
  if (options.dtype != torch::kFloat32 && options.dtype != torch::kBFloat16 &&
      options.dtype != torch::kFloat16) {
    return absl::InvalidArgumentError(
        absl::StrCat(model_dir, ": compute dtype ", c10::toString(options.dtype),
                     " is not supported (float32, bfloat16, float16)"));
  }
  absl::StatusOr<HfConfig> config = ReadHfConfig(model_dir);
  if (!config.ok()) return config.status();
  absl::StatusOr<HfWeights> weights = HfWeights::Open(model_dir);
  if (!weights.ok()) return weights.status();
  try {
    torch::NoGradGuard no_grad;
    return Build(*config, *weights,
                 torch::TensorOptions().dtype(options.dtype).device(options.device));
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat(model_dir, ": loading failed: ", e.what_without_backtrace()));
  }
}

}  // namespace ptune::engine::hf

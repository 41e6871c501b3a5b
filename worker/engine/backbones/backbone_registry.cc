#include "worker/engine/backbones/backbone_registry.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "worker/engine/backbones/backbone.h"
#include "worker/engine/backbones/hf_backbone.h"
#include "worker/engine/backbones/language_model.h"
#include "worker/engine/backbones/unigram_tokenizer.h"
#include "worker/engine/backbones/use_lite.h"

namespace ptune::engine {
namespace {

namespace fs = std::filesystem;

bool IsFile(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

absl::StatusOr<LoadedBackbone> LoadUseLiteDir(const std::string& dir, const std::string& source) {
  absl::StatusOr<std::shared_ptr<UseLiteImpl>> model = LoadUseLite(dir);
  if (!model.ok()) return model.status();
  const std::string vocab = (fs::path(dir) / "vocab.json").string();
  absl::StatusOr<std::unique_ptr<UnigramTokenizer>> tokenizer = UnigramTokenizer::Load(vocab);
  if (!tokenizer.ok()) {
    if (absl::IsNotFound(tokenizer.status())) {
      return absl::NotFoundError(
          absl::StrCat("USE-Lite vocabulary not found: ", tokenizer.status().message(),
                       ". Run scripts/setup.sh"));
    }
    return tokenizer.status();
  }
  LoadedBackbone loaded;
  loaded.backbone = *std::move(model);
  loaded.tokenizer = *std::move(tokenizer);
  loaded.source = source;
  return loaded;
}

}  // namespace

std::string DefaultModelCache() {
  if (const char* cache = std::getenv("PTUNE_CACHE"); cache != nullptr && *cache != '\0') {
    return cache;
  }
  const char* home = std::getenv("HOME");
  return (fs::path(home != nullptr ? home : ".") / ".cache" / "ptune").string();
}

std::string UseLiteDir(const std::string& cache_dir) {
  return (fs::path(cache_dir) / "models" / "use-lite" / "dist").string();
}

absl::StatusOr<LoadedBackbone> LoadBuiltinBackbone(const std::string& name,
                                                   const std::string& cache_dir) {
  if (name != kUseLiteName) {
    return absl::NotFoundError(
        absl::StrCat("no built-in backbone \"", name, "\" (built-in: ", kUseLiteName, ")"));
  }
  return LoadUseLiteDir(UseLiteDir(cache_dir), kUseLiteName);
}

absl::Status PlaceFrozen(LoadedBackbone& loaded, const std::string& device) {
  torch::nn::Module* model = loaded.language_model != nullptr
                                 ? static_cast<torch::nn::Module*>(loaded.language_model.get())
                                 : loaded.backbone.get();
  try {
    model->to(torch::Device(device));
    model->eval();
    for (torch::Tensor& p : model->parameters()) p.set_requires_grad(false);
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("cannot place backbone ", loaded.source,
                                                   " on device \"", device,
                                                   "\": ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadedBackbone> ResolveBackbone(const std::string& source,
                                               const std::string& cache_dir,
                                               const std::string& models_dir) {
  if (source.empty() || source == kUseLiteName) return LoadBuiltinBackbone(kUseLiteName, cache_dir);
  std::error_code ec;
  fs::path dir(source);
  if (!models_dir.empty() && dir.is_relative() &&
      fs::is_directory(fs::path(models_dir) / dir, ec)) {
    dir = fs::path(models_dir) / dir;
  }
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(
        absl::StrCat("model source \"", source, "\" is neither a built-in backbone (", kUseLiteName,
                     "), a model in the models directory (",
                     models_dir.empty() ? "none configured: --models-dir" : models_dir,
                     ") nor an existing directory"));
  }
  const std::string canonical = fs::absolute(dir, ec).lexically_normal().string();
  if (IsFile(dir / "model.json") && IsFile(dir / "vocab.json")) {
    return LoadUseLiteDir(dir.string(), canonical);
  }
  if (IsFile(dir / "config.json"))
    return LoadHfBackbone(dir.string(), canonical, AvailableMemoryBytes());
  return absl::NotFoundError(absl::StrCat(
      dir.string(), ": no model.json + vocab.json (USE-Lite TF.js files) or config.json in it"));
}

}  // namespace ptune::engine

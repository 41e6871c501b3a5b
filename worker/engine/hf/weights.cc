#include "worker/engine/hf/weights.h"

#include <sys/stat.h>

#include <cstring>
#include <optional>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_io.h"
#include "nlohmann/json.hpp"

namespace ptune::engine::hf {
namespace {

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::optional<torch::Dtype> TorchDtype(const std::string& dtype) {
  static const std::map<std::string, torch::Dtype>* const kDtypes =
      new std::map<std::string, torch::Dtype>{{"F64", torch::kFloat64}, {"F32", torch::kFloat32},
                                              {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16},
                                              {"I64", torch::kInt64},   {"I32", torch::kInt32},
                                              {"I16", torch::kInt16},   {"I8", torch::kInt8},
                                              {"U8", torch::kUInt8},    {"BOOL", torch::kBool}};
  auto it = kDtypes->find(dtype);
  if (it == kDtypes->end()) return std::nullopt;
  return it->second;
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// Reads the index's weight_map: tensor name -> shard file name.
absl::StatusOr<std::map<std::string, std::string>> ReadIndex(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("weight_map") ||
      !j["weight_map"].is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a JSON object with a weight_map"));
  }
  std::map<std::string, std::string> map;
  for (const auto& [name, shard] : j["weight_map"].items()) {
    if (!shard.is_string() || shard.get<std::string>().empty() ||
        shard.get<std::string>().find('/') != std::string::npos ||
        shard.get<std::string>().rfind("..", 0) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": weight_map[\"", name, "\"] must be a file name in the directory"));
    }
    map[name] = shard.get<std::string>();
  }
  return map;
}

}  // namespace

absl::Status HfWeights::Add(std::shared_ptr<MappedSafetensors> file, HfWeights& weights) {
  for (const auto& [name, slot] : file->layout().tensors) {
    auto [it, fresh] = weights.where_.emplace(name, Location{file, &slot});
    if (!fresh) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor \"", name, "\" is in both ", it->second.file->path(), " and ", file->path()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<HfWeights> HfWeights::OpenFile(const std::string& path) {
  absl::StatusOr<std::shared_ptr<MappedSafetensors>> file = MappedSafetensors::Open(path);
  if (!file.ok()) return file.status();
  HfWeights weights;
  weights.source_ = path;
  if (absl::Status s = Add(*file, weights); !s.ok()) return s;
  return weights;
}

absl::StatusOr<HfWeights> HfWeights::Open(const std::string& model_dir) {
  const std::string single = model_dir + "/model.safetensors";
  const std::string index_path = model_dir + "/model.safetensors.index.json";
  if (!FileExists(index_path)) {
    if (!FileExists(single)) {
      return absl::NotFoundError(absl::StrCat(model_dir, ": neither model.safetensors nor ",
                                              "model.safetensors.index.json (only safetensors ",
                                              "weights are supported)"));
    }
    absl::StatusOr<HfWeights> weights = OpenFile(single);
    if (weights.ok()) weights->source_ = model_dir;
    return weights;
  }
  absl::StatusOr<std::map<std::string, std::string>> index = ReadIndex(index_path);
  if (!index.ok()) return index.status();
  HfWeights weights;
  weights.source_ = model_dir;
  std::set<std::string> shards;
  for (const auto& [name, shard] : *index) shards.insert(shard);
  for (const std::string& shard : shards) {
    absl::StatusOr<std::shared_ptr<MappedSafetensors>> file =
        MappedSafetensors::Open(model_dir + "/" + shard);
    if (!file.ok()) return file.status();
    if (absl::Status s = Add(*file, weights); !s.ok()) return s;
  }
  for (const auto& [name, shard] : *index) {
    auto it = weights.where_.find(name);
    if (it == weights.where_.end() || it->second.file->path() != model_dir + "/" + shard) {
      return absl::InvalidArgumentError(absl::StrCat(index_path, ": places tensor \"", name,
                                                     "\" in ", shard, ", which does not hold it"));
    }
  }
  return weights;
}

std::vector<std::string> HfWeights::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, location] : where_) names.push_back(name);
  return names;
}

absl::StatusOr<HfWeights::Location> HfWeights::Find(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": missing tensor \"", name, "\""));
  }
  return it->second;
}

absl::StatusOr<torch::Tensor> HfWeights::Weight(const std::string& name,
                                                const std::vector<int64_t>& shape,
                                                const torch::TensorOptions& options) const {
  absl::StatusOr<Location> at = Find(name);
  if (!at.ok()) return at.status();
  const TensorSlot& slot = *at->slot;
  const std::string where = absl::StrCat(at->file->path(), ": tensor \"", name, "\"");
  if (slot.shape != shape) {
    return absl::InvalidArgumentError(absl::StrCat(where, " has shape ", ShapeText(slot.shape),
                                                   ", the config implies ", ShapeText(shape)));
  }
  if (slot.dtype != "F32" && slot.dtype != "BF16" && slot.dtype != "F16") {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " has dtype ", slot.dtype, "; weights must be F32, BF16 or F16"));
  }
  const torch::Dtype stored = *TorchDtype(slot.dtype);
  char* data = at->file->Data(slot);
  const bool aligned = reinterpret_cast<uintptr_t>(data) % SafetensorsDtypeBytes(slot.dtype) == 0;
  const bool cpu = !options.has_device() || options.device().is_cpu();
  const torch::Dtype target = options.has_dtype() ? options.dtype().toScalarType() : stored;
  if (aligned && cpu && target == stored) {
    // Zero-copy: the tensor keeps the mapping alive through its deleter.
    std::shared_ptr<MappedSafetensors> keep = at->file;
    return torch::from_blob(
        data, shape, [keep](void*) {}, torch::TensorOptions().dtype(stored));
  }
  torch::Tensor raw = aligned ? torch::from_blob(data, shape, torch::TensorOptions().dtype(stored))
                              : torch::empty(shape, torch::TensorOptions().dtype(stored));
  if (!aligned) std::memcpy(raw.data_ptr(), data, slot.bytes);
  return raw.to(options.device(), target, /*non_blocking=*/false, /*copy=*/true);
}

absl::StatusOr<torch::Tensor> HfWeights::Raw(const std::string& name) const {
  absl::StatusOr<Location> at = Find(name);
  if (!at.ok()) return at.status();
  const std::optional<torch::Dtype> dtype = TorchDtype(at->slot->dtype);
  if (!dtype.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(at->file->path(), ": tensor \"", name,
                                                   "\" has dtype ", at->slot->dtype,
                                                   ", which torch cannot hold"));
  }
  torch::Tensor out = torch::empty(at->slot->shape, torch::TensorOptions().dtype(*dtype));
  std::memcpy(out.data_ptr(), at->file->Data(*at->slot), at->slot->bytes);
  return out;
}

torch::Tensor WeightTaker::Take(const std::string& name, const std::vector<int64_t>& shape) {
  if (!status_.ok()) return torch::Tensor();
  absl::StatusOr<torch::Tensor> t = weights_.Weight(name, shape, options_);
  if (!t.ok()) {
    status_ = t.status();
    return torch::Tensor();
  }
  return *std::move(t);
}

}  // namespace ptune::engine::hf

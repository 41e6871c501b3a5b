#include "worker/engine/backbones/tfjs_weights.h"

#include <cstdint>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "nlohmann/json.hpp"

namespace ptune::engine {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "weights files are little-endian and copied as they are");

// One weight's manifest entry, without its bytes yet.
absl::StatusOr<RawTensor> ParseWeightSpec(const nlohmann::json& spec, const std::string& where) {
  if (!spec.is_object() || !spec.contains("name") || !spec["name"].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": want an object with a string name"));
  }
  RawTensor tensor;
  tensor.name = spec["name"].get<std::string>();
  const std::string at = absl::StrCat(where, " (", tensor.name, ")");
  if (spec.contains("quantization")) {
    return absl::UnimplementedError(absl::StrCat(at, ": quantised weights are not supported"));
  }
  const std::string dtype = spec.value("dtype", "");
  if (dtype == "float32") {
    tensor.dtype = RawDType::kFloat32;
  } else if (dtype == "int32") {
    tensor.dtype = RawDType::kInt32;
  } else {
    return absl::UnimplementedError(
        absl::StrCat(at, ": dtype \"", dtype, "\" is not supported (float32, int32)"));
  }
  if (!spec.contains("shape") || !spec["shape"].is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(at, ": shape: want an array"));
  }
  for (const nlohmann::json& dim : spec["shape"]) {
    if (!dim.is_number_integer() || dim.get<int64_t>() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": shape: ", dim.dump(), " is not a size"));
    }
    tensor.shape.push_back(dim.get<int64_t>());
  }
  return tensor;
}

// Concatenates a group's shard files.
absl::StatusOr<std::string> ReadShards(const nlohmann::json& paths,
                                       const std::filesystem::path& dir, const std::string& where) {
  if (!paths.is_array())
    return absl::InvalidArgumentError(absl::StrCat(where, ".paths: want an array"));
  std::string data;
  for (const nlohmann::json& path : paths) {
    if (!path.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".paths: ", path.dump(), " is not a string"));
    }
    absl::StatusOr<std::string> shard = ReadFile((dir / path.get<std::string>()).string());
    if (!shard.ok()) {
      return absl::Status(shard.status().code(),
                          absl::StrCat(where, ": shard ", shard.status().message()));
    }
    data += *shard;
  }
  return data;
}

absl::Status ParseGroup(const nlohmann::json& group, const std::filesystem::path& dir,
                        const std::string& where, std::vector<RawTensor>* out) {
  if (!group.is_object() || !group.contains("weights") || !group["weights"].is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": want an object with weights and paths"));
  }
  absl::StatusOr<std::string> data = ReadShards(group.value("paths", nlohmann::json()), dir, where);
  if (!data.ok()) return data.status();
  size_t offset = 0;
  const nlohmann::json& weights = group["weights"];
  for (size_t i = 0; i < weights.size(); ++i) {
    absl::StatusOr<RawTensor> tensor =
        ParseWeightSpec(weights[i], absl::StrCat(where, ".weights[", i, "]"));
    if (!tensor.ok()) return tensor.status();
    const size_t size = static_cast<size_t>(tensor->numel() * RawDTypeSize(tensor->dtype));
    if (offset + size > data->size()) {
      return absl::DataLossError(absl::StrCat(
          where, ": shards hold ", data->size(), " bytes but weight ", i, " (", tensor->name,
          ") needs bytes ", offset, "..", offset + size, "; a shard is truncated or missing"));
    }
    tensor->bytes = data->substr(offset, size);
    offset += size;
    out->push_back(std::move(*tensor));
  }
  if (offset != data->size()) {
    return absl::DataLossError(absl::StrCat(where, ": shards hold ", data->size(),
                                            " bytes but the weights use ", offset,
                                            "; the shards do not match the manifest"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<RawTensor>> LoadTfjsWeights(const std::string& model_json_path) {
  absl::StatusOr<std::string> text = ReadFile(model_json_path);
  if (!text.ok()) return text.status();
  const nlohmann::json model = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (model.is_discarded() || !model.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(model_json_path, ": not a JSON object"));
  }
  if (!model.contains("weightsManifest") || !model["weightsManifest"].is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(model_json_path, ": weightsManifest: missing or not an array"));
  }
  const std::filesystem::path dir = std::filesystem::path(model_json_path).parent_path();
  std::vector<RawTensor> tensors;
  const nlohmann::json& groups = model["weightsManifest"];
  for (size_t g = 0; g < groups.size(); ++g) {
    absl::Status status = ParseGroup(
        groups[g], dir, absl::StrCat(model_json_path, ": weightsManifest[", g, "]"), &tensors);
    if (!status.ok()) return status;
  }
  return tensors;
}

}  // namespace ptune::engine

// Maps the TF.js tensor names of USE-Lite onto UseLiteImpl's parameters.

#include <cstring>
#include <filesystem>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "worker/engine/backbones/tfjs_weights.h"
#include "worker/engine/backbones/use_lite.h"

namespace ptune::engine {
namespace {

constexpr char kApply[] = "module_apply_default/Encoder_en/KonaTransformer/Encode/";
constexpr char kModule[] = "module/Encoder_en/KonaTransformer/Encode/";

using TensorsByName = std::map<std::string, const RawTensor*>;

// Where one module parameter comes from. TF kernels are stored in x out (possibly with
// leading 1s from a 1x1 convolution) and are transposed into torch's out x in.
struct Source {
  std::string parameter;  // name in UseLiteImpl::named_parameters() / named_buffers()
  std::string tf_name;
  bool transpose = false;
};

std::vector<Source> LayerSources(int layer) {
  const std::string l = absl::StrCat("Layer_", layer, "/TransformerLayer/");
  const std::string apply = absl::StrCat(kApply, l);
  const std::string module = absl::StrCat(kModule, l);
  const std::string stack = absl::StrCat(kApply, "TransformerStack/", l);
  const std::string p = absl::StrCat("layer", layer, ".");
  const std::string norm = "layer_prepostprocess/layer_norm/layer_norm_";
  std::vector<Source> sources = {
      {p + "attn_norm_weight", apply + norm + "scale/ConcatPartitions/concat"},
      {p + "attn_norm_bias", apply + norm + "bias/ConcatPartitions/concat"},
      {p + "qkv_weight", module + "MultiheadAttention/qkv_transform_single/kernel/part_0", true},
      {p + "qkv_bias",
       apply + "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat"},
      {p + "out_weight", module + "MultiheadAttention/output_transform_single/kernel/part_0", true},
      {p + "out_bias",
       apply + "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat"},
      {p + "ffn_norm_weight", apply + "FFN/" + norm + "scale/ConcatPartitions/concat"},
      {p + "ffn_norm_bias", apply + "FFN/" + norm + "bias/ConcatPartitions/concat"},
      {p + "ffn1_weight", stack + "FFN/conv1/Tensordot/Reshape_1", true},
      {p + "ffn1_bias", apply + "FFN/conv1/bias/ConcatPartitions/concat"},
      {p + "ffn2_weight", stack + "FFN/conv2/Tensordot/Reshape_1", true},
      {p + "ffn2_bias", apply + "FFN/conv2/bias/ConcatPartitions/concat"},
  };
  if (layer == 0) {
    sources.push_back(
        {p + "residual_weight", apply + "dense/kernel/ConcatPartitions/concat", true});
    sources.push_back({p + "residual_bias", apply + "dense/bias/ConcatPartitions/concat"});
  }
  return sources;
}

std::vector<Source> AllSources() {
  std::vector<Source> sources = {
      {"embeddings", "module/Embeddings_en"},
      {"inv_timescales",
       absl::StrCat(kApply, "TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1")},
      {"pool_weight", "module/Encoder_en/hidden_layers/tanh_layer_0/weights", true},
      {"pool_bias", "module/Encoder_en/hidden_layers/tanh_layer_0/bias"},
  };
  for (int layer = 0; layer < 2; ++layer) {
    for (Source& s : LayerSources(layer)) sources.push_back(std::move(s));
  }
  return sources;
}

absl::StatusOr<const RawTensor*> Find(const TensorsByName& tensors, const std::string& name,
                                      const std::string& source_name) {
  const auto it = tensors.find(name);
  if (it == tensors.end()) {
    return absl::DataLossError(
        absl::StrCat(source_name, ": tensor ", name, " is missing; is this the USE-Lite model?"));
  }
  if (it->second->dtype != RawDType::kFloat32) {
    return absl::InvalidArgumentError(absl::StrCat(
        source_name, ": tensor ", name, " is ", RawDTypeName(it->second->dtype), ", want float32"));
  }
  return it->second;
}

absl::StatusOr<double> Scalar(const TensorsByName& tensors, const std::string& name,
                              const std::string& source_name) {
  absl::StatusOr<const RawTensor*> t = Find(tensors, name, source_name);
  if (!t.ok()) return t.status();
  if ((*t)->numel() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(source_name, ": ", name, " is not a scalar"));
  }
  float value;
  std::memcpy(&value, (*t)->bytes.data(), sizeof(value));
  return value;
}

// Graph constants the forward pass depends on, read rather than assumed.
absl::StatusOr<UseLiteConfig> ReadConfig(const TensorsByName& tensors,
                                         const std::string& source_name) {
  UseLiteConfig config;
  const std::string stack = absl::StrCat(kApply, "TransformerStack/");
  for (int layer = 0; layer < 2; ++layer) {
    absl::StatusOr<double> scale = Scalar(
        tensors, absl::StrCat(stack, "Layer_", layer, "/TransformerLayer/MultiheadAttention/mul/y"),
        source_name);
    if (!scale.ok()) return scale.status();
    config.attention_scale[layer] = *scale;
  }
  absl::StatusOr<double> eps =
      Scalar(tensors, stack + "Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x",
             source_name);
  if (!eps.ok()) return eps.status();
  config.layer_norm_eps = *eps;
  absl::StatusOr<double> l2 = Scalar(
      tensors, "module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y", source_name);
  if (!l2.ok()) return l2.status();
  config.l2_eps = *l2;
  return config;
}

// Copies `raw` into `target` after checking that the element counts and (transposed)
// shapes agree.
absl::Status CopyInto(const RawTensor& raw, bool transpose, torch::Tensor target,
                      const std::string& source_name) {
  const std::vector<int64_t> want = target.sizes().vec();
  torch::Tensor value =
      torch::from_blob(const_cast<char*>(raw.bytes.data()), {raw.numel()}, torch::kFloat32);
  if (transpose) {
    // Drop the 1x1 convolution dims: [1, 1, in, out] -> [in, out].
    if (target.dim() != 2 || raw.numel() != target.numel() || raw.shape.empty() ||
        raw.shape.back() != want[0]) {
      return absl::InvalidArgumentError(absl::StrCat(source_name, ": tensor ", raw.name,
                                                     " has shape [", absl::StrJoin(raw.shape, ","),
                                                     "], want [", want[1], ",", want[0], "]"));
    }
    value = value.view({want[1], want[0]}).t();
  } else {
    if (raw.numel() != target.numel()) {
      return absl::InvalidArgumentError(absl::StrCat(source_name, ": tensor ", raw.name,
                                                     " has shape [", absl::StrJoin(raw.shape, ","),
                                                     "], want [", absl::StrJoin(want, ","), "]"));
    }
    value = value.view(want);
  }
  torch::NoGradGuard no_grad;
  target.copy_(value);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<UseLiteImpl>> UseLiteFromTensors(
    const std::vector<RawTensor>& tensors, const std::string& source_name) {
  TensorsByName by_name;
  for (const RawTensor& t : tensors) by_name[t.name] = &t;
  absl::StatusOr<UseLiteConfig> config = ReadConfig(by_name, source_name);
  if (!config.ok()) return config.status();
  auto model = std::make_shared<UseLiteImpl>(*config);
  std::map<std::string, torch::Tensor> targets;
  for (const auto& item : model->named_parameters()) targets[item.key()] = item.value();
  for (const auto& item : model->named_buffers()) targets[item.key()] = item.value();
  for (const Source& source : AllSources()) {
    absl::StatusOr<const RawTensor*> raw = Find(by_name, source.tf_name, source_name);
    if (!raw.ok()) return raw.status();
    absl::Status copied =
        CopyInto(**raw, source.transpose, targets.at(source.parameter), source_name);
    if (!copied.ok()) return copied;
  }
  model->eval();
  return model;
}

absl::StatusOr<std::shared_ptr<UseLiteImpl>> LoadUseLite(const std::string& dir) {
  const std::string model_json = (std::filesystem::path(dir) / "model.json").string();
  absl::StatusOr<std::vector<RawTensor>> tensors = LoadTfjsWeights(model_json);
  if (!tensors.ok()) {
    if (absl::IsNotFound(tensors.status())) {
      return absl::NotFoundError(absl::StrCat(
          "USE-Lite weights not found: ", tensors.status().message(),
          ". Run scripts/setup.sh (fetches them into $PTUNE_CACHE, default ~/.cache/ptune)"));
    }
    return tensors.status();
  }
  return UseLiteFromTensors(*tensors, model_json);
}

}  // namespace ptune::engine

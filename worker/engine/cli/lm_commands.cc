#include "worker/engine/cli/lm_commands.h"

#include <torch/torch.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "worker/engine/backbone_resolver.h"
#include "worker/engine/cli/inference.h"
#include "worker/engine/formats/artifacts.h"
#include "worker/engine/hf/generate.h"
#include "worker/engine/hf/hf_model.h"
#include "worker/engine/tokenizers/hf_tokenizer.h"

namespace ptune::engine {
namespace {

absl::StatusOr<LoadedBackbone> LoadLanguageModel(const std::string& dir,
                                                 const std::string& models_dir) {
  ptune::v1::ModelSpec spec;
  spec.set_source(dir);
  auto loaded = AcquireBackbone(spec, torch::kCPU, nullptr, models_dir);
  if (!loaded.ok()) return loaded.status();
  if (loaded->language_model == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--model ", dir, ": not a language model (no config.json)"));
  }
  return loaded;
}

// The int64 2-D tensor `name` of `file`; `required` false returns an undefined tensor
// when it is absent.
absl::StatusOr<torch::Tensor> IdsTensor(const SafetensorsFile& file, const std::string& name,
                                        const std::string& path, bool required) {
  for (const SafetensorsEntry& entry : file.tensors) {
    if (entry.name != name) continue;
    if (entry.dtype != "I64" || entry.shape.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": tensor \"", name, "\" must be a 2-D I64 tensor (got ", entry.dtype, ")"));
    }
    return EntryTensor(entry);
  }
  if (!required) return torch::Tensor();
  return absl::InvalidArgumentError(absl::StrCat(path, ": tensor \"", name, "\" missing"));
}

absl::Status CheckIds(const torch::Tensor& ids, int64_t vocab, const std::string& path,
                      const std::string& name) {
  if (ids.numel() > 0 && (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= vocab)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": tensor \"", name, "\" has ids outside [0, ", vocab, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunForward(const ForwardArgs& args) {
  auto loaded = LoadLanguageModel(args.model_dir, args.models_dir);
  if (!loaded.ok()) return loaded.status();
  LanguageModelImpl& lm = *loaded->language_model;
  auto bytes = ReadFile(args.inputs_path);
  if (!bytes.ok()) return bytes.status();
  auto file = DecodeSafetensors(*bytes, args.inputs_path);
  if (!file.ok()) return file.status();
  auto ids = IdsTensor(*file, "input_ids", args.inputs_path, true);
  if (!ids.ok()) return ids.status();
  auto mask = IdsTensor(*file, "attention_mask", args.inputs_path, false);
  if (!mask.ok()) return mask.status();
  auto decoder = IdsTensor(*file, "decoder_input_ids", args.inputs_path, lm.is_encoder_decoder());
  if (!decoder.ok()) return decoder.status();
  auto decoder_mask = IdsTensor(*file, "decoder_attention_mask", args.inputs_path, false);
  if (!decoder_mask.ok()) return decoder_mask.status();
  if (!mask->defined()) *mask = torch::ones_like(*ids);
  if (mask->sizes() != ids->sizes()) {
    return absl::InvalidArgumentError(
        absl::StrCat(args.inputs_path, ": attention_mask and input_ids differ in shape"));
  }
  if (decoder_mask->defined() &&
      (!decoder->defined() || decoder_mask->sizes() != decoder->sizes())) {
    return absl::InvalidArgumentError(absl::StrCat(
        args.inputs_path, ": decoder_attention_mask and decoder_input_ids differ in shape"));
  }
  for (const auto& [t, name] : {std::pair{*ids, "input_ids"}, {*decoder, "decoder_input_ids"}}) {
    if (!t.defined()) continue;
    if (auto s = CheckIds(t, lm.vocab_size(), args.inputs_path, name); !s.ok()) return s;
  }
  torch::NoGradGuard no_grad;
  LanguageModelInputs inputs;
  inputs.embeds = lm.EmbedTokens(*ids);
  inputs.mask = *mask;
  if (lm.is_encoder_decoder()) {
    inputs.decoder_input_ids = *decoder;
    inputs.decoder_mask = *decoder_mask;  // undefined = all ones
  }
  const torch::Tensor logits = lm.Forward(inputs).to(torch::kFloat32);
  SafetensorsFile out;
  out.tensors.push_back(TensorEntry("logits", logits));
  return WriteFileAtomically(args.out_path, EncodeSafetensors(out));
}

absl::StatusOr<std::string> RunGenerate(const GenerateArgs& args) {
  LoadedBackbone backbone;
  torch::Tensor prompt;
  if (!args.prompt_dir.empty()) {
    auto trained = LoadTrainedPrompt(args.prompt_dir, nullptr, args.model_dir);
    if (!trained.ok()) return trained.status();
    torch::NoGradGuard no_grad;
    prompt = trained->model->method().VisiblePrompt().detach();
    backbone = trained->backbone;
  } else {
    auto loaded = LoadLanguageModel(args.model_dir, args.models_dir);
    if (!loaded.ok()) return loaded.status();
    backbone = *std::move(loaded);
  }
  auto* model = dynamic_cast<hf::HfModel*>(backbone.language_model.get());
  if (model == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--model ", args.model_dir, ": generation needs an HF model directory"));
  }
  if (backbone.tokenizer == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--model ", args.model_dir, ": no tokenizer.json; generation needs one"));
  }
  hf::GenerateOptions options;
  options.max_new_tokens = args.max_new_tokens;
  options.temperature = args.temperature;
  options.top_p = args.top_p;
  options.seed = args.seed;
  torch::NoGradGuard no_grad;
  auto ids = hf::Generate(*model, backbone.tokenizer->Encode(args.text), prompt, options);
  if (!ids.ok()) return ids.status();
  // HF's decode(ids, skip_special_tokens=True): a story model may emit BOS mid-stream.
  if (const auto* hf_tokenizer = dynamic_cast<const HfTokenizer*>(backbone.tokenizer.get())) {
    return hf_tokenizer->Decode(*ids, /*skip_special_tokens=*/true);
  }
  const int64_t eos = backbone.tokenizer->eos_id();
  if (!ids->empty() && ids->back() == eos) ids->pop_back();
  return backbone.tokenizer->Decode(*ids);
}

}  // namespace ptune::engine

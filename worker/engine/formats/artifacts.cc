#include "worker/engine/formats/artifacts.h"

#include <cstring>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "nlohmann/json.hpp"
#include "worker/engine/methods/method_config.h"

namespace ptune::engine {
namespace {

std::string PeftInitName(ptune::v1::PromptInit init) {
  switch (init) {
    case ptune::v1::PROMPT_INIT_TEXT:
      return "TEXT";
    case ptune::v1::PROMPT_INIT_VOCAB:
      return "SAMPLE_VOCAB";
    default:
      return "RANDOM";
  }
}

std::string PromptFile(const ArtifactInputs& in) {
  SafetensorsFile file;
  for (const auto& [name, t] : in.trainable) file.tensors.push_back(TensorEntry(name, t));
  file.tensors.push_back(TensorEntry("visible_prompt", in.visible_prompt));
  file.metadata = {{"format", "ptune-prompt"},
                   {"method", in.method_name},
                   {"spec", SpecJson(*in.spec)},
                   {"backbone", in.spec->model().source()},
                   {"labels", nlohmann::json(in.labels).dump()},
                   {"verbalizers", nlohmann::json(in.verbalizers).dump()}};
  return EncodeSafetensors(file);
}

// Writes one artifact and records its relative path.
absl::Status Put(const std::string& dir, const std::string& name, const std::string& bytes,
                 std::vector<std::string>* written) {
  if (absl::Status s = WriteFileAtomically(dir + "/" + name, bytes); !s.ok()) return s;
  written->push_back(name);
  return absl::OkStatus();
}

}  // namespace

SafetensorsEntry TensorEntry(const std::string& name, const torch::Tensor& tensor) {
  torch::Tensor t = tensor.detach().cpu().contiguous();
  std::string dtype = "F32";
  if (t.scalar_type() == torch::kBFloat16) {
    dtype = "BF16";
  } else if (t.scalar_type() == torch::kLong) {
    dtype = "I64";
  } else {
    t = t.to(torch::kFloat32);
  }
  const char* data = static_cast<const char*>(t.data_ptr());
  return SafetensorsEntry{name, dtype, t.sizes().vec(),
                          std::string(data, data + t.numel() * t.element_size())};
}

absl::StatusOr<torch::Tensor> EntryTensor(const SafetensorsEntry& entry) {
  torch::ScalarType type;
  if (entry.dtype == "F32") {
    type = torch::kFloat32;
  } else if (entry.dtype == "BF16") {
    type = torch::kBFloat16;
  } else if (entry.dtype == "I64") {
    type = torch::kLong;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor \"", entry.name, "\": unsupported dtype ", entry.dtype));
  }
  torch::Tensor t = torch::empty(entry.shape, torch::dtype(type));
  if (static_cast<size_t>(t.numel() * t.element_size()) != entry.bytes.size()) {
    return absl::InvalidArgumentError(absl::StrCat("tensor \"", entry.name,
                                                   "\": ", entry.bytes.size(),
                                                   " bytes do not match its shape and dtype"));
  }
  std::memcpy(t.data_ptr(), entry.bytes.data(), entry.bytes.size());
  return t;
}

std::string PeftAdapterConfig(const ptune::v1::JobSpec& spec, int64_t length, int64_t dim,
                              const PeftBaseModel& base) {
  const auto known = [](int64_t n) { return n > 0 ? nlohmann::json(n) : nlohmann::json(nullptr); };
  const bool text = spec.prompt().init() == ptune::v1::PROMPT_INIT_TEXT;
  nlohmann::json config = {
      {"peft_type", "PROMPT_TUNING"},
      {"task_type", base.task_type},
      {"num_virtual_tokens", length},
      {"token_dim", dim},
      {"num_transformer_submodules", 1},
      {"num_attention_heads", known(base.num_attention_heads)},
      {"num_layers", known(base.num_layers)},
      {"prompt_tuning_init", PeftInitName(spec.prompt().init())},
      {"prompt_tuning_init_text", text ? nlohmann::json(spec.prompt().init_text()) : nullptr},
      {"tokenizer_name_or_path", text ? nlohmann::json(spec.model().source()) : nullptr},
      {"base_model_name_or_path", spec.model().source()},
      {"inference_mode", true},
      {"revision", nullptr},
      {"auto_mapping", nullptr},
      {"tokenizer_kwargs", nullptr},
      {"modules_to_save", nullptr},  // PromptLearningConfig's field: PEFT writes it, null
  };
  return config.dump(2) + "\n";
}

absl::StatusOr<std::vector<std::string>> WriteArtifacts(const std::string& dir,
                                                        const ArtifactInputs& in) {
  std::error_code error;
  std::filesystem::create_directories(dir + "/adapter", error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot create ", dir, "/adapter: ", error.message()));
  }
  std::vector<std::string> written;
  if (auto s = Put(dir, "prompt.safetensors", PromptFile(in), &written); !s.ok()) return s;
  TensorShapes shapes;  // the method's tensors, without the "method." prefix
  for (const auto& [name, t] : in.trainable) {
    if (name.rfind("method.", 0) == 0) shapes.emplace_back(name.substr(7), t.sizes().vec());
  }
  const std::string method_config =
      MethodConfigJson(*in.spec, shapes, in.visible_prompt.sizes().vec());
  if (auto s = Put(dir, "method_config.json", method_config, &written); !s.ok()) return s;
  if (in.method_name == "pt") {
    const torch::Tensor prompt = in.visible_prompt;
    const std::string config = PeftAdapterConfig(*in.spec, prompt.size(0), prompt.size(1), in.peft);
    if (auto s = Put(dir, "adapter/adapter_config.json", config, &written); !s.ok()) return s;
    SafetensorsFile adapter;
    adapter.tensors.push_back(TensorEntry("prompt_embeddings", prompt.to(torch::kFloat32)));
    adapter.metadata = {{"format", "pt"}};
    if (auto s =
            Put(dir, "adapter/adapter_model.safetensors", EncodeSafetensors(adapter), &written);
        !s.ok()) {
      return s;
    }
  }
  const std::string metrics = nlohmann::json(in.metrics).dump(2) + "\n";
  if (auto s = Put(dir, "metrics.json", metrics, &written); !s.ok()) return s;
  return written;
}

}  // namespace ptune::engine

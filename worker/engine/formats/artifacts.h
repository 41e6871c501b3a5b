#ifndef PTUNE_WORKER_ENGINE_FORMATS_ARTIFACTS_H_
#define PTUNE_WORKER_ENGINE_FORMATS_ARTIFACTS_H_

// What a finished job leaves in its output directory (layout in docs/training.md):
//   prompt.safetensors            every trainable tensor ("method.prompt", ...), the prompt
//                                 the backbone sees ("visible_prompt", n x d), and
//                                 metadata: format, method, spec JSON, labels and
//                                 verbalizers (JSON arrays), backbone source.
//   adapter/adapter_config.json   PT only: an HF PEFT PROMPT_TUNING adapter config
//   adapter/adapter_model.safetensors  PT only: "prompt_embeddings" (l x d, F32)
//   metrics.json                  the final metrics
// Torch header.

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"
#include "worker/engine/formats/safetensors.h"
#include "worker/engine/training/checkpoint.h"

namespace ptune::engine {

// What PEFT's adapter_config.json says about the base model.
struct PeftBaseModel {
  std::string task_type = "FEATURE_EXTRACTION";  // CAUSAL_LM / SEQ_2_SEQ_LM for HF models
  int64_t num_layers = 0;                        // 0 = unknown (written as null)
  int64_t num_attention_heads = 0;               // 0 = unknown (written as null)
};

struct ArtifactInputs {
  const ptune::v1::JobSpec* spec = nullptr;  // after ApplySpecDefaults
  std::string method_name;
  NamedTensors trainable;
  torch::Tensor visible_prompt;
  std::vector<std::string> labels, verbalizers;
  std::map<std::string, double> metrics;
  PeftBaseModel peft;
};

// Writes the artifacts into `dir` (created if missing). Returns their paths relative to
// `dir`. INTERNAL when a file cannot be written.
absl::StatusOr<std::vector<std::string>> WriteArtifacts(const std::string& dir,
                                                        const ArtifactInputs& inputs);

// The contents of an adapter_config.json for a PT prompt of l x d, as PEFT's
// PromptTuningConfig.save_pretrained writes it (num_transformer_submodules 1: ptune
// prompts only the encoder of a T5 model, so PEFT must not expect decoder rows).
std::string PeftAdapterConfig(const ptune::v1::JobSpec& spec, int64_t length, int64_t dim,
                              const PeftBaseModel& base = {});

// A float/bfloat16/int64 tensor as a safetensors entry (copied to CPU, contiguous).
SafetensorsEntry TensorEntry(const std::string& name, const torch::Tensor& tensor);
// The tensor of an F32/BF16/I64 entry (CPU). INVALID_ARGUMENT for other dtypes or a
// byte size that does not match the shape.
absl::StatusOr<torch::Tensor> EntryTensor(const SafetensorsEntry& entry);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_FORMATS_ARTIFACTS_H_

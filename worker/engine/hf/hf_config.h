#ifndef PTUNE_WORKER_ENGINE_HF_HF_CONFIG_H_
#define PTUNE_WORKER_ENGINE_HF_HF_CONFIG_H_

// The parts of an HF `config.json` that ptune's T5 and Llama-family backbones use, read
// without torch so the worker can check a model directory and estimate its memory before
// it loads anything. Unknown keys are ignored; a missing required key, a value of the
// wrong type or range, or an architecture ptune does not implement is INVALID_ARGUMENT
// naming the file and the key.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace ptune::engine::hf {

enum class Family { kLlama, kQwen2, kGemma, kT5 };

// RoPE frequency scaling (`rope_scaling`): none, "linear" or "llama3" (Llama 3.1).
struct RopeScaling {
  std::string type = "default";
  double factor = 1.0;
  double low_freq_factor = 1.0;                     // llama3 only
  double high_freq_factor = 4.0;                    // llama3 only
  int64_t original_max_position_embeddings = 8192;  // llama3 only
};

struct HfConfig {
  std::string source;        // the config.json path, for messages
  std::string architecture;  // e.g. "LlamaForCausalLM"
  std::string model_type;    // e.g. "llama"
  Family family = Family::kLlama;

  int64_t vocab_size = 0;
  int64_t hidden_size = 0;        // T5: d_model
  int64_t intermediate_size = 0;  // T5: d_ff
  int64_t num_layers = 0;         // decoder-only: layers; T5: encoder layers
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;  // == num_heads for T5
  int64_t head_dim = 0;      // T5: d_kv
  double norm_eps = 1e-6;    // rms_norm_eps / layer_norm_epsilon
  bool tie_word_embeddings = true;
  std::optional<int64_t> bos_token_id, eos_token_id, pad_token_id;

  // Decoder-only (Llama family).
  int64_t max_position_embeddings = 0;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  std::string hidden_act = "silu";  // "silu" or "gelu_pytorch_tanh"
  bool attention_bias = false;      // q/k/v (and o for Llama) biases; Qwen2: q/k/v always
  bool mlp_bias = false;

  // T5.
  int64_t num_decoder_layers = 0;
  int64_t relative_attention_num_buckets = 32;
  int64_t relative_attention_max_distance = 128;
  bool gated_ffn = false;        // feed_forward_proj "gated-*" (T5 v1.1)
  std::string ffn_act = "relu";  // "relu", "gelu_new" or "silu"
  int64_t decoder_start_token_id = 0;

  bool is_encoder_decoder() const { return family == Family::kT5; }
};

// Parses the text of a config.json; `source` names it in errors.
absl::StatusOr<HfConfig> ParseHfConfig(const std::string& json_text, const std::string& source);

// Reads and parses `<model_dir>/config.json` (NOT_FOUND when it is absent).
absl::StatusOr<HfConfig> ReadHfConfig(const std::string& model_dir);

// Parameters the backbone built from `config` holds (tied tables counted once).
int64_t ParameterCount(const HfConfig& config);

// Bytes of the frozen weights in a compute dtype of `dtype_bytes` (4 = fp32, 2 = bf16).
// Activations come on top; see docs/models.md.
int64_t WeightBytes(const HfConfig& config, int dtype_bytes);

}  // namespace ptune::engine::hf

#endif  // PTUNE_WORKER_ENGINE_HF_HF_CONFIG_H_

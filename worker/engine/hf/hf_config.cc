#include "worker/engine/hf/hf_config.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/file_io.h"
#include "nlohmann/json.hpp"
#include "worker/engine/formats/bounded_json.h"

namespace ptune::engine::hf {
namespace {

using nlohmann::json;

struct Architecture {
  const char* name;
  const char* model_type;
  Family family;
};
constexpr Architecture kArchitectures[] = {
    {"LlamaForCausalLM", "llama", Family::kLlama},
    {"Qwen2ForCausalLM", "qwen2", Family::kQwen2},
    {"GemmaForCausalLM", "gemma", Family::kGemma},
    {"T5ForConditionalGeneration", "t5", Family::kT5},
};

std::string SupportedList() {
  std::vector<std::string> names;
  for (const Architecture& a : kArchitectures) names.push_back(a.name);
  return absl::StrJoin(names, ", ");
}

// Reads typed keys of one config object, remembering the first error so the parser reads
// as a list of fields.
class Fields {
 public:
  Fields(const json& j, const std::string& source) : j_(j), source_(source) {}

  int64_t Int(const char* key, std::optional<int64_t> fallback, int64_t min_value = 1) {
    const json* v = Find(key);
    if (v == nullptr) {
      if (!fallback.has_value()) Fail(key, "is required");
      return fallback.value_or(0);
    }
    if (!v->is_number_integer() || v->get<int64_t>() < min_value) {
      Fail(key, absl::StrCat("must be an integer >= ", min_value, ", got ", v->dump()));
      return fallback.value_or(0);
    }
    return v->get<int64_t>();
  }
  std::optional<int64_t> OptionalId(const char* key, std::optional<int64_t> fallback) {
    const json* v = Find(key);
    if (v == nullptr) return fallback;
    if (v->is_array() && !v->empty()) v = &(*v)[0];  // eos_token_id may be a list
    if (!v->is_number_integer() || v->get<int64_t>() < 0) {
      Fail(key, absl::StrCat("must be a non-negative token id, got ", v->dump()));
      return fallback;
    }
    return v->get<int64_t>();
  }
  double Positive(const char* key, double fallback) {
    const json* v = Find(key);
    if (v == nullptr) return fallback;
    if (!v->is_number() || v->get<double>() <= 0) {
      Fail(key, absl::StrCat("must be a positive number, got ", v->dump()));
      return fallback;
    }
    return v->get<double>();
  }
  bool Bool(const char* key, bool fallback) {
    const json* v = Find(key);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) Fail(key, absl::StrCat("must be true or false, got ", v->dump()));
    return v->is_boolean() ? v->get<bool>() : fallback;
  }
  std::string String(const char* key, const std::string& fallback) {
    const json* v = Find(key);
    if (v == nullptr) return fallback;
    if (!v->is_string()) Fail(key, absl::StrCat("must be a string, got ", v->dump()));
    return v->is_string() ? v->get<std::string>() : fallback;
  }
  const json* Find(const char* key) const {
    auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  void Fail(const std::string& key, const std::string& what) {
    if (status_.ok())
      status_ = absl::InvalidArgumentError(absl::StrCat(source_, ": ", key, " ", what));
  }
  const absl::Status& status() const { return status_; }

 private:
  const json& j_;
  const std::string& source_;
  absl::Status status_;
};

absl::StatusOr<Architecture> ResolveArchitecture(const json& j, const std::string& source) {
  const std::string model_type = j.value("model_type", "");
  std::string name;
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty()) {
    if (j["architectures"].size() != 1 || !j["architectures"][0].is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": architectures must name one class, got ", j["architectures"].dump()));
    }
    name = j["architectures"][0].get<std::string>();
  }
  for (const Architecture& a : kArchitectures) {
    const bool name_matches = !name.empty() && name == a.name;
    const bool type_matches = name.empty() && model_type == a.model_type;
    if (!name_matches && !type_matches) continue;
    if (!model_type.empty() && model_type != a.model_type) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": model_type \"", model_type,
                                                     "\" does not match architecture ", a.name));
    }
    return a;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(source, ": unsupported model (architectures ",
                   j.contains("architectures") ? j["architectures"].dump() : "absent",
                   ", model_type \"", model_type, "\"); supported: ", SupportedList()));
}

void ParseRopeScaling(Fields& f, HfConfig& c) {
  const json* rs = f.Find("rope_scaling");
  if (rs == nullptr) return;
  if (!rs->is_object()) return f.Fail("rope_scaling", "must be an object or null");
  Fields s(*rs, c.source);
  c.rope_scaling.type = s.String("rope_type", s.String("type", "default"));
  const std::string& type = c.rope_scaling.type;
  if (type == "default") return;
  if (type != "linear" && type != "llama3") {
    return f.Fail("rope_scaling",
                  absl::StrCat("type \"", type, "\" is not supported (default, linear, llama3)"));
  }
  c.rope_scaling.factor = s.Positive("factor", 0);
  if (c.rope_scaling.factor == 0) s.Fail("rope_scaling.factor", "is required");
  if (type == "llama3") {
    c.rope_scaling.low_freq_factor = s.Positive("low_freq_factor", 0);
    c.rope_scaling.high_freq_factor = s.Positive("high_freq_factor", 0);
    c.rope_scaling.original_max_position_embeddings =
        s.Int("original_max_position_embeddings", std::nullopt);
    if (c.rope_scaling.low_freq_factor == 0 ||
        c.rope_scaling.high_freq_factor <= c.rope_scaling.low_freq_factor) {
      s.Fail("rope_scaling", "llama3 needs 0 < low_freq_factor < high_freq_factor");
    }
  }
  if (!s.status().ok()) f.Fail("rope_scaling", std::string(s.status().message()));
}

void ParseDecoderOnly(const json& j, Fields& f, HfConfig& c) {
  const bool gemma = c.family == Family::kGemma;
  c.hidden_size = f.Int("hidden_size", std::nullopt);
  c.intermediate_size = f.Int("intermediate_size", std::nullopt);
  c.num_layers = f.Int("num_hidden_layers", std::nullopt);
  c.num_heads = f.Int("num_attention_heads", std::nullopt);
  c.num_kv_heads = f.Int("num_key_value_heads", c.num_heads);
  c.head_dim = f.Int("head_dim", c.num_heads > 0 ? c.hidden_size / c.num_heads : 0);
  c.max_position_embeddings = f.Int("max_position_embeddings", gemma ? 8192 : 2048);
  c.norm_eps = f.Positive("rms_norm_eps", 1e-6);
  c.rope_theta = f.Positive("rope_theta", 10000.0);
  c.tie_word_embeddings = f.Bool("tie_word_embeddings", gemma);
  c.attention_bias = c.family == Family::kQwen2 || f.Bool("attention_bias", false);
  c.mlp_bias = f.Bool("mlp_bias", false);
  // transformers 4.44 runs Gemma with the tanh GELU unless hidden_activation says otherwise.
  c.hidden_act =
      gemma ? f.String("hidden_activation", "gelu_pytorch_tanh") : f.String("hidden_act", "silu");
  static const char* kActs[] = {"silu", "gelu", "gelu_new", "gelu_pytorch_tanh", "relu"};
  if (std::find(std::begin(kActs), std::end(kActs), c.hidden_act) == std::end(kActs)) {
    f.Fail(gemma ? "hidden_activation" : "hidden_act",
           absl::StrCat("\"", c.hidden_act, "\" is not supported"));
  }
  if (c.num_heads > 0 && c.num_kv_heads > 0 && c.num_heads % c.num_kv_heads != 0) {
    f.Fail("num_key_value_heads",
           absl::StrCat(c.num_kv_heads, " does not divide num_attention_heads ", c.num_heads));
  }
  if (c.head_dim % 2 != 0 || c.head_dim == 0) f.Fail("head_dim", "must be even and > 0 for RoPE");
  if (c.family != Family::kGemma) ParseRopeScaling(f, c);
  c.bos_token_id = f.OptionalId("bos_token_id", gemma ? 2 : 1);
  c.eos_token_id = f.OptionalId("eos_token_id", gemma ? 1 : 2);
  c.pad_token_id = f.OptionalId("pad_token_id", gemma ? std::optional<int64_t>(0) : std::nullopt);
}

void ParseT5(Fields& f, HfConfig& c) {
  c.hidden_size = f.Int("d_model", std::nullopt);
  c.intermediate_size = f.Int("d_ff", std::nullopt);
  c.head_dim = f.Int("d_kv", std::nullopt);
  c.num_layers = f.Int("num_layers", std::nullopt);
  c.num_decoder_layers = f.Int("num_decoder_layers", c.num_layers);
  c.num_heads = f.Int("num_heads", std::nullopt);
  c.num_kv_heads = c.num_heads;
  c.relative_attention_num_buckets = f.Int("relative_attention_num_buckets", 32, 2);
  c.relative_attention_max_distance = f.Int("relative_attention_max_distance", 128, 2);
  c.norm_eps = f.Positive("layer_norm_epsilon", 1e-6);
  c.tie_word_embeddings = f.Bool("tie_word_embeddings", true);
  // HF's T5Config: "gated-ACT" or "ACT"; "gated-gelu" means the tanh approximation.
  const std::string proj = f.String("feed_forward_proj", "relu");
  std::vector<std::string> parts = absl::StrSplit(proj, '-');
  c.gated_ffn = parts.size() == 2 && parts[0] == "gated";
  c.ffn_act = proj == "gated-gelu" ? "gelu_new" : parts.back();
  if ((parts.size() == 2 && !c.gated_ffn) || parts.size() > 2 ||
      (c.ffn_act != "relu" && c.ffn_act != "gelu" && c.ffn_act != "gelu_new" &&
       c.ffn_act != "silu")) {
    f.Fail("feed_forward_proj", absl::StrCat("\"", proj, "\" is not supported (relu, gated-gelu, ",
                                             "gated-relu, gated-silu, gelu, silu)"));
  }
  c.pad_token_id = f.OptionalId("pad_token_id", 0);
  c.eos_token_id = f.OptionalId("eos_token_id", 1);
  c.bos_token_id = f.OptionalId("bos_token_id", std::nullopt);
  c.decoder_start_token_id = f.OptionalId("decoder_start_token_id", c.pad_token_id).value_or(0);
  // Relative positions have no hard limit; cap prompts + inputs at what T5 was trained on.
  c.max_position_embeddings = f.Int("n_positions", 512);
}

}  // namespace

absl::StatusOr<HfConfig> ParseHfConfig(const std::string& json_text, const std::string& source) {
  json j = ParseBoundedJson(json_text);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not a JSON object (nested at most 64 deep)"));
  }
  absl::StatusOr<Architecture> arch = ResolveArchitecture(j, source);
  if (!arch.ok()) return arch.status();
  HfConfig c;
  c.source = source;
  c.architecture = arch->name;
  c.model_type = arch->model_type;
  c.family = arch->family;
  Fields f(j, source);
  c.vocab_size = f.Int("vocab_size", std::nullopt);
  if (c.family == Family::kT5) {
    ParseT5(f, c);
  } else {
    ParseDecoderOnly(j, f, c);
  }
  if (!f.status().ok()) return f.status();
  return c;
}

absl::StatusOr<HfConfig> ReadHfConfig(const std::string& model_dir) {
  const std::string path = model_dir + "/config.json";
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseHfConfig(*text, path);
}

int64_t ParameterCount(const HfConfig& c) {
  // In double: the sizes come from a user's file, and their products overflow int64 for a
  // hostile config (found by fuzz/fuzz_hf_config); the result saturates at INT64_MAX so
  // the memory check refuses it. Exact for every real model (< 2^53 parameters).
  const double d = c.hidden_size, inner = double(c.num_heads) * c.head_dim;
  const double table = double(c.vocab_size) * d * (c.tie_word_embeddings ? 1 : 2);
  double total;
  if (c.family == Family::kT5) {
    const double attention = 4 * d * inner;
    const double ffn = (c.gated_ffn ? 3 : 2) * d * c.intermediate_size;
    const double encoder = c.num_layers * (attention + ffn + 2 * d);
    const double decoder = c.num_decoder_layers * (2 * attention + ffn + 3 * d);
    const double bias_tables = 2.0 * c.relative_attention_num_buckets * c.num_heads;
    total = table + encoder + decoder + bias_tables + 2 * d;
  } else {
    const double kv = double(c.num_kv_heads) * c.head_dim;
    double attention = 2 * d * inner + 2 * d * kv;
    if (c.attention_bias) attention += inner + 2 * kv + (c.family == Family::kLlama ? d : 0);
    double mlp = 3 * d * c.intermediate_size;
    if (c.mlp_bias) mlp += 2.0 * c.intermediate_size + d;
    total = table + c.num_layers * (attention + mlp + 2 * d) + d;
  }
  constexpr double kMax = static_cast<double>(std::numeric_limits<int64_t>::max());
  return total >= kMax ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(total);
}

int64_t WeightBytes(const HfConfig& config, int dtype_bytes) {
  const int64_t parameters = ParameterCount(config);
  if (dtype_bytes > 0 && parameters > std::numeric_limits<int64_t>::max() / dtype_bytes) {
    return std::numeric_limits<int64_t>::max();
  }
  return parameters * dtype_bytes;
}

}  // namespace ptune::engine::hf

#include "worker/engine/hf/llama.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "worker/engine/hf/layers.h"

namespace ptune::engine::hf {
namespace {

torch::Tensor Linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  return b.defined() ? torch::nn::functional::linear(x, w, b) : torch::matmul(x, w.t());
}

torch::Tensor RotateHalf(const torch::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return torch::cat({-x.slice(-1, half), x.slice(-1, 0, half)}, -1);
}

}  // namespace

torch::Tensor RopeInverseFrequencies(const HfConfig& c) {
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  torch::Tensor inv_freq = 1.0 / torch::pow(c.rope_theta, torch::arange(0, c.head_dim, 2, f32) /
                                                              static_cast<double>(c.head_dim));
  const RopeScaling& s = c.rope_scaling;
  if (s.type == "linear") return inv_freq / s.factor;
  if (s.type != "llama3") return inv_freq;
  // Llama 3.1: long wavelengths slow down by `factor`, short ones stay, the band between
  // the two cut-offs interpolates smoothly (HF's _compute_llama3_parameters).
  const double old_context = static_cast<double>(s.original_max_position_embeddings);
  const double low_freq_wavelen = old_context / s.low_freq_factor;
  const double high_freq_wavelen = old_context / s.high_freq_factor;
  const torch::Tensor wavelen = 2 * M_PI / inv_freq;
  torch::Tensor scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / s.factor, inv_freq);
  const torch::Tensor smooth =
      (old_context / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  const torch::Tensor smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
  const torch::Tensor medium = (wavelen >= high_freq_wavelen) & (wavelen <= low_freq_wavelen);
  return torch::where(medium, smoothed, scaled);
}

absl::StatusOr<std::shared_ptr<LlamaModel>> LlamaModel::Load(const HfConfig& c,
                                                             const HfWeights& weights,
                                                             const torch::TensorOptions& options) {
  std::shared_ptr<LlamaModel> m(new LlamaModel(c));
  WeightTaker w(weights, options);
  const int64_t d = c.hidden_size, q_dim = c.num_heads * c.head_dim,
                kv_dim = c.num_kv_heads * c.head_dim;
  const int64_t ffn = c.intermediate_size;
  const bool o_bias = c.attention_bias && c.family == Family::kLlama;
  m->embed_ = m->Keep("embed", w.Take("model.embed_tokens.weight", {c.vocab_size, d}));
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = absl::StrCat("model.layers.", i, ".");
    auto take = [&](const std::string& name, std::vector<int64_t> shape) {
      return m->Keep(p + name, w.Take(p + name, shape));
    };
    Layer l;
    l.input_norm = take("input_layernorm.weight", {d});
    l.post_norm = take("post_attention_layernorm.weight", {d});
    l.q = take("self_attn.q_proj.weight", {q_dim, d});
    l.k = take("self_attn.k_proj.weight", {kv_dim, d});
    l.v = take("self_attn.v_proj.weight", {kv_dim, d});
    l.o = take("self_attn.o_proj.weight", {d, q_dim});
    if (c.attention_bias) {
      l.q_bias = take("self_attn.q_proj.bias", {q_dim});
      l.k_bias = take("self_attn.k_proj.bias", {kv_dim});
      l.v_bias = take("self_attn.v_proj.bias", {kv_dim});
    }
    if (o_bias) l.o_bias = take("self_attn.o_proj.bias", {d});
    l.gate = take("mlp.gate_proj.weight", {ffn, d});
    l.up = take("mlp.up_proj.weight", {ffn, d});
    l.down = take("mlp.down_proj.weight", {d, ffn});
    if (c.mlp_bias) {
      l.gate_bias = take("mlp.gate_proj.bias", {ffn});
      l.up_bias = take("mlp.up_proj.bias", {ffn});
      l.down_bias = take("mlp.down_proj.bias", {d});
    }
    if (!w.status().ok()) return w.status();
    m->layers_.push_back(std::move(l));
  }
  m->final_norm_ = m->Keep("model.norm", w.Take("model.norm.weight", {d}));
  m->head_ = c.tie_word_embeddings
                 ? m->embed_
                 : m->Keep("lm_head", w.Take("lm_head.weight", {c.vocab_size, d}));
  if (!w.status().ok()) return w.status();
  m->inv_freq_ = m->register_buffer("inv_freq", RopeInverseFrequencies(c).to(options.device()));
  m->Freeze();
  return m;
}

torch::Tensor LlamaModel::EmbedTokens(const torch::Tensor& ids) {
  return torch::embedding(embed_, ids.to(torch::kLong));
}

torch::Tensor LlamaModel::Block(const Layer& l, const torch::Tensor& x, const torch::Tensor& cos,
                                const torch::Tensor& sin, const torch::Tensor& bias) const {
  const HfConfig& c = config();
  const bool gemma = c.family == Family::kGemma;
  const int64_t batch = x.size(0), len = x.size(1);
  const torch::Tensor h = RmsNorm(x, l.input_norm, c.norm_eps, gemma);
  auto heads = [&](const torch::Tensor& t, int64_t n) {
    return t.view({batch, len, n, c.head_dim}).transpose(1, 2);
  };
  torch::Tensor q = heads(Linear(h, l.q, l.q_bias), c.num_heads);
  torch::Tensor k = heads(Linear(h, l.k, l.k_bias), c.num_kv_heads);
  torch::Tensor v = heads(Linear(h, l.v, l.v_bias), c.num_kv_heads);
  q = q * cos + RotateHalf(q) * sin;
  k = k * cos + RotateHalf(k) * sin;
  if (c.num_kv_heads != c.num_heads) {  // grouped-query attention: each kv head serves a group
    k = k.repeat_interleave(c.num_heads / c.num_kv_heads, 1);
    v = v.repeat_interleave(c.num_heads / c.num_kv_heads, 1);
  }
  const torch::Tensor scores =
      torch::matmul(q, k.transpose(2, 3)) / std::sqrt(static_cast<double>(c.head_dim));
  const torch::Tensor attended =
      Attend(scores, bias, v).transpose(1, 2).reshape({batch, len, c.num_heads * c.head_dim});
  const torch::Tensor y = x + Linear(attended, l.o, l.o_bias);
  const torch::Tensor g = RmsNorm(y, l.post_norm, c.norm_eps, gemma);
  const torch::Tensor inner =
      Activate(Linear(g, l.gate, l.gate_bias), c.hidden_act) * Linear(g, l.up, l.up_bias);
  return y + Linear(inner, l.down, l.down_bias);
}

HfOutputs LlamaModel::ForwardAll(const LanguageModelInputs& in) {
  const HfConfig& c = config();
  const bool gemma = c.family == Family::kGemma;
  torch::Tensor x = in.embeds.to(embed_.scalar_type());
  if (gemma) {  // HF rounds sqrt(d) to the compute dtype first
    x = x * torch::tensor(std::sqrt(static_cast<double>(c.hidden_size)), x.options());
  }
  const torch::Tensor mask = in.mask.to(x.device()).to(torch::kLong);
  const torch::Tensor positions = (mask.cumsum(-1) - 1).clamp_min(0).to(torch::kFloat32);
  const torch::Tensor freqs = positions.unsqueeze(-1) * inv_freq_;  // B x T x hd/2
  const torch::Tensor angles = torch::cat({freqs, freqs}, -1).unsqueeze(1);
  const torch::Tensor cos = angles.cos().to(x.scalar_type()),
                      sin = angles.sin().to(x.scalar_type());
  const torch::Tensor bias = AttentionBias(mask, x.size(1), /*causal=*/true, x.scalar_type());
  for (const Layer& layer : layers_) x = Block(layer, x, cos, sin, bias);
  HfOutputs out;
  out.last_hidden = RmsNorm(x, final_norm_, c.norm_eps, gemma);
  out.logits = torch::matmul(out.last_hidden, head_.t());
  return out;
}

}  // namespace ptune::engine::hf

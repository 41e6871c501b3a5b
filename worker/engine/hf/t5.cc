#include "worker/engine/hf/t5.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "worker/engine/hf/layers.h"

namespace ptune::engine::hf {

torch::Tensor RelativePositionBucket(const torch::Tensor& relative, bool bidirectional,
                                     int64_t num_buckets, int64_t max_distance) {
  torch::Tensor buckets = torch::zeros_like(relative);
  torch::Tensor distance;
  if (bidirectional) {
    num_buckets /= 2;
    buckets = buckets + (relative > 0).to(torch::kLong) * num_buckets;
    distance = relative.abs();
  } else {
    distance = -torch::min(relative, torch::zeros_like(relative));
  }
  // Half the buckets are exact distances; the other half grow logarithmically up to
  // max_distance, beyond which everything shares the last bucket.
  const int64_t max_exact = num_buckets / 2;
  const torch::Tensor is_small = distance < max_exact;
  torch::Tensor large =
      max_exact + (torch::log(distance.to(torch::kFloat32) / static_cast<double>(max_exact)) /
                   std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact)) *
                   static_cast<double>(num_buckets - max_exact))
                      .to(torch::kLong);
  large = torch::min(large, torch::full_like(large, num_buckets - 1));
  return buckets + torch::where(is_small, distance, large);
}

absl::Status T5Model::LoadStack(WeightTaker& w, const std::string& prefix, int64_t layers,
                                bool decoder, std::vector<Block>& blocks, torch::Tensor& bias_table,
                                torch::Tensor& norm) {
  const HfConfig& c = config();
  const int64_t d = c.hidden_size, inner = c.num_heads * c.head_dim, ff = c.intermediate_size;
  auto take = [&](const std::string& name, std::vector<int64_t> shape) {
    return Keep(name, w.Take(name, shape));
  };
  auto attention = [&](const std::string& p) {
    return Attention{take(p + "q.weight", {inner, d}), take(p + "k.weight", {inner, d}),
                     take(p + "v.weight", {inner, d}), take(p + "o.weight", {d, inner})};
  };
  for (int64_t i = 0; i < layers; ++i) {
    const std::string p = absl::StrCat(prefix, "block.", i, ".layer.");
    Block b;
    b.self_norm = take(p + "0.layer_norm.weight", {d});
    b.self = attention(p + "0.SelfAttention.");
    if (i == 0) {
      bias_table = take(p + "0.SelfAttention.relative_attention_bias.weight",
                        {c.relative_attention_num_buckets, c.num_heads});
    }
    const std::string ffn = p + (decoder ? "2." : "1.");
    if (decoder) {
      b.cross_norm = take(p + "1.layer_norm.weight", {d});
      b.cross = attention(p + "1.EncDecAttention.");
    }
    b.ffn_norm = take(ffn + "layer_norm.weight", {d});
    if (c.gated_ffn) {
      b.wi_gate = take(ffn + "DenseReluDense.wi_0.weight", {ff, d});
      b.wi = take(ffn + "DenseReluDense.wi_1.weight", {ff, d});
    } else {
      b.wi = take(ffn + "DenseReluDense.wi.weight", {ff, d});
    }
    b.wo = take(ffn + "DenseReluDense.wo.weight", {d, ff});
    if (!w.status().ok()) return w.status();
    blocks.push_back(std::move(b));
  }
  norm = take(prefix + "final_layer_norm.weight", {d});
  return w.status();
}

absl::StatusOr<std::shared_ptr<T5Model>> T5Model::Load(const HfConfig& c, const HfWeights& weights,
                                                       const torch::TensorOptions& options) {
  std::shared_ptr<T5Model> m(new T5Model(c));
  WeightTaker w(weights, options);
  const int64_t d = c.hidden_size;
  // save_pretrained keeps one copy of the tied tables; older checkpoints keep another name.
  const std::string table =
      w.Has("shared.weight") ? "shared.weight" : "encoder.embed_tokens.weight";
  m->shared_ = m->Keep("shared", w.Take(table, {c.vocab_size, d}));
  if (absl::Status s = m->LoadStack(w, "encoder.", c.num_layers, false, m->encoder_,
                                    m->encoder_bias_, m->encoder_norm_);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = m->LoadStack(w, "decoder.", c.num_decoder_layers, true, m->decoder_,
                                    m->decoder_bias_, m->decoder_norm_);
      !s.ok()) {
    return s;
  }
  m->head_ = c.tie_word_embeddings
                 ? m->shared_
                 : m->Keep("lm_head", w.Take("lm_head.weight", {c.vocab_size, d}));
  if (!w.status().ok()) return w.status();
  m->Freeze();
  return m;
}

torch::Tensor T5Model::EmbedTokens(const torch::Tensor& ids) {
  return torch::embedding(shared_, ids.to(torch::kLong));
}

torch::Tensor T5Model::PositionBias(const torch::Tensor& table, int64_t queries, int64_t keys,
                                    bool bidirectional) const {
  const auto opts = torch::TensorOptions().dtype(torch::kLong).device(table.device());
  // Causal decoding appends queries at the end, so query i sits at position keys - queries + i.
  const torch::Tensor query_pos = torch::arange(keys - queries, keys, opts).view({queries, 1});
  const torch::Tensor relative = torch::arange(keys, opts).view({1, keys}) - query_pos;
  const torch::Tensor buckets =
      RelativePositionBucket(relative, bidirectional, config().relative_attention_num_buckets,
                             config().relative_attention_max_distance);
  return torch::embedding(table, buckets).permute({2, 0, 1}).unsqueeze(0);
}

torch::Tensor T5Model::Attend(const Attention& a, const torch::Tensor& x,
                              const torch::Tensor& memory, const torch::Tensor& bias) const {
  const HfConfig& c = config();
  const int64_t batch = x.size(0);
  auto heads = [&](const torch::Tensor& t) {
    return t.view({batch, -1, c.num_heads, c.head_dim}).transpose(1, 2);
  };
  const torch::Tensor q = heads(torch::matmul(x, a.q.t()));
  const torch::Tensor k = heads(torch::matmul(memory, a.k.t()));
  const torch::Tensor v = heads(torch::matmul(memory, a.v.t()));
  // T5 folds the 1/sqrt(d_kv) scale into its initialisation: scores are plain dot products.
  const torch::Tensor out = hf::Attend(torch::matmul(q, k.transpose(2, 3)), bias, v);
  return torch::matmul(out.transpose(1, 2).reshape({batch, -1, c.num_heads * c.head_dim}), a.o.t());
}

torch::Tensor T5Model::FeedForward(const Block& b, const torch::Tensor& x) const {
  const std::string& act = config().ffn_act;
  const torch::Tensor hidden =
      b.wi_gate.defined()
          ? Activate(torch::matmul(x, b.wi_gate.t()), act) * torch::matmul(x, b.wi.t())
          : Activate(torch::matmul(x, b.wi.t()), act);
  return torch::matmul(hidden, b.wo.t());
}

torch::Tensor T5Model::Encode(const torch::Tensor& embeds, const torch::Tensor& mask) {
  const HfConfig& c = config();
  torch::Tensor x = embeds.to(shared_.scalar_type());
  const int64_t len = x.size(1);
  const torch::Tensor bias =
      PositionBias(encoder_bias_, len, len, /*bidirectional=*/true).to(x.scalar_type()) +
      AttentionBias(mask.to(x.device()), len, /*causal=*/false, x.scalar_type());
  for (const Block& b : encoder_) {
    const torch::Tensor h = RmsNorm(x, b.self_norm, c.norm_eps);
    x = x + Attend(b.self, h, h, bias);
    x = x + FeedForward(b, RmsNorm(x, b.ffn_norm, c.norm_eps));
  }
  return RmsNorm(x, encoder_norm_, c.norm_eps);
}

HfOutputs T5Model::Decode(const torch::Tensor& encoded, const torch::Tensor& encoder_mask,
                          const torch::Tensor& decoder_ids, const torch::Tensor& decoder_mask) {
  const HfConfig& c = config();
  torch::Tensor x = EmbedTokens(decoder_ids.to(shared_.device()));
  const int64_t len = x.size(1);
  const torch::Tensor dec_mask =
      decoder_mask.defined() ? decoder_mask.to(x.device()) : torch::ones_like(decoder_ids);
  const torch::Tensor self_bias =
      PositionBias(decoder_bias_, len, len, /*bidirectional=*/false).to(x.scalar_type()) +
      AttentionBias(dec_mask, len, /*causal=*/true, x.scalar_type());
  const torch::Tensor cross_bias =
      AttentionBias(encoder_mask.to(x.device()), len, /*causal=*/false, x.scalar_type());
  for (const Block& b : decoder_) {
    const torch::Tensor h = RmsNorm(x, b.self_norm, c.norm_eps);
    x = x + Attend(b.self, h, h, self_bias);
    x = x + Attend(b.cross, RmsNorm(x, b.cross_norm, c.norm_eps), encoded, cross_bias);
    x = x + FeedForward(b, RmsNorm(x, b.ffn_norm, c.norm_eps));
  }
  HfOutputs out;
  out.last_hidden = RmsNorm(x, decoder_norm_, c.norm_eps);
  // v1.0 ties the head to the input table and rescales by d_model^-0.5 (Mesh TensorFlow).
  const torch::Tensor scaled =
      c.tie_word_embeddings ? out.last_hidden * std::pow(static_cast<double>(c.hidden_size), -0.5)
                            : out.last_hidden;
  out.logits = torch::matmul(scaled, head_.t());
  return out;
}

HfOutputs T5Model::ForwardAll(const LanguageModelInputs& in) {
  const torch::Tensor encoded = Encode(in.embeds, in.mask);
  HfOutputs out = Decode(encoded, in.mask, in.decoder_input_ids, in.decoder_mask);
  out.encoder_last_hidden = encoded;
  return out;
}

}  // namespace ptune::engine::hf

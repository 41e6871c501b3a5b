#include "worker/engine/backbones/use_lite.h"

#include <string>

namespace ptune::engine {
namespace {

namespace F = torch::nn::functional;

// Frozen weights: registered so .to(device) and state_dict see them, never trained.
torch::Tensor Frozen(torch::nn::Module& module, const std::string& name, torch::IntArrayRef shape) {
  return module.register_parameter(name, torch::zeros(shape), /*requires_grad=*/false);
}

}  // namespace

UseLiteLayerImpl::UseLiteLayerImpl(int64_t in_dim, int64_t out_dim, const UseLiteConfig& config,
                                   int layer)
    : in_dim_(in_dim),
      out_dim_(out_dim),
      heads_(config.heads),
      scale_(config.attention_scale[layer]),
      eps_(config.layer_norm_eps) {
  TORCH_CHECK(in_dim % heads_ == 0, "USE-Lite layer width ", in_dim, " not divisible by heads");
  attn_norm_weight_ = Frozen(*this, "attn_norm_weight", {in_dim});
  attn_norm_bias_ = Frozen(*this, "attn_norm_bias", {in_dim});
  qkv_weight_ = Frozen(*this, "qkv_weight", {3 * in_dim, in_dim});
  qkv_bias_ = Frozen(*this, "qkv_bias", {3 * in_dim});
  out_weight_ = Frozen(*this, "out_weight", {out_dim, in_dim});
  out_bias_ = Frozen(*this, "out_bias", {out_dim});
  if (in_dim != out_dim) {
    residual_weight_ = Frozen(*this, "residual_weight", {out_dim, in_dim});
    residual_bias_ = Frozen(*this, "residual_bias", {out_dim});
  }
  ffn_norm_weight_ = Frozen(*this, "ffn_norm_weight", {out_dim});
  ffn_norm_bias_ = Frozen(*this, "ffn_norm_bias", {out_dim});
  ffn1_weight_ = Frozen(*this, "ffn1_weight", {config.ffn_dim, out_dim});
  ffn1_bias_ = Frozen(*this, "ffn1_bias", {config.ffn_dim});
  ffn2_weight_ = Frozen(*this, "ffn2_weight", {out_dim, config.ffn_dim});
  ffn2_bias_ = Frozen(*this, "ffn2_bias", {out_dim});
}

torch::Tensor UseLiteLayerImpl::Attention(const torch::Tensor& x, const torch::Tensor& key_bias) {
  const int64_t batch = x.size(0), length = x.size(1), head_dim = in_dim_ / heads_;
  const torch::Tensor normed =
      torch::layer_norm(x, {in_dim_}, attn_norm_weight_, attn_norm_bias_, eps_);
  // One fused projection, split into q, k, v: each 3 x B x H x T x head_dim.
  const torch::Tensor qkv = F::linear(normed, qkv_weight_, qkv_bias_)
                                .view({batch, length, 3, heads_, head_dim})
                                .permute({2, 0, 3, 1, 4});
  const torch::Tensor scores = torch::matmul(qkv[0] * scale_, qkv[1].transpose(-2, -1)) + key_bias;
  const torch::Tensor context =
      torch::matmul(torch::softmax(scores, -1).to(qkv.scalar_type()), qkv[2])
          .permute({0, 2, 1, 3})
          .reshape({batch, length, in_dim_});
  return F::linear(context, out_weight_, out_bias_);
}

torch::Tensor UseLiteLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& key_bias,
                                        const torch::Tensor& valid) {
  const torch::Tensor residual =
      in_dim_ == out_dim_ ? x : F::linear(x, residual_weight_, residual_bias_) * valid;
  const torch::Tensor y = Attention(x, key_bias) + residual;
  const torch::Tensor normed =
      torch::layer_norm(y, {out_dim_}, ffn_norm_weight_, ffn_norm_bias_, eps_);
  const torch::Tensor ffn =
      F::linear(torch::relu(F::linear(normed, ffn1_weight_, ffn1_bias_)), ffn2_weight_, ffn2_bias_);
  return y + ffn * valid;
}

UseLiteImpl::UseLiteImpl(const UseLiteConfig& config) : config_(config) {
  embeddings_ = Frozen(*this, "embeddings", {config.vocab_rows, config.embed_dim});
  inv_timescales_ = register_buffer("inv_timescales", torch::zeros({config.embed_dim / 2}));
  layer0_ = register_module("layer0",
                            UseLiteLayer(config.embed_dim, config.hidden_dim, config, /*layer=*/0));
  layer1_ = register_module(
      "layer1", UseLiteLayer(config.hidden_dim, config.hidden_dim, config, /*layer=*/1));
  pool_weight_ = Frozen(*this, "pool_weight", {config.hidden_dim, config.hidden_dim});
  pool_bias_ = Frozen(*this, "pool_bias", {config.hidden_dim});
}

torch::Tensor UseLiteImpl::EmbedTokens(const torch::Tensor& ids) {
  return F::embedding(ids.to(torch::kLong), embeddings_);
}

torch::Tensor UseLiteImpl::TimingSignal(int64_t length) {
  const torch::Tensor positions =
      torch::arange(length, inv_timescales_.options()).unsqueeze(1);  // T x 1
  const torch::Tensor angles = positions * inv_timescales_.unsqueeze(0);
  return torch::cat({torch::sin(angles), torch::cos(angles)}, 1);
}

torch::Tensor UseLiteImpl::Forward(const torch::Tensor& embeds, const torch::Tensor& mask) {
  TORCH_CHECK(embeds.dim() == 3 && embeds.size(2) == config_.embed_dim,
              "USE-Lite Forward: embeds must be B x T x ", config_.embed_dim, ", got ",
              embeds.sizes());
  TORCH_CHECK(mask.dim() == 2 && mask.size(0) == embeds.size(0) && mask.size(1) == embeds.size(1),
              "USE-Lite Forward: mask must be B x T = ", embeds.sizes().slice(0, 2), ", got ",
              mask.sizes());
  const torch::Tensor x = embeds.to(embeddings_.scalar_type());
  const torch::Tensor valid = mask.ne(0).to(x.scalar_type()).unsqueeze(-1);  // B x T x 1
  // e + (e + timing), in the graph's order of additions, zero at padded positions.
  torch::Tensor h = (x + (x + TimingSignal(x.size(1)))) * valid;
  const torch::Tensor key_bias = ((1 - valid.squeeze(-1)) * -1e9).view({x.size(0), 1, 1, -1});
  h = layer0_->forward(h, key_bias, valid);
  h = layer1_->forward(h, key_bias, valid);
  const torch::Tensor count = valid.sum(1).clamp_min(1);  // B x 1
  const torch::Tensor pooled = (h * valid).sum(1) / count;
  const torch::Tensor out = torch::tanh(F::linear(pooled, pool_weight_, pool_bias_));
  return out * torch::rsqrt(out.square().sum(-1, /*keepdim=*/true).clamp_min(config_.l2_eps));
}

}  // namespace ptune::engine

#ifndef PTUNE_WORKER_ENGINE_BACKBONES_BACKBONE_H_
#define PTUNE_WORKER_ENGINE_BACKBONES_BACKBONE_H_

// The interface every frozen backbone implements, so prompt methods and the trainer work
// with USE-Lite today and HF-format T5/Llama-family models later. Torch header: include
// it only from torch translation units.

#include <torch/torch.h>

#include <cstdint>

namespace ptune::engine {

// A frozen encoder that accepts input *embeddings*, so a soft prompt can be prepended
// before the backbone's own input transform (positions, scaling) is applied.
//
// Concurrency: a backbone is frozen once, when it is loaded (ResolveBackbone: eval mode,
// requires_grad false on every parameter), and placed on its device once (BackboneCache)
// before anyone else sees it. After that every method here only reads the weights, so
// one instance may serve several job threads at once. Users must never call train(),
// to(), set_requires_grad() or anything else that mutates it: gradients reach the prompt
// through the activations, not through the weights.
//
// Shapes: B = batch, T = sequence length (prompt + text), d = hidden_size().
class BackboneImpl : public torch::nn::Module {
 public:
  ~BackboneImpl() override = default;

  // Width d of the token embedding table (and of every prompt row).
  virtual int64_t hidden_size() const = 0;
  // Width of the pooled output.
  virtual int64_t output_size() const = 0;
  // Longest text (in tokens) the model was trained on; longer inputs are truncated.
  virtual int64_t max_text_tokens() const = 0;

  // Raw rows of the token embedding table: ids B x L (int64) -> B x L x d.
  virtual torch::Tensor EmbedTokens(const torch::Tensor& ids) = 0;
  // The whole table, V x d (for vocab init and its std).
  virtual torch::Tensor EmbeddingTable() = 0;

  // Runs the encoder on input embeddings B x T x d with mask B x T (1 = attend, 0 = pad;
  // any dtype) and returns the pooled sentence representation B x output_size().
  virtual torch::Tensor Forward(const torch::Tensor& embeds, const torch::Tensor& mask) = 0;
};

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_BACKBONES_BACKBONE_H_

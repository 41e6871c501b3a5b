#ifndef PTUNE_WORKER_ENGINE_BACKBONES_LANGUAGE_MODEL_H_
#define PTUNE_WORKER_ENGINE_BACKBONES_LANGUAGE_MODEL_H_

// The interface every frozen *language model* backbone implements (HF-format T5 and
// Llama-family models), so prompt methods, tasks (label-word classification, causal LM)
// and generation work on any of them. USE-Lite, a sentence encoder, implements
// BackboneImpl (backbone.h) instead. Torch header: include it only from torch
// translation units.
//
// Concurrency: a loaded model is frozen (eval mode, requires_grad false on every
// parameter) once, when it is loaded; after that Forward and the embedding accessors
// only read the weights, so one instance may serve several job threads at once.

#include <torch/torch.h>

#include <cstdint>

namespace ptune::engine {

// Inputs of one forward pass. B = batch, T = encoder (or decoder-only) length including
// any soft prompt rows, S = decoder length, d = hidden_size().
struct LanguageModelInputs {
  // B x T x d input embeddings: the soft prompt rows followed by EmbedTokens(ids). For
  // encoder-decoder models these feed the encoder.
  torch::Tensor embeds;
  // B x T, 1 = attend, 0 = padding (any dtype).
  torch::Tensor mask;
  // Encoder-decoder models only: B x S int64 decoder input ids (the labels shifted right
  // with decoder_start_token_id first). Undefined for decoder-only models.
  torch::Tensor decoder_input_ids;
  // Encoder-decoder models only: B x S decoder mask (undefined = all ones).
  torch::Tensor decoder_mask;
  // Recompute each layer's activations in the backward pass instead of keeping them
  // (train.gradient_checkpointing). Per call, so a shared model needs no mutable state;
  // a model may ignore it (it only trades memory for compute).
  bool gradient_checkpointing = false;
};

class LanguageModelImpl : public torch::nn::Module {
 public:
  ~LanguageModelImpl() override = default;

  // True for T5-style encoder-decoder models (decoder_input_ids required).
  virtual bool is_encoder_decoder() const = 0;
  // Width d of the token embedding table (and of every prompt row).
  virtual int64_t hidden_size() const = 0;
  // Rows of the output vocabulary (logits' last dimension).
  virtual int64_t vocab_size() const = 0;
  // Longest sequence the model supports (max_position_embeddings, or a configured cap for
  // relative-position models), prompt rows included.
  virtual int64_t max_positions() const = 0;
  // Encoder-decoder models: the id the decoder input starts with (HF config
  // decoder_start_token_id; T5: 0, its pad id).
  virtual int64_t decoder_start_token_id() const { return 0; }

  // Raw rows of the input embedding table, ids B x L (int64) -> B x L x d, before any
  // model-specific scaling (Gemma's sqrt(d) is applied inside Forward, so a soft prompt
  // lives in the same space as the raw rows).
  virtual torch::Tensor EmbedTokens(const torch::Tensor& ids) = 0;
  // The whole input embedding table, V x d (for vocab init and its std).
  virtual torch::Tensor EmbeddingTable() = 0;

  // Logits in the model's compute dtype: decoder-only B x T x V (position t predicts token t+1);
  // encoder-decoder B x S x V (position s predicts label s).
  virtual torch::Tensor Forward(const LanguageModelInputs& inputs) = 0;
};

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_BACKBONES_LANGUAGE_MODEL_H_

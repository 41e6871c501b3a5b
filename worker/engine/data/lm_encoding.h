#ifndef PTUNE_WORKER_ENGINE_DATA_LM_ENCODING_H_
#define PTUNE_WORKER_ENGINE_DATA_LM_ENCODING_H_

// How examples become the token sequences of language-model tasks (docs/training.md,
// "Tasks on language models"). Every row is padded to exactly max_len (DePT/EPT need a
// fixed length); the soft prompt is prepended later by the method, so nothing here knows
// its length. Torch header.
//
// Causal LM, decoder-only: [bos] prompt completion [eos]; token_labels hold the ids of
// the completion and eos (every token but bos for a {"text"} example), -100 elsewhere.
// Too long: prompt tokens are dropped from the left, then completion tokens from the right.
// Causal LM, encoder-decoder: encoder prompt [eos]; decoder target completion [eos]
// (a {"text"} example: encoder [eos], target the text); decoder_ids = [start] target[:-1].
// Label words, decoder-only: [bos] text [text_pair] template (the text truncated, never
// the template); the model reads the next-token logits at the last real position.
// Label words, encoder-decoder: text [text_pair] template [eos] for the encoder.

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "worker/engine/backbones/tokenizer.h"
#include "worker/engine/data/batcher.h"
#include "worker/engine/data/dataset.h"

namespace ptune::engine {

// Target positions without loss (PyTorch's cross_entropy ignore_index default).
inline constexpr int64_t kIgnoreLabel = -100;

struct LmEncoding {
  bool encoder_decoder = false;
  int64_t max_len = 64;             // L (and S for the decoder)
  int64_t decoder_start_token = 0;  // encoder-decoder
  std::string template_text;        // label words: appended after the text
};

// ids/mask/token_labels (+ decoder_ids/decoder_mask for encoder-decoder models).
EncodedSplit EncodeCausalLm(const std::vector<Example>& examples, const Tokenizer& tokenizer,
                            const LmEncoding& options);

// ids/mask/labels of the label-word classification inputs.
EncodedSplit EncodeLabelWordInputs(const std::vector<Example>& examples, const Tokenizer& tokenizer,
                                   const LmEncoding& options);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_DATA_LM_ENCODING_H_

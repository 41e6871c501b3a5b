#ifndef PTUNE_WORKER_ENGINE_BACKBONES_ENCODE_H_
#define PTUNE_WORKER_ENGINE_BACKBONES_ENCODE_H_

// Plain (prompt-free) encoding with any backbone: batching token ids into padded
// tensors and running EmbedTokens + Forward. Used for verbalizer label embeddings,
// evaluation of the frozen encoder, and the parity tests. Torch header.

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "worker/engine/backbones/backbone.h"
#include "worker/engine/backbones/tokenizer.h"

namespace ptune::engine {

struct TokenBatch {
  torch::Tensor ids;   // B x L int64, padded with pad_id
  torch::Tensor mask;  // B x L int64, 1 = token, 0 = padding
};

// Pads `ids` to the longest row after truncating every row to `max_tokens` (> 0), on
// `device`. L is at least 1 so an all-empty batch still has a shape.
TokenBatch PadTokenIds(const std::vector<std::vector<int64_t>>& ids, int64_t pad_id,
                       int64_t max_tokens, torch::Device device = torch::kCPU);

// The backbone's pooled output for each row of token ids (truncated to
// max_text_tokens()), B x output_size(), on the backbone's device.
torch::Tensor EncodeTokenIds(BackboneImpl& backbone, const std::vector<std::vector<int64_t>>& ids,
                             int64_t pad_id);

// Tokenizes and encodes `texts`.
torch::Tensor EncodeTexts(BackboneImpl& backbone, const Tokenizer& tokenizer,
                          const std::vector<std::string>& texts);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_BACKBONES_ENCODE_H_

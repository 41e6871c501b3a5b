#include "worker/engine/backbones/encode.h"

#include <algorithm>

namespace ptune::engine {

TokenBatch PadTokenIds(const std::vector<std::vector<int64_t>>& ids, int64_t pad_id,
                       int64_t max_tokens, torch::Device device) {
  int64_t length = 1;
  for (const auto& row : ids) {
    length = std::max(length, std::min<int64_t>(static_cast<int64_t>(row.size()), max_tokens));
  }
  const int64_t batch = static_cast<int64_t>(ids.size());
  torch::Tensor padded = torch::full({batch, length}, pad_id, torch::kLong);
  torch::Tensor mask = torch::zeros({batch, length}, torch::kLong);
  auto padded_a = padded.accessor<int64_t, 2>();
  auto mask_a = mask.accessor<int64_t, 2>();
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t n = std::min<int64_t>(static_cast<int64_t>(ids[b].size()), max_tokens);
    for (int64_t t = 0; t < n; ++t) {
      padded_a[b][t] = ids[b][t];
      mask_a[b][t] = 1;
    }
  }
  return {padded.to(device), mask.to(device)};
}

torch::Tensor EncodeTokenIds(BackboneImpl& backbone, const std::vector<std::vector<int64_t>>& ids,
                             int64_t pad_id) {
  const torch::Device device = backbone.EmbeddingTable().device();
  const TokenBatch batch = PadTokenIds(ids, pad_id, backbone.max_text_tokens(), device);
  return backbone.Forward(backbone.EmbedTokens(batch.ids), batch.mask);
}

torch::Tensor EncodeTexts(BackboneImpl& backbone, const Tokenizer& tokenizer,
                          const std::vector<std::string>& texts) {
  std::vector<std::vector<int64_t>> ids;
  ids.reserve(texts.size());
  for (const std::string& text : texts) ids.push_back(tokenizer.Encode(text));
  return EncodeTokenIds(backbone, ids, tokenizer.pad_id());
}

}  // namespace ptune::engine

#include "worker/engine/methods/prompted_input.h"

namespace ptune::engine {

PromptedInput PrependPrompt(const torch::Tensor& prompt, const torch::Tensor& embeds,
                            const torch::Tensor& mask) {
  TORCH_CHECK(embeds.dim() == 3 && mask.dim() == 2 && mask.size(0) == embeds.size(0) &&
                  mask.size(1) == embeds.size(1),
              "PrependPrompt: embeds must be B x L x d and mask B x L (got ", embeds.sizes(),
              " and ", mask.sizes(), ")");
  const int64_t batch = embeds.size(0);
  torch::Tensor rows = prompt.to(embeds.scalar_type());
  if (rows.dim() == 2) rows = rows.unsqueeze(0).expand({batch, rows.size(0), rows.size(1)});
  TORCH_CHECK(rows.dim() == 3 && rows.size(0) == batch && rows.size(2) == embeds.size(2),
              "PrependPrompt: prompt must be n x d or B x n x d with d=", embeds.size(2), " (got ",
              prompt.sizes(), ")");
  PromptedInput out;
  out.embeds = torch::cat({rows, embeds}, 1);
  out.mask = torch::cat({torch::ones({batch, rows.size(1)}, mask.options()), mask}, 1);
  return out;
}

}  // namespace ptune::engine

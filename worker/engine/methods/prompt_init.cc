#include "worker/engine/methods/prompt_init.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ptune::engine {

absl::StatusOr<torch::Tensor> InitialPromptRows(const ptune::v1::PromptSpec& spec,
                                                const torch::Tensor& embedding_table, int64_t rows,
                                                const std::vector<int64_t>& text_ids) {
  if (rows < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("prompt.length: a prompt needs at least one row (got ", rows, ")"));
  }
  torch::NoGradGuard no_grad;
  const torch::Tensor table = embedding_table.detach().to(torch::kFloat32);
  switch (spec.init()) {
    case ptune::v1::PROMPT_INIT_VOCAB: {
      const torch::Tensor ids =
          torch::randint(table.size(0), {rows}, torch::dtype(torch::kLong).device(table.device()));
      return table.index_select(0, ids).clone();
    }
    case ptune::v1::PROMPT_INIT_TEXT: {
      if (text_ids.empty()) {
        return absl::InvalidArgumentError(
            "prompt.init_text: PROMPT_INIT_TEXT needs a non-empty text (it tokenized to no ids)");
      }
      std::vector<int64_t> repeated(rows);
      for (int64_t i = 0; i < rows; ++i) repeated[i] = text_ids[i % text_ids.size()];
      const torch::Tensor ids = torch::tensor(repeated, torch::kLong).to(table.device());
      return table.index_select(0, ids).clone();
    }
    default: {
      if (spec.init_std() < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("prompt.init_std: must be >= 0 (got ", spec.init_std(), ")"));
      }
      const double std = spec.init_std() > 0 ? spec.init_std() : table.std().item<double>();
      return torch::randn({rows, table.size(1)}, table.options()) * std;
    }
  }
}

}  // namespace ptune::engine

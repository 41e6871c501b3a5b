#ifndef PTUNE_WORKER_ENGINE_METHODS_PROMPT_INIT_H_
#define PTUNE_WORKER_ENGINE_METHODS_PROMPT_INIT_H_

// Initial values of a soft prompt (PT's P, DePT/EPT's P_s), shared by every method so
// "init as PT" means the same code. Torch header.

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"

namespace ptune::engine {

// Returns a fresh rows x d float32 tensor (no grad, on the device of `embedding_table`,
// the backbone's V x d input embedding table):
//  * PROMPT_INIT_RANDOM: N(0, prompt.init_std), or N(0, std of the embedding table) when
//    init_std is 0;
//  * PROMPT_INIT_VOCAB: rows of uniformly sampled vocabulary ids;
//  * PROMPT_INIT_TEXT: the embeddings of `text_ids` (the tokenized prompt.init_text,
//    tokenized by the caller, which owns the tokenizer), repeated/truncated to `rows`.
// Random draws use LibTorch's default generator, so the caller seeds it (spec.seed).
// Errors: INVALID_ARGUMENT naming the field (rows < 1, negative init_std, TEXT init with
// no ids).
absl::StatusOr<torch::Tensor> InitialPromptRows(const ptune::v1::PromptSpec& spec,
                                                const torch::Tensor& embedding_table, int64_t rows,
                                                const std::vector<int64_t>& text_ids);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_METHODS_PROMPT_INIT_H_

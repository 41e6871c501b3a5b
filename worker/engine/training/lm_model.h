#ifndef PTUNE_WORKER_ENGINE_TRAINING_LM_MODEL_H_
#define PTUNE_WORKER_ENGINE_TRAINING_LM_MODEL_H_

// PromptedModels on a language model (LanguageModelImpl: HF Llama family, T5). The soft
// prompt is prepended to the input embeddings (the encoder's, for T5); sequences are
// built as data/lm_encoding.h says. Torch header.
//
//  * Label-word classification (data.task CLASSIFICATION): decoder-only models score
//    label c by the next-token logit of the first token of its verbalizer at the last
//    position of [prompt; bos text template]; T5 (text-to-text) scores it by the mean
//    log-probability of its verbalizer's tokens and eos as the decoder target. Loss:
//    cross-entropy over the C scores.
//  * Causal LM / completion (data.task CAUSAL_LM): token cross-entropy over the target
//    tokens (the completion, or all of a {"text"} example); the soft prompt's positions
//    never carry labels. For T5 the completion is the decoder target.

#include <memory>

#include "absl/status/statusor.h"
#include "worker/engine/training/prompted_model.h"

namespace ptune::engine {

// `backbone.language_model` must be set. INVALID_ARGUMENT for regression or a linear head
// (not supported on language models), an empty verbalizer, or two decoder-only
// verbalizers that begin with the same token.
absl::StatusOr<std::unique_ptr<PromptedModel>> CreateLanguageModelTask(
    const ptune::v1::JobSpec& spec, const LoadedBackbone& backbone,
    std::shared_ptr<PromptMethodImpl> method, const DataSplits& data, torch::Device device);

// Mean token cross-entropy of `logits` (B x T x V) against `labels` (B x T, kIgnoreLabel =
// none) and the number of target tokens. Exposed for tests.
std::pair<torch::Tensor, int64_t> TokenCrossEntropy(const torch::Tensor& logits,
                                                    const torch::Tensor& labels);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_TRAINING_LM_MODEL_H_

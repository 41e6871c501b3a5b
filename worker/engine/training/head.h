#ifndef PTUNE_WORKER_ENGINE_TRAINING_HEAD_H_
#define PTUNE_WORKER_ENGINE_TRAINING_HEAD_H_

// Turns the backbone's pooled output into logits. Torch header.
//
// Verbalizer head (default): logits = temperature * cos(pooled, v_c), where v_c is the
// frozen backbone's own pooled embedding of label c's verbalizer text, computed once
// without the prompt. Nothing in it trains, so only the prompt learns (docs/training.md).
// Linear head: a trainable Linear(output_size, C) (C = 1 for regression).

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/engine/backbones/backbone.h"
#include "worker/engine/backbones/tokenizer.h"

namespace ptune::engine {

struct HeadOptions {
  bool linear = false;
  double temperature = 20.0;             // verbalizer logit scale
  std::vector<std::string> verbalizers;  // one text per label (verbalizer head)
  int64_t num_outputs = 2;               // linear head: labels, or 1 for regression
  // Polled between chunks of verbalizers (a job's setup must stay cancellable however
  // many labels it has); may be empty.
  std::function<bool()> should_stop;
};

class HeadImpl : public torch::nn::Module {
 public:
  static constexpr size_t kVerbalizerChunk = 64;

  // Embeds the verbalizers with `backbone` (no grad) for the verbalizer head, in chunks
  // of kVerbalizerChunk texts so the activations held at once do not grow with the
  // number of labels. INVALID_ARGUMENT for an empty verbalizer text, a temperature <= 0
  // or no outputs; CANCELLED when should_stop returned true between chunks.
  static absl::StatusOr<std::shared_ptr<HeadImpl>> Create(const HeadOptions& options,
                                                          BackboneImpl& backbone,
                                                          const Tokenizer& tokenizer);

  // pooled: B x output_size -> B x C logits (B for regression: the squeezed prediction).
  torch::Tensor Forward(const torch::Tensor& pooled);

  // Trainable parameters ({} for the verbalizer head).
  std::vector<torch::Tensor> Trainable();
  bool linear() const { return options_.linear; }

  explicit HeadImpl(const HeadOptions& options) : options_(options) {}

 private:
  HeadOptions options_;
  torch::Tensor label_embeddings_;  // C x output_size, unit rows (verbalizer head)
  torch::nn::Linear linear_{nullptr};
};
TORCH_MODULE(Head);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_TRAINING_HEAD_H_

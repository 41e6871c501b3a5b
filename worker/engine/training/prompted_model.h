#ifndef PTUNE_WORKER_ENGINE_TRAINING_PROMPTED_MODEL_H_
#define PTUNE_WORKER_ENGINE_TRAINING_PROMPTED_MODEL_H_

// The model a job trains and applies: the frozen backbone, the job's prompt method and
// what turns the backbone's output into the task's scores and loss. The trainer and
// inference (`ptune-train eval/predict`, artifacts) both run through it, so a trained
// prompt is applied exactly as it was trained. Torch header.
//
// Two kinds (CreatePromptedModel picks one):
//  * a sentence encoder (USE-Lite): pooled output -> verbalizer or linear head
//    (classification, regression);
//  * a language model (HF T5 / Llama family): label-word classification (verbalizers)
//    or causal LM / completion (training/lm_model.h).
//
// Concurrency: one job thread uses a PromptedModel; the backbone inside may be shared
// with other jobs (read-only, see backbones/backbone.h).

#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"
#include "worker/engine/backbones/backbone_registry.h"
#include "worker/engine/data/batcher.h"
#include "worker/engine/data/dataset.h"
#include "worker/engine/formats/safetensors.h"
#include "worker/engine/methods/prompt_method.h"
#include "worker/engine/training/checkpoint.h"

namespace ptune::engine {

enum class TaskKind { kClassification, kRegression, kCausalLm };

// The forward pass of one batch.
struct TaskOutput {
  // Classification: B x C logits (float32). Regression: B predictions. Causal LM: undefined.
  torch::Tensor scores;
  // Scalar float32 task loss: the mean over the batch's examples, or over its target
  // tokens (causal LM).
  torch::Tensor loss;
  // How many examples or target tokens `loss` averages over.
  double loss_weight = 0;
};

struct EvalOutput {
  // Classification: accuracy, macro_f1, loss. Regression: pearson, spearman, mse, loss.
  // Causal LM: loss (mean over target tokens), perplexity (exp of it).
  std::map<std::string, double> metrics;
  std::vector<int> predicted;   // label ids (classification)
  std::vector<double> scores;   // regression predictions
  torch::Tensor probabilities;  // N x C softmax (classification)
};

class PromptedModel {
 public:
  // What every kind is built from (the kinds' factories fill it).
  struct Common {
    ptune::v1::JobSpec spec;  // defaults applied
    TaskKind task = TaskKind::kClassification;
    std::shared_ptr<PromptMethodImpl> method;
    std::shared_ptr<const Tokenizer> tokenizer;
    std::vector<std::string> labels;
    torch::Device device = torch::kCPU;
  };

  virtual ~PromptedModel() = default;
  PromptedModel(const PromptedModel&) = delete;
  PromptedModel& operator=(const PromptedModel&) = delete;

  // Tokenizes examples into this task's padded split (CPU tensors).
  virtual EncodedSplit Encode(const std::vector<Example>& examples) const = 0;
  // Forward pass and task loss of a batch on device() (see ToDevice), under bf16 autocast
  // when the spec asks for it.
  virtual TaskOutput Run(const Batch& batch) = 0;

  TaskKind task() const { return task_; }
  // The validation metric early stopping maximises: accuracy, pearson, or the negated
  // loss (causal LM).
  double SelectionScore(const std::map<std::string, double>& metrics) const;

  // Runs `examples` in batches of `batch_size`, no grad.
  EvalOutput Evaluate(const std::vector<Example>& examples, int64_t batch_size);

  // Trainable tensors by name ("method.prompt", "head.linear.weight", ...), fixed order.
  NamedTensors TrainableTensors();
  // The method's parameter groups, then the head's (if it trains).
  std::vector<ParamGroup> ParameterGroups();
  // Copies values (in TrainableTensors order and shapes) into the trainable tensors.
  void CopyTensors(const NamedTensors& values);
  // Loads the trainable tensors by name from a prompt.safetensors; INVALID_ARGUMENT
  // (naming `path` and the tensor) for a missing tensor or a shape mismatch.
  absl::Status LoadTensors(const std::vector<SafetensorsEntry>& entries, const std::string& path);

  Batch ToDevice(const Batch& batch) const;
  const torch::Device& device() const { return device_; }
  PromptMethodImpl& method() { return *method_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const std::vector<std::string>& labels() const { return labels_; }

 protected:
  explicit PromptedModel(Common common);

  // Trainable tensors besides the method's, by name (e.g. a linear head).
  virtual NamedTensors HeadTensors() { return {}; }
  virtual std::vector<ParamGroup> HeadGroups() { return {}; }

  bool bf16() const { return spec_.train().precision() == ptune::v1::PRECISION_BF16; }
  const ptune::v1::JobSpec& spec() const { return spec_; }

 private:
  const ptune::v1::JobSpec spec_;
  const TaskKind task_;
  std::shared_ptr<PromptMethodImpl> method_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  const std::vector<std::string> labels_;
  const torch::Device device_;
};

// The embedding table a prompt method is initialised from (V x d), of either backbone kind.
torch::Tensor EmbeddingTableOf(const LoadedBackbone& backbone);

// Builds the model for `spec` (defaults applied) on `device`: moves `method` there.
// `data` gives the labels, verbalizers and regression flag (its examples are unused).
// INVALID_ARGUMENT for a head or task the backbone cannot serve (naming the field).
// `should_stop` (may be empty) is polled between chunks of setup work (verbalizers);
// CANCELLED when it returned true.
absl::StatusOr<std::unique_ptr<PromptedModel>> CreatePromptedModel(
    const ptune::v1::JobSpec& spec, const LoadedBackbone& backbone,
    std::shared_ptr<PromptMethodImpl> method, const DataSplits& data, torch::Device device,
    const std::function<bool()>& should_stop = {});

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_TRAINING_PROMPTED_MODEL_H_

#ifndef PTUNE_WORKER_ENGINE_TRAINER_H_
#define PTUNE_WORKER_ENGINE_TRAINER_H_

// The training loop of one job: a frozen backbone, a trainable prompt method and head,
// AdamW/Adam over the method's parameter groups, LR schedule, gradient clipping, bf16
// autocast, periodic evaluation with early stopping, checkpoints and telemetry.
// Torch header.

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"
#include "worker/engine/backbones/backbone.h"
#include "worker/engine/backbones/tokenizer.h"
#include "worker/engine/checkpoint.h"
#include "worker/engine/data/batcher.h"
#include "worker/engine/data/dataset.h"
#include "worker/engine/head.h"
#include "worker/engine/methods/prompt_method.h"
#include "worker/engine/methods/topology_report.h"
#include "worker/engine/methods/tsloss.h"
#include "worker/engine/telemetry.h"

namespace ptune::engine {

struct TrainerOptions {
  // The job, after ApplySpecDefaults and ValidateJobSpec.
  ptune::v1::JobSpec spec;
  torch::Device device = torch::kCPU;
  TelemetrySink* sink = nullptr;  // not owned; may be null
  // Polled before every step; true ends training after a checkpoint.
  std::function<bool()> should_stop;
  // Receives every checkpoint (every train.checkpoint_every steps, at the end, on stop).
  // A non-OK status ends training with that status.
  std::function<absl::Status(uint64_t step, const std::string& bytes)> on_checkpoint;
};

// Everything a trainer runs on. The backbone is frozen by Create (requires_grad false,
// eval mode) and may be shared with other jobs; the method is this job's.
struct TrainerParts {
  std::shared_ptr<BackboneImpl> backbone;
  std::shared_ptr<const Tokenizer> tokenizer;
  std::shared_ptr<PromptMethodImpl> method;
  DataSplits data;
};

struct EvalOutput {
  std::map<std::string, double> metrics;  // accuracy, macro_f1, loss | pearson, spearman, mse, loss
  std::vector<int> predicted;             // label ids (classification)
  std::vector<double> scores;             // regression predictions
  torch::Tensor probabilities;            // N x C softmax (classification)
};

struct TrainOutcome {
  bool stopped = false;
  uint64_t last_step = 0;
  // "<split>_<metric>" of the final evaluations plus "train_loss" (mean of the last
  // log window).
  std::map<std::string, double> final_metrics;
};

class Trainer {
 public:
  // Moves the method and head to the device, seeds LibTorch with spec.seed (the method
  // must have been created after seeding, see RunJob), tokenizes the splits and builds
  // the optimizer. INVALID_ARGUMENT for a bad head configuration.
  static absl::StatusOr<std::unique_ptr<Trainer>> Create(const TrainerOptions& options,
                                                         TrainerParts parts);

  // Restores a checkpoint written by this spec: trainable tensors, optimizer and RNG
  // state, step and early-stopping state. Errors as LoadCheckpoint.
  absl::Status Restore(const std::string& bytes);

  // Trains from the current step to train.steps (or until early stopping / should_stop),
  // then evaluates the best validation state on the validation and test splits.
  // INTERNAL "loss is NaN at step N" when the loss stops being finite.
  absl::StatusOr<TrainOutcome> Train();

  // Evaluates the current trainable state on examples (no grad, batches of batch_size).
  EvalOutput Evaluate(const std::vector<Example>& examples);

  // The checkpoint of the current state.
  std::string Checkpoint();

  // Trainable tensors by name ("method.prompt", "head.linear.weight", ...).
  NamedTensors TrainableTensors();
  PromptMethodImpl& method() { return *parts_.method; }
  HeadImpl& head() { return *head_; }
  const DataSplits& data() const { return parts_.data; }
  uint64_t step() const { return step_; }

 private:
  Trainer(const TrainerOptions& options, TrainerParts parts);
  absl::Status Init();
  // Forward pass of a batch already on the device: logits (B x C) or predictions (B).
  torch::Tensor Logits(const Batch& batch);
  torch::Tensor TaskLoss(const torch::Tensor& logits, const Batch& batch);
  absl::StatusOr<ptune::v1::StepRecord> Step(uint64_t step);
  // Emits the prompt's topology snapshot when due; returns its persistence seconds.
  double ReportTopology(uint64_t step);
  // Topology, the train-loss window and the StepRecord (every train.log_every steps).
  void RecordStep(ptune::v1::StepRecord record);
  // Evaluates validation at `step`, emits the record and updates the early-stopping
  // state. Returns true when patience is exhausted.
  bool EvaluateValidation(uint64_t step);
  absl::Status WriteCheckpoint();
  void LoadTensors(const NamedTensors& values);
  void Emit(ptune::v1::JobEvent event);
  std::map<std::string, double> FinalEvaluation();
  Batch ToDevice(const Batch& batch) const;

  // Constant after Init().
  TrainerOptions options_;
  TrainerParts parts_;
  std::shared_ptr<HeadImpl> head_;
  EncodedSplit train_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<double> base_lrs_;
  std::vector<torch::Tensor> trainable_;
  std::unique_ptr<BatchSchedule> schedule_;
  std::unique_ptr<TSLoss> tsloss_;  // null when tsloss.enabled is false
  std::unique_ptr<TopologyReporter> topology_;
  int64_t max_seq_len_ = 0;

  // Training progress (checkpointed).
  uint64_t step_ = 0;
  bool has_best_ = false;
  double best_metric_ = 0.0;
  uint32_t evals_since_best_ = 0;
  NamedTensors best_;
  // Mean of the task loss since the last StepRecord (not checkpointed; telemetry only).
  double loss_window_sum_ = 0.0;
  uint64_t loss_window_count_ = 0;
  double last_train_loss_ = 0.0;
};

// Fills `event.time` with the current wall-clock time.
void StampNow(ptune::v1::JobEvent* event);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_TRAINER_H_

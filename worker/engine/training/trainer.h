#ifndef PTUNE_WORKER_ENGINE_TRAINING_TRAINER_H_
#define PTUNE_WORKER_ENGINE_TRAINING_TRAINER_H_

// The training loop of one job over a PromptedModel (frozen backbone + prompt method +
// task head): AdamW/Adam over the model's parameter groups, LR schedule, gradient
// clipping, TSLoss, periodic evaluation with early stopping, checkpoints and telemetry.
// Torch header.

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"
#include "worker/engine/data/batcher.h"
#include "worker/engine/data/dataset.h"
#include "worker/engine/methods/topology_report.h"
#include "worker/engine/methods/tsloss.h"
#include "worker/engine/telemetry.h"
#include "worker/engine/training/checkpoint.h"
#include "worker/engine/training/early_stopping.h"
#include "worker/engine/training/prompted_model.h"

namespace ptune::engine {

struct TrainerOptions {
  // The job, defaults applied and validated.
  ptune::v1::JobSpec spec;
  TelemetrySink* sink = nullptr;  // not owned; may be null
  // Polled before every step; true ends training after a checkpoint.
  std::function<bool()> should_stop;
  // Receives every checkpoint (every train.checkpoint_every steps, at the end, on stop).
  // A non-OK status ends training with that status.
  std::function<absl::Status(uint64_t step, const std::string& bytes)> on_checkpoint;
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
  // Tokenizes the training split and builds the optimizer over the model's groups.
  // The model's method must have been created after seeding LibTorch with spec.seed
  // (see RunJob).
  static absl::StatusOr<std::unique_ptr<Trainer>> Create(const TrainerOptions& options,
                                                         std::unique_ptr<PromptedModel> model,
                                                         DataSplits data);

  // Restores a checkpoint written by this spec: trainable tensors, optimizer and RNG
  // state, step and early-stopping state. Errors as LoadCheckpoint.
  absl::Status Restore(const std::string& bytes);

  // Trains from the current step to train.steps (or until early stopping / should_stop),
  // then evaluates the best validation state on the validation and test splits. The
  // final validation record is streamed only when no periodic one was at that step, so
  // the stream never repeats a (step, split); final_metrics always has both splits.
  // INTERNAL "loss is nan at step N" when the loss stops being finite.
  absl::StatusOr<TrainOutcome> Train();

  // Evaluates the current trainable state on examples (no grad, batches of batch_size).
  EvalOutput Evaluate(const std::vector<Example>& examples);

  // The checkpoint of the current state.
  std::string Checkpoint();

  PromptedModel& model() { return *model_; }
  NamedTensors TrainableTensors() { return model_->TrainableTensors(); }
  const DataSplits& data() const { return data_; }
  uint64_t step() const { return step_; }

 private:
  Trainer(const TrainerOptions& options, std::unique_ptr<PromptedModel> model, DataSplits data);
  absl::StatusOr<ptune::v1::StepRecord> Step(uint64_t step);
  // Emits the prompt's topology snapshot when due; returns its persistence seconds.
  double ReportTopology(uint64_t step);
  // Topology, the train-loss window and the StepRecord (every train.log_every steps).
  void RecordStep(ptune::v1::StepRecord record);
  // Evaluates validation at `step`, emits the record and updates early stopping.
  // Returns true when patience is exhausted.
  bool EvaluateValidation(uint64_t step);
  absl::Status WriteCheckpoint();
  void Emit(ptune::v1::JobEvent event);
  std::map<std::string, double> FinalEvaluation();

  // Constant after Create().
  const TrainerOptions options_;
  std::unique_ptr<PromptedModel> model_;
  const DataSplits data_;
  EncodedSplit train_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<double> base_lrs_;
  std::vector<torch::Tensor> trainable_;
  std::unique_ptr<BatchSchedule> schedule_;
  std::unique_ptr<TSLoss> tsloss_;  // null when tsloss.enabled is false
  std::unique_ptr<TopologyReporter> topology_;

  // Training progress (checkpointed).
  uint64_t step_ = 0;
  EarlyStopping early_stopping_;
  NamedTensors best_;
  // Mean of the task loss since the last StepRecord (not checkpointed; telemetry only).
  double loss_window_sum_ = 0.0;
  uint64_t loss_window_count_ = 0;
  double last_train_loss_ = 0.0;
  // Step of the last validation record this trainer emitted (0: none yet).
  uint64_t last_validation_step_ = 0;
};

// Fills `event.time` with the current wall-clock time.
void StampNow(ptune::v1::JobEvent* event);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_TRAINING_TRAINER_H_

#include "worker/engine/training/trainer.h"

#include <chrono>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "worker/engine/training/optim.h"

namespace ptune::engine {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

void StampNow(ptune::v1::JobEvent* event) {
  const absl::Time now = absl::Now();
  const int64_t nanos = absl::ToUnixNanos(now);
  event->mutable_time()->set_seconds(nanos / 1000000000);
  event->mutable_time()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

Trainer::Trainer(const TrainerOptions& options, std::unique_ptr<PromptedModel> model,
                 DataSplits data)
    : options_(options), model_(std::move(model)), data_(std::move(data)) {}

absl::StatusOr<std::unique_ptr<Trainer>> Trainer::Create(const TrainerOptions& options,
                                                         std::unique_ptr<PromptedModel> model,
                                                         DataSplits data) {
  std::unique_ptr<Trainer> trainer(new Trainer(options, std::move(model), std::move(data)));
  const ptune::v1::JobSpec& spec = trainer->options_.spec;
  trainer->train_ = trainer->model_->Encode(trainer->data_.train);
  trainer->schedule_ = std::make_unique<BatchSchedule>(trainer->train_.size(),
                                                       spec.train().batch_size(), spec.seed());
  const std::vector<ParamGroup> groups = trainer->model_->ParameterGroups();
  for (const ParamGroup& g : groups) {
    trainer->base_lrs_.push_back(g.lr);
    trainer->trainable_.insert(trainer->trainable_.end(), g.params.begin(), g.params.end());
  }
  trainer->optimizer_ = MakeOptimizer(groups, spec.train());
  if (spec.tsloss().enabled()) trainer->tsloss_ = std::make_unique<TSLoss>(spec.tsloss());
  trainer->topology_ = std::make_unique<TopologyReporter>(spec.topology());
  return trainer;
}

absl::StatusOr<ptune::v1::StepRecord> Trainer::Step(uint64_t step) {
  const auto start = Clock::now();
  const ptune::v1::TrainSpec& train = options_.spec.train();
  const Batch batch = model_->ToDevice(GatherBatch(train_, schedule_->Indices(step - 1)));
  const std::vector<double> lrs =
      ApplyLearningRates(*optimizer_, base_lrs_,
                         LrMultiplier(step, train.steps(), train.warmup_steps(), train.schedule()));
  optimizer_->zero_grad();
  const TaskOutput out = model_->Run(batch);
  TSLossValue ts;
  if (tsloss_ != nullptr && tsloss_->Due(step)) {
    ts = tsloss_->Compute(model_->method().VisiblePrompt(), step);
  }
  const torch::Tensor loss = ts.applied ? out.loss + ts.loss : out.loss;
  const double loss_value = loss.item<double>();
  if (!std::isfinite(loss_value)) {
    return absl::InternalError(absl::StrCat("loss is ", loss_value, " at step ", step,
                                            "; lower prompt.lr or enable train.grad_clip"));
  }
  loss.backward();
  const double grad_norm = ClipGradNorm(trainable_, train.grad_clip());
  optimizer_->step();
  ptune::v1::StepRecord record;
  record.set_step(step);
  record.set_total_steps(train.steps());
  record.set_loss(loss_value);
  record.set_task_loss(out.loss.item<double>());
  record.set_tsloss(ts.applied ? ts.loss.item<double>() : 0.0);
  record.set_persistence_seconds(ts.persistence_seconds);
  for (double lr : lrs) record.add_learning_rates(lr);
  record.set_grad_norm(grad_norm);
  if (model_->task() == TaskKind::kClassification) {
    record.set_batch_accuracy(
        out.scores.argmax(1).eq(batch.labels).to(torch::kFloat32).mean().item<double>());
  }
  record.set_step_seconds(SecondsSince(start));
  record.set_tokens_per_second(static_cast<double>(batch.tokens) / record.step_seconds());
  return record;
}

EvalOutput Trainer::Evaluate(const std::vector<Example>& examples) {
  return model_->Evaluate(examples, options_.spec.train().batch_size());
}

double Trainer::ReportTopology(uint64_t step) {
  if (!topology_->Due(step)) return 0.0;
  torch::NoGradGuard no_grad;
  ptune::v1::JobEvent event;
  *event.mutable_topology() = topology_->Snapshot(model_->method().VisiblePrompt().detach(), step);
  const double seconds = event.topology().persistence_seconds();
  Emit(std::move(event));
  return seconds;
}

bool Trainer::EvaluateValidation(uint64_t step) {
  const EvalOutput eval = Evaluate(data_.validation);
  ptune::v1::JobEvent event;
  event.mutable_eval()->set_step(step);
  event.mutable_eval()->set_split("validation");
  for (const auto& [name, value] : eval.metrics)
    (*event.mutable_eval()->mutable_metrics())[name] = value;
  Emit(std::move(event));
  last_validation_step_ = step;
  if (early_stopping_.Record(model_->SelectionScore(eval.metrics))) {
    best_.clear();
    for (const auto& [name, t] : TrainableTensors()) best_.emplace_back(name, t.detach().clone());
    return false;
  }
  return early_stopping_.Exhausted(options_.spec.train().early_stopping_patience());
}

std::string Trainer::Checkpoint() {
  return SaveCheckpoint(CaptureState(options_.spec, step_, model_->method().method_name(),
                                     early_stopping_, TrainableTensors(), best_),
                        *optimizer_);
}

absl::Status Trainer::Restore(const std::string& bytes) {
  auto state =
      LoadCheckpoint(bytes, TrainableTensors(), model_->method().method_name(), *optimizer_);
  if (!state.ok()) return state.status();
  if (state->spec_fingerprint != SpecFingerprint(options_.spec)) {
    ptune::v1::JobEvent event;
    event.mutable_log()->set_level(ptune::v1::LogLine::LEVEL_WARNING);
    event.mutable_log()->set_message(
        "resuming from a checkpoint of a different spec (same method and shapes)");
    Emit(std::move(event));
  }
  model_->CopyTensors(state->params);
  step_ = state->step;
  early_stopping_ = state->early_stopping;
  best_.clear();
  for (auto& [name, t] : state->best) best_.emplace_back(name, t.to(model_->device()));
  RestoreCpuRng(*state);
  return absl::OkStatus();
}

absl::Status Trainer::WriteCheckpoint() {
  if (!options_.on_checkpoint) return absl::OkStatus();
  return options_.on_checkpoint(step_, Checkpoint());
}

void Trainer::Emit(ptune::v1::JobEvent event) {
  if (options_.sink == nullptr) return;
  StampNow(&event);
  options_.sink->Emit(std::move(event));
}

std::map<std::string, double> Trainer::FinalEvaluation() {
  if (early_stopping_.has_best) model_->CopyTensors(best_);
  std::map<std::string, double> metrics;
  const std::pair<const char*, const std::vector<Example>*> splits[] = {
      {"validation", &data_.validation}, {"test", &data_.test}};
  for (const auto& [name, examples] : splits) {
    if (examples->empty()) continue;
    const EvalOutput eval = Evaluate(*examples);
    ptune::v1::JobEvent event;
    event.mutable_eval()->set_step(step_);
    event.mutable_eval()->set_split(name);
    for (const auto& [metric, value] : eval.metrics) {
      (*event.mutable_eval()->mutable_metrics())[metric] = value;
      metrics[absl::StrCat(name, "_", metric)] = value;
    }
    // A stream never carries (step, split) twice: the periodic evaluation at this step
    // was streamed already, and the selected prompt's validation metrics are those of
    // the best periodic one (and the job's final metrics).
    if (step_ == last_validation_step_ && event.eval().split() == "validation") continue;
    Emit(std::move(event));
  }
  return metrics;
}

void Trainer::RecordStep(ptune::v1::StepRecord record) {
  const uint64_t step = record.step();
  record.set_persistence_seconds(record.persistence_seconds() + ReportTopology(step));
  loss_window_sum_ += record.task_loss();
  ++loss_window_count_;
  const ptune::v1::TrainSpec& train = options_.spec.train();
  if (step % train.log_every() != 0 && step != train.steps()) return;
  last_train_loss_ = loss_window_sum_ / static_cast<double>(loss_window_count_);
  loss_window_sum_ = 0;
  loss_window_count_ = 0;
  ptune::v1::JobEvent event;
  *event.mutable_step() = std::move(record);
  Emit(std::move(event));
}

absl::StatusOr<TrainOutcome> Trainer::Train() {
  const ptune::v1::TrainSpec& train = options_.spec.train();
  TrainOutcome outcome;
  bool early_stop = false;
  while (step_ < train.steps() && !early_stop) {
    if (options_.should_stop && options_.should_stop()) {
      outcome.stopped = true;
      break;
    }
    auto record = Step(step_ + 1);
    if (!record.ok()) return record.status();
    step_ = record->step();
    RecordStep(*std::move(record));
    if (step_ % train.eval_every() == 0 || step_ == train.steps()) {
      early_stop = EvaluateValidation(step_);
    }
    if (step_ % train.checkpoint_every() == 0 && step_ != train.steps() && !early_stop) {
      if (absl::Status s = WriteCheckpoint(); !s.ok()) return s;
    }
  }
  if (absl::Status s = WriteCheckpoint(); !s.ok()) return s;
  outcome.last_step = step_;
  if (outcome.stopped) return outcome;
  outcome.final_metrics = FinalEvaluation();
  outcome.final_metrics["train_loss"] = last_train_loss_;
  return outcome;
}

}  // namespace ptune::engine

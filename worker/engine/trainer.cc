#include "worker/engine/trainer.h"

#include <chrono>
#include <cmath>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "worker/engine/metrics.h"
#include "worker/engine/optim.h"
#include "worker/engine/torch_compat.h"

namespace ptune::engine {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// 64-bit FNV-1a of the deterministic serialization: identifies the spec in checkpoints.
std::string SpecFingerprint(const ptune::v1::JobSpec& spec) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    spec.SerializeToCodedStream(&coded);
  }
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  return absl::StrCat(absl::Hex(h, absl::kZeroPad16));
}

std::string SpecJson(const ptune::v1::JobSpec& spec) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  (void)google::protobuf::util::MessageToJsonString(spec, &json, options);
  return json;
}

bool IsBetter(double value, double best) { return value > best; }

// Learning rate of the optional linear head's parameter group. The spec has no field for
// it: the prompt's rate (0.3 by default) is far too high for a dense layer, and 1e-3 is
// the usual AdamW rate for a linear probe.
constexpr double kHeadLearningRate = 1e-3;

}  // namespace

void StampNow(ptune::v1::JobEvent* event) {
  const absl::Time now = absl::Now();
  const int64_t nanos = absl::ToUnixNanos(now);
  event->mutable_time()->set_seconds(nanos / 1000000000);
  event->mutable_time()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

Trainer::Trainer(const TrainerOptions& options, TrainerParts parts)
    : options_(options), parts_(std::move(parts)) {}

absl::StatusOr<std::unique_ptr<Trainer>> Trainer::Create(const TrainerOptions& options,
                                                         TrainerParts parts) {
  std::unique_ptr<Trainer> trainer(new Trainer(options, std::move(parts)));
  if (absl::Status s = trainer->Init(); !s.ok()) return s;
  return trainer;
}

absl::Status Trainer::Init() {
  const ptune::v1::JobSpec& spec = options_.spec;
  BackboneImpl& backbone = *parts_.backbone;
  backbone.eval();
  for (torch::Tensor& p : backbone.parameters()) p.set_requires_grad(false);
  max_seq_len_ = spec.data().max_seq_len();
  const DataSplits& data = parts_.data;
  HeadOptions head_options;
  head_options.linear = data.regression || spec.model().head() == ptune::v1::HEAD_LINEAR;
  head_options.temperature = spec.model().temperature();
  head_options.verbalizers = data.verbalizers;
  head_options.num_outputs = data.regression ? 1 : static_cast<int64_t>(data.labels.size());
  auto head = HeadImpl::Create(head_options, backbone, *parts_.tokenizer);
  if (!head.ok()) return head.status();
  head_ = *std::move(head);
  parts_.method->to(options_.device);
  head_->to(options_.device);
  train_ = EncodeExamples(data.train, *parts_.tokenizer, max_seq_len_);
  schedule_ =
      std::make_unique<BatchSchedule>(train_.size(), spec.train().batch_size(), spec.seed());
  std::vector<ParamGroup> groups = parts_.method->ParameterGroups();
  if (head_->linear()) groups.push_back(ParamGroup{"head", head_->Trainable(), kHeadLearningRate});
  for (const ParamGroup& g : groups) {
    base_lrs_.push_back(g.lr);
    trainable_.insert(trainable_.end(), g.params.begin(), g.params.end());
  }
  optimizer_ = MakeOptimizer(groups, spec.train());
  if (spec.tsloss().enabled()) tsloss_ = std::make_unique<TSLoss>(spec.tsloss());
  topology_ = std::make_unique<TopologyReporter>(spec.topology());
  return absl::OkStatus();
}

NamedTensors Trainer::TrainableTensors() {
  NamedTensors out;
  for (const auto& item : parts_.method->named_parameters()) {
    out.emplace_back("method." + item.key(), item.value());
  }
  for (const auto& item : head_->named_parameters()) {
    out.emplace_back("head." + item.key(), item.value());
  }
  return out;
}

void Trainer::LoadTensors(const NamedTensors& values) {
  torch::NoGradGuard no_grad;
  NamedTensors current = TrainableTensors();
  for (size_t i = 0; i < current.size(); ++i) current[i].second.copy_(values[i].second);
}

Batch Trainer::ToDevice(const Batch& batch) const {
  const torch::Device d = options_.device;
  return Batch{batch.ids.to(d), batch.mask.to(d), batch.labels.to(d), batch.targets.to(d),
               batch.tokens};
}

torch::Tensor Trainer::Logits(const Batch& batch) {
  AutocastGuard autocast(options_.spec.train().precision() == ptune::v1::PRECISION_BF16,
                         options_.device);
  const torch::Tensor embeds = parts_.backbone->EmbedTokens(batch.ids);
  const PromptedInput input = parts_.method->Apply(embeds, batch.mask);
  return head_->Forward(parts_.backbone->Forward(input.embeds, input.mask));
}

torch::Tensor Trainer::TaskLoss(const torch::Tensor& logits, const Batch& batch) {
  if (parts_.data.regression) return torch::mse_loss(logits.to(torch::kFloat32), batch.targets);
  return torch::nn::functional::cross_entropy(logits.to(torch::kFloat32), batch.labels);
}

absl::StatusOr<ptune::v1::StepRecord> Trainer::Step(uint64_t step) {
  const auto start = Clock::now();
  const ptune::v1::TrainSpec& train = options_.spec.train();
  const Batch batch = ToDevice(GatherBatch(train_, schedule_->Indices(step - 1)));
  const std::vector<double> lrs =
      ApplyLearningRates(*optimizer_, base_lrs_,
                         LrMultiplier(step, train.steps(), train.warmup_steps(), train.schedule()));
  optimizer_->zero_grad();
  const torch::Tensor logits = Logits(batch);
  const torch::Tensor task_loss = TaskLoss(logits, batch);
  TSLossValue ts;
  if (tsloss_ != nullptr && tsloss_->Due(step)) {
    ts = tsloss_->Compute(parts_.method->VisiblePrompt(), step);
  }
  const torch::Tensor loss = ts.applied ? task_loss + ts.loss : task_loss;
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
  record.set_task_loss(task_loss.item<double>());
  record.set_tsloss(ts.applied ? ts.loss.item<double>() : 0.0);
  record.set_persistence_seconds(ts.persistence_seconds);
  for (double lr : lrs) record.add_learning_rates(lr);
  record.set_grad_norm(grad_norm);
  if (!parts_.data.regression) {
    record.set_batch_accuracy(
        logits.argmax(1).eq(batch.labels).to(torch::kFloat32).mean().item<double>());
  }
  record.set_step_seconds(SecondsSince(start));
  record.set_tokens_per_second(static_cast<double>(batch.tokens) / record.step_seconds());
  return record;
}

EvalOutput Trainer::Evaluate(const std::vector<Example>& examples) {
  torch::NoGradGuard no_grad;
  const EncodedSplit split = EncodeExamples(examples, *parts_.tokenizer, max_seq_len_);
  const int64_t batch_size = options_.spec.train().batch_size();
  std::vector<torch::Tensor> outputs;
  double loss_sum = 0;
  for (int64_t begin = 0; begin < split.size(); begin += batch_size) {
    const Batch batch =
        ToDevice(SliceBatch(split, begin, std::min(split.size(), begin + batch_size)));
    const torch::Tensor logits = Logits(batch).to(torch::kFloat32);
    loss_sum += TaskLoss(logits, batch).item<double>() * batch.ids.size(0);
    outputs.push_back(logits.cpu());
  }
  EvalOutput out;
  if (outputs.empty()) return out;
  const torch::Tensor all = torch::cat(outputs, 0);
  if (parts_.data.regression) {
    std::vector<double> gold(split.targets.data_ptr<float>(),
                             split.targets.data_ptr<float>() + split.size());
    const torch::Tensor pred = all.to(torch::kDouble).contiguous();
    out.scores.assign(pred.data_ptr<double>(), pred.data_ptr<double>() + pred.numel());
    out.metrics = RegressionMetrics(out.scores, gold);
  } else {
    out.probabilities = torch::softmax(all, 1);
    const torch::Tensor pred = all.argmax(1).to(torch::kInt).contiguous();
    out.predicted.assign(pred.data_ptr<int>(), pred.data_ptr<int>() + pred.numel());
    std::vector<int> gold;
    for (const Example& e : examples) gold.push_back(e.label);
    out.metrics =
        ClassificationMetrics(out.predicted, gold, static_cast<int>(parts_.data.labels.size()));
  }
  out.metrics["loss"] = loss_sum / static_cast<double>(split.size());
  return out;
}

double Trainer::ReportTopology(uint64_t step) {
  if (!topology_->Due(step)) return 0.0;
  torch::NoGradGuard no_grad;
  ptune::v1::JobEvent event;
  *event.mutable_topology() = topology_->Snapshot(parts_.method->VisiblePrompt().detach(), step);
  const double seconds = event.topology().persistence_seconds();
  Emit(std::move(event));
  return seconds;
}

bool Trainer::EvaluateValidation(uint64_t step) {
  const EvalOutput eval = Evaluate(parts_.data.validation);
  ptune::v1::JobEvent event;
  event.mutable_eval()->set_step(step);
  event.mutable_eval()->set_split("validation");
  for (const auto& [name, value] : eval.metrics)
    (*event.mutable_eval()->mutable_metrics())[name] = value;
  Emit(std::move(event));
  const double score = eval.metrics.at(parts_.data.regression ? "pearson" : "accuracy");
  if (!has_best_ || IsBetter(score, best_metric_)) {
    has_best_ = true;
    best_metric_ = score;
    evals_since_best_ = 0;
    best_.clear();
    for (const auto& [name, t] : TrainableTensors()) best_.emplace_back(name, t.detach().clone());
    return false;
  }
  ++evals_since_best_;
  const uint32_t patience = options_.spec.train().early_stopping_patience();
  return patience > 0 && evals_since_best_ >= patience;
}

std::string Trainer::Checkpoint() {
  CheckpointState state;
  state.step = step_;
  state.method = parts_.method->method_name();
  state.spec_fingerprint = SpecFingerprint(options_.spec);
  state.spec_json = SpecJson(options_.spec);
  state.has_best = has_best_;
  state.best_metric = best_metric_;
  state.evals_since_best = evals_since_best_;
  state.params = TrainableTensors();
  state.best = best_;
  state.cpu_rng_state = at::detail::getDefaultCPUGenerator().get_state();
  return SaveCheckpoint(state, *optimizer_);
}

absl::Status Trainer::Restore(const std::string& bytes) {
  auto state = LoadCheckpoint(bytes, TrainableTensors(), parts_.method->method_name(), *optimizer_);
  if (!state.ok()) return state.status();
  if (state->spec_fingerprint != SpecFingerprint(options_.spec)) {
    ptune::v1::JobEvent event;
    event.mutable_log()->set_level(ptune::v1::LogLine::LEVEL_WARNING);
    event.mutable_log()->set_message(
        "resuming from a checkpoint of a different spec (same method and shapes)");
    Emit(std::move(event));
  }
  LoadTensors(state->params);
  step_ = state->step;
  has_best_ = state->has_best;
  best_metric_ = state->best_metric;
  evals_since_best_ = state->evals_since_best;
  best_.clear();
  for (auto& [name, t] : state->best) best_.emplace_back(name, t.to(options_.device));
  at::Generator generator = at::detail::getDefaultCPUGenerator();  // shares the default
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state->cpu_rng_state);
  }
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
  if (has_best_) LoadTensors(best_);
  std::map<std::string, double> metrics;
  const std::pair<const char*, const std::vector<Example>*> splits[] = {
      {"validation", &parts_.data.validation}, {"test", &parts_.data.test}};
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

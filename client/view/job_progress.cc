#include "client/view/job_progress.h"

#include <algorithm>

namespace ptune::client {

namespace v1 = ::ptune::v1;

namespace {

double Seconds(const google::protobuf::Timestamp& t) { return t.seconds() + t.nanos() * 1e-9; }

template <typename Point>
void DropFrom(std::vector<Point>* points, uint64_t step) {
  while (!points->empty() && points->back().step >= step) points->pop_back();
}

}  // namespace

void JobProgress::Add(const v1::JobEvent& event) {
  last_seq_ = std::max(last_seq_, event.seq());
  if (event.attempt() > attempt_) {
    attempt_ = event.attempt();
    rate_start_.reset();
    rate_end_.reset();
  }
  switch (event.kind_case()) {
    case v1::JobEvent::kState:
      AddState(event.state());
      break;
    case v1::JobEvent::kStep:
      AddStep(event);
      break;
    case v1::JobEvent::kEval:
      for (const auto& [name, value] : event.eval().metrics()) {
        std::vector<MetricPoint>& series = evals_[event.eval().split() + "/" + name];
        DropFrom(&series, event.eval().step());
        series.push_back({event.eval().step(), value});
      }
      break;
    case v1::JobEvent::kTopology:
      DropFrom(&topology_, event.topology().step());
      topology_.push_back({event.topology().step(), event.topology().summary()});
      if (event.topology().pairs_size() > 0) diagram_ = event.topology();
      break;
    case v1::JobEvent::kArtifact:
      artifacts_.push_back(event.artifact().artifact());
      break;
    default:
      break;
  }
}

void JobProgress::AddState(const v1::StateChange& change) {
  state_ = change.to();
  state_reason_ = change.reason();
  if (!change.worker_id().empty()) worker_id_ = change.worker_id();
}

void JobProgress::AddStep(const v1::JobEvent& event) {
  const v1::StepRecord& r = event.step();
  if (r.total_steps() > 0) total_steps_ = r.total_steps();
  if (!steps_.empty() && r.step() <= steps_.back().step) {
    DropFrom(&steps_, r.step());
    rate_start_.reset();
  }
  steps_.push_back(
      {r.step(), r.loss(), r.task_loss(), r.tsloss(), r.batch_accuracy(), r.tokens_per_second()});
  has_tsloss_ = has_tsloss_ || r.tsloss() != 0;
  if (r.step_seconds() > 0) {
    step_seconds_sum_ += r.step_seconds();
    ++step_seconds_count_;
  }
  if (event.has_time()) {
    std::pair<double, uint64_t> now{Seconds(event.time()), r.step()};
    if (!rate_start_) rate_start_ = now;
    rate_end_ = now;
  }
}

std::string JobProgress::PrimaryEvalSeries() const {
  if (evals_.count("validation/accuracy")) return "validation/accuracy";
  for (const auto& [name, points] : evals_) {
    if (name.rfind("validation/", 0) == 0) return name;
  }
  return evals_.empty() ? "" : evals_.begin()->first;
}

double JobProgress::StepsPerSecond() const {
  if (rate_start_ && rate_end_ && rate_end_->first > rate_start_->first &&
      rate_end_->second > rate_start_->second) {
    return (rate_end_->second - rate_start_->second) / (rate_end_->first - rate_start_->first);
  }
  if (step_seconds_count_ > 0 && step_seconds_sum_ > 0) {
    return step_seconds_count_ / step_seconds_sum_;
  }
  return 0;
}

std::optional<double> JobProgress::EtaSeconds() const {
  double rate = StepsPerSecond();
  if (state_ != v1::JOB_STATE_RUNNING || rate <= 0 || total_steps_ == 0) return std::nullopt;
  uint64_t left = total_steps_ > step() ? total_steps_ - step() : 0;
  return left / rate;
}

}  // namespace ptune::client

#include "worker/agent/job_attempt.h"

#include <iterator>
#include <utility>

namespace ptune::agent {

JobAttempt::JobAttempt(const v1::Assignment& assignment, const TelemetryBufferOptions& options)
    : telemetry_(assignment.job_id(), assignment.attempt(), assignment.acked_index(), options),
      step_(assignment.checkpoint_step()) {}

uint64_t JobAttempt::AddEvent(v1::JobEvent event, Clock::time_point now) {
  if (event.has_step()) step_ = event.step().step();
  const uint64_t thinned_before = telemetry_.thinned();
  telemetry_.Append(std::move(event), now);
  return telemetry_.thinned() - thinned_before;
}

void JobAttempt::AddCheckpoint(uint64_t step, std::vector<v1::WorkerMessage> chunks) {
  due_.insert(due_.end(), chunks.begin(), chunks.end());
  checkpoint_ = std::move(chunks);
  checkpoint_step_ = step;
  checkpoint_acked_ = false;
}

void JobAttempt::Finish(std::vector<v1::WorkerMessage> artifacts, v1::JobFinished result) {
  if (result_) return;
  due_.insert(due_.end(), artifacts.begin(), artifacts.end());
  artifacts_ = std::move(artifacts);
  result_ = std::move(result);
}

void JobAttempt::OnCheckpointAck(uint64_t step) {
  // An acknowledgement of an older checkpoint does not cover the latest one.
  if (step >= checkpoint_step_) checkpoint_acked_ = true;
}

void JobAttempt::DrainWrites(Clock::time_point now, std::vector<v1::WorkerMessage>& out) {
  // Chunks and the result flush the telemetry before them and wait until every event
  // queued before them is on the stream. A checkpoint must never reach the scheduler
  // ahead of the step records it covers: the next attempt resumes after the checkpoint,
  // so records it never received would be missing from the job's stream for ever.
  const bool flush = result_.has_value() || !due_.empty();
  while (telemetry_.BatchDue(now, flush)) {
    auto batch = telemetry_.NextBatch();
    if (!batch) break;
    *out.emplace_back().mutable_telemetry() = std::move(*batch);
  }
  if (telemetry_.unsent() > 0) return;  // the in-flight window is full: later
  out.insert(out.end(), std::make_move_iterator(due_.begin()), std::make_move_iterator(due_.end()));
  due_.clear();
  if (result_ && !result_sent_) {
    result_->set_last_index(telemetry_.last_index());
    *out.emplace_back().mutable_finished() = *result_;
    if (cancel_ack_due_) out.emplace_back().mutable_cancel_ack()->set_job_id(job_id());
    result_sent_ = true;
  }
}

void JobAttempt::Rewind() {
  telemetry_.Rewind();
  due_.clear();
  if (!checkpoint_acked_) due_.insert(due_.end(), checkpoint_.begin(), checkpoint_.end());
  if (result_) {
    due_.insert(due_.end(), artifacts_.begin(), artifacts_.end());
    result_sent_ = false;
  }
}

}  // namespace ptune::agent

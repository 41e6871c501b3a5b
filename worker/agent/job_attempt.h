#ifndef PTUNE_WORKER_AGENT_JOB_ATTEMPT_H_
#define PTUNE_WORKER_AGENT_JOB_ATTEMPT_H_

// The outgoing traffic of one job attempt, from the engine to the scheduler, delivered
// at least once across reconnects (proto/ptune/v1/worker_service.proto):
//   * telemetry, numbered and thinned by a TelemetryBuffer;
//   * the latest checkpoint's upload chunks, re-sent after every reconnect until the
//     scheduler acknowledges its step (an older checkpoint is never sent again);
//   * the artifact chunks and the result, re-sent after every reconnect until the
//     scheduler confirmed the attempt (every event up to JobFinished.last_index acked).
// Order on a stream: telemetry batches, then checkpoint/artifact chunks, then the result,
// then the cancel acknowledgement when a cancel ended the run. Chunks and the result go
// only once every event queued before them was sent (so a stored checkpoint never runs
// ahead of the step records it covers, and last_index counts every event).
//
// Not thread-safe: the owner serialises calls.

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "ptune/v1/worker_service.pb.h"
#include "worker/agent/telemetry_buffer.h"

namespace ptune::agent {

class JobAttempt {
 public:
  using Clock = std::chrono::steady_clock;

  // Numbering continues after assignment.acked_index; step() starts at its
  // checkpoint_step.
  JobAttempt(const v1::Assignment& assignment, const TelemetryBufferOptions& options);

  const std::string& job_id() const { return telemetry_.job_id(); }
  uint32_t attempt() const { return telemetry_.attempt(); }
  // The latest step record seen (what heartbeats report).
  uint64_t step() const { return step_; }

  // --- From the job's thread (via the owner).
  // Queues one event; returns how many step records the buffer thinned to make room.
  uint64_t AddEvent(v1::JobEvent event, Clock::time_point now);
  // A new checkpoint's chunks (upload_chunks.h) replace the previous one's.
  void AddCheckpoint(uint64_t step, std::vector<v1::WorkerMessage> chunks);
  // The run ended with `result` (last_index is filled when it is sent); `artifacts`
  // go first. Later calls are ignored.
  void Finish(std::vector<v1::WorkerMessage> artifacts, v1::JobFinished result);
  bool finished() const { return result_.has_value(); }
  // A cancel ended (or will end) the run: acknowledge it right after the result.
  void AckCancelWithResult() { cancel_ack_due_ = true; }

  // --- From the scheduler.
  void OnTelemetryAck(uint64_t acked_index) { telemetry_.Ack(acked_index); }
  void OnCheckpointAck(uint64_t step);

  // --- The connection pump.
  // Appends what is due on the current stream now, in the order above.
  void DrainWrites(Clock::time_point now, std::vector<v1::WorkerMessage>& out);
  // A new stream: everything not acknowledged is due again (see above).
  void Rewind();
  // The result was sent and every event up to it acknowledged: nothing more to deliver.
  bool Confirmed() const { return result_sent_ && telemetry_.Drained(); }
  size_t buffered_events() const { return telemetry_.size(); }

 private:
  TelemetryBuffer telemetry_;
  uint64_t step_;
  // Chunks due on the current stream, in order.
  std::deque<v1::WorkerMessage> due_;
  std::vector<v1::WorkerMessage> checkpoint_;
  uint64_t checkpoint_step_ = 0;
  bool checkpoint_acked_ = true;
  std::vector<v1::WorkerMessage> artifacts_;
  std::optional<v1::JobFinished> result_;
  bool result_sent_ = false;
  bool cancel_ack_due_ = false;
};

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_JOB_ATTEMPT_H_

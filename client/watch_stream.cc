// Client::Watch: the resumable event stream.
//
// The scheduler numbers each job's events with a strictly increasing seq and replays
// from any seq, so resuming is "reopen with after_seq = last seq delivered" and
// deduplicating is "drop seq <= last". The loop below only decides when a broken stream
// is worth reopening and for how long.
#include <algorithm>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/ptune_client.h"

namespace ptune::client {
namespace {

namespace v1 = ::ptune::v1;
using Clock = std::chrono::steady_clock;

bool IsFinal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

// Codes a broken stream ends with when the scheduler restarts or the network drops.
bool Retryable(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<v1::Job> Client::WatchOnce(const std::string& job_id, uint64_t* last_seq,
                                          const EventCallback& on_event, bool* stopped) {
  grpc::ClientContext context;
  connection_->Prepare(&context, std::chrono::milliseconds(0));
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  request.set_after_seq(*last_seq);
  std::unique_ptr<grpc::ClientReader<v1::JobEvent>> reader = stub_->WatchJob(&context, request);
  v1::JobEvent event;
  bool received = false;
  while (reader->Read(&event)) {
    received = true;
    if (event.seq() <= *last_seq) continue;  // replayed again after a reconnect
    *last_seq = event.seq();
    if (!on_event(event)) {
      *stopped = true;
      context.TryCancel();
      reader->Finish();
      return Get(job_id);
    }
  }
  absl::Status why = FromGrpc(reader->Finish(), connection_->options().address);
  if (!why.ok()) return why;
  // The scheduler ends the stream once the job is final and every event was sent; a
  // scheduler that shuts down may end it early as well, so confirm before returning.
  absl::StatusOr<v1::Job> job = Get(job_id);
  if (!job.ok()) return job.status();
  if (IsFinal(job->state()) && (job->last_seq() <= *last_seq || !received)) return job;
  return absl::UnavailableError("the event stream ended before the job finished");
}

absl::StatusOr<v1::Job> Client::Watch(const std::string& job_id, const WatchOptions& options,
                                      const EventCallback& on_event) {
  const ConnectOptions& connect = connection_->options();
  uint64_t last_seq = options.after_seq;
  std::optional<Clock::time_point> lost_since;
  std::chrono::milliseconds backoff = connect.initial_backoff;
  while (true) {
    const uint64_t seq_before = last_seq;
    bool stopped = false;
    absl::StatusOr<v1::Job> job = WatchOnce(job_id, &last_seq, on_event, &stopped);
    if (job.ok() || stopped || !Retryable(job.status().code())) return job;
    if (last_seq != seq_before) {  // the stream made progress: the outage starts now
      lost_since.reset();
      backoff = connect.initial_backoff;
    }
    if (!lost_since) lost_since = Clock::now();
    if (Clock::now() - *lost_since > options.reconnect_timeout) {
      return absl::UnavailableError(absl::StrCat(
          "gave up watching job ", job_id, " after the scheduler stayed unreachable for ",
          options.reconnect_timeout.count() / 1000, " s; run `ptunectl watch ", job_id, " --from ",
          last_seq, "` to resume. Last error: ", job.status().message()));
    }
    if (options.on_reconnect) options.on_reconnect(job.status());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, connect.max_reconnect_backoff);
    connection_->WaitForConnected(connect.max_reconnect_backoff);
  }
}

}  // namespace ptune::client

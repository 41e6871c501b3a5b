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
#include "common/job_state.h"

namespace ptune::client {
namespace {

namespace v1 = ::ptune::v1;
using Clock = std::chrono::steady_clock;

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

// Delivers `event` unless an earlier stream did; false when on_event asked to stop.
bool Deliver(const v1::JobEvent& event, uint64_t* last_seq, const EventCallback& on_event) {
  if (event.seq() <= *last_seq) return true;  // replayed again after a reconnect
  *last_seq = event.seq();
  return on_event(event);
}

bool DeliverAll(const v1::JobEventBatch& batch, uint64_t* last_seq, const EventCallback& on_event) {
  for (const v1::JobEvent& event : batch.events()) {
    if (!Deliver(event, last_seq, on_event)) return false;
  }
  return true;
}

bool DeliverAll(const v1::JobEvent& event, uint64_t* last_seq, const EventCallback& on_event) {
  return Deliver(event, last_seq, on_event);
}

// Reads one watch stream (of JobEvent or JobEventBatch) to its end or until stopped.
template <typename Message>
WatchStreamEnd Drain(grpc::ClientContext* context, grpc::ClientReader<Message>* reader,
                     uint64_t* last_seq, const EventCallback& on_event) {
  WatchStreamEnd end;
  Message message;
  while (reader->Read(&message)) {
    end.received = true;
    if (!DeliverAll(message, last_seq, on_event)) {
      end.stopped = true;
      context->TryCancel();
      reader->Finish();
      return end;
    }
  }
  end.status = reader->Finish();
  return end;
}

}  // namespace

WatchStreamEnd Client::ReadWatchStream(const std::string& job_id, bool batched, uint64_t* last_seq,
                                       const EventCallback& on_event) {
  grpc::ClientContext context;
  connection_->Prepare(&context, std::chrono::milliseconds(0));
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  request.set_after_seq(*last_seq);
  if (batched) {
    return Drain(&context, stub_->WatchJobBatched(&context, request).get(), last_seq, on_event);
  }
  return Drain(&context, stub_->WatchJob(&context, request).get(), last_seq, on_event);
}

absl::StatusOr<v1::Job> Client::WatchOnce(const std::string& job_id, uint64_t* last_seq,
                                          const EventCallback& on_event, bool* stopped) {
  WatchStreamEnd end = ReadWatchStream(job_id, !watch_unbatched_, last_seq, on_event);
  if (end.status.error_code() == grpc::StatusCode::UNIMPLEMENTED && !watch_unbatched_) {
    watch_unbatched_ = true;  // a scheduler older than WatchJobBatched
    end = ReadWatchStream(job_id, false, last_seq, on_event);
  }
  if (end.stopped) {
    *stopped = true;
    return Get(job_id);
  }
  const bool received = end.received;
  absl::Status why = FromGrpc(end.status, connection_->options().address);
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

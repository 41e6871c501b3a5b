#ifndef PTUNE_CLIENT_PTUNE_CLIENT_H_
#define PTUNE_CLIENT_PTUNE_CLIENT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/connection.h"
#include "ptune/v1/job_service.grpc.pb.h"

namespace ptune::client {

struct SubmitOptions {
  ptune::v1::JobSpec spec;
  // Idempotency key; empty: a random UUID is generated (and reused on retries).
  std::string request_id;
  int32_t priority = 0;
  std::map<std::string, std::string> labels;
  // 0: the scheduler's default.
  uint32_t max_attempts = 0;
};

struct ListFilter {
  std::vector<ptune::v1::JobState> states;
  std::map<std::string, std::string> labels;
  // Jobs per page requested from the scheduler.
  int32_t page_size = 100;
};

struct WatchOptions {
  // Deliver events with seq > after_seq.
  uint64_t after_seq = 0;
  // Give up with UNAVAILABLE when the scheduler stays unreachable this long.
  std::chrono::milliseconds reconnect_timeout{std::chrono::minutes(5)};
  // Called each time the stream broke and a reconnect is about to be tried, with why.
  std::function<void(const absl::Status& why)> on_reconnect;
};

// Returns false to stop watching early.
using EventCallback = std::function<bool(const ptune::v1::JobEvent&)>;

// How one watch stream ended (client/watch_stream.cc).
struct WatchStreamEnd {
  grpc::Status status;
  bool received = false;  // the stream carried at least one message
  bool stopped = false;   // the callback asked to stop; status is then meaningless
};

// The ptune JobService API for C++ callers. Every method maps the scheduler's errors to
// absl::Status with the same code (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION,
// UNAUTHENTICATED, ...); UNAVAILABLE means the scheduler could not be reached after
// ConnectOptions::max_attempts tries. Thread-safe.
class Client {
 public:
  static absl::StatusOr<std::unique_ptr<Client>> Create(const ConnectOptions& options);

  // Submits a job. Retrying after UNAVAILABLE is safe: the request id makes a repeat
  // return the job the first attempt created.
  absl::StatusOr<ptune::v1::SubmitJobResponse> Submit(const SubmitOptions& options);
  absl::StatusOr<ptune::v1::Job> Get(const std::string& job_id);
  // Calls `each` for every matching job, newest first, fetching pages as needed; stops
  // early when `each` returns false.
  absl::Status List(const ListFilter& filter,
                    const std::function<bool(const ptune::v1::Job&)>& each);
  // Cancels a job. A retry whose first attempt already cancelled it returns the job.
  absl::StatusOr<ptune::v1::Job> Cancel(const std::string& job_id, const std::string& reason);
  absl::StatusOr<std::vector<ptune::v1::WorkerInfo>> ListWorkers();

  // Streams the job's events (replay, then live) to `on_event`, each seq exactly once and
  // in order, reconnecting and resuming from the last seq seen when the stream breaks
  // (scheduler restart, network loss). Returns the job as it is at the end: final, or
  // whatever state it has when `on_event` returned false. Errors: the scheduler's
  // (NOT_FOUND, ...), or UNAVAILABLE after WatchOptions::reconnect_timeout.
  absl::StatusOr<ptune::v1::Job> Watch(const std::string& job_id, const WatchOptions& options,
                                       const EventCallback& on_event);

  // Downloads artifact `name` ("checkpoint": the latest checkpoint) to `path`, through a
  // temporary file renamed on success, checking size and sha256. Returns bytes written.
  absl::StatusOr<uint64_t> Download(const std::string& job_id, const std::string& name,
                                    const std::string& path);

  const Connection& connection() const { return *connection_; }

 private:
  explicit Client(std::unique_ptr<Connection> connection);

  // Runs `call` with a fresh context until it succeeds, fails with something other
  // than UNAVAILABLE, or max_attempts is reached.
  absl::Status CallWithRetry(const std::function<grpc::Status(grpc::ClientContext*)>& call);

  // One WatchJob stream from *last_seq on (client/watch_stream.cc). Delivers the events
  // with a higher seq to `on_event` and advances *last_seq. Sets *stopped when
  // `on_event` asked to stop; returns the job when that happened or when the stream
  // ended after the job's last event, else why the stream must be reopened (or why the
  // watch cannot go on).
  absl::StatusOr<ptune::v1::Job> WatchOnce(const std::string& job_id, uint64_t* last_seq,
                                           const EventCallback& on_event, bool* stopped);
  // Opens WatchJobBatched (or WatchJob) from *last_seq and reads it to its end.
  WatchStreamEnd ReadWatchStream(const std::string& job_id, bool batched, uint64_t* last_seq,
                                 const EventCallback& on_event);

  const std::unique_ptr<Connection> connection_;
  const std::unique_ptr<ptune::v1::JobService::Stub> stub_;
  // Set once the scheduler answered WatchJobBatched with UNIMPLEMENTED (it predates
  // the method); Watch then uses WatchJob.
  std::atomic<bool> watch_unbatched_{false};
};

// A random RFC 4122 version-4 UUID.
std::string NewRequestId();

}  // namespace ptune::client

#endif  // PTUNE_CLIENT_PTUNE_CLIENT_H_

#include "tests/reliability/load/watcher.h"

#include <chrono>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/job_state.h"
#include "tests/reliability/fleet.h"

namespace ptune::load {
namespace {

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool IsFinalChange(const v1::JobEvent& event) {
  return event.has_state() && IsFinal(event.state().to());
}

// One WatchJob stream of `job_id` after `after_seq`, appended to `events`; hangs up after
// `max_events`. True when the stream reached the job's final state.
bool ReadStream(v1::JobService::Stub* stub, JobLedger* ledger, const std::string& job_id,
                uint64_t after_seq, size_t max_events, std::vector<v1::JobEvent>* events,
                WatcherStats* stats) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  request.set_after_seq(after_seq);
  const double opened = WallSeconds();
  auto reader = stub->WatchJob(&context, request);
  ++stats->streams;
  v1::JobEvent event;
  size_t read = 0;
  bool final = false;
  while (read < max_events && reader->Read(&event)) {
    ++read;
    ++stats->deliveries;
    // Step records carry their send time (SimWorker); older than the stream: replayed.
    if (event.has_step() && event.step().step_seconds() >= opened) {
      stats->delivery_ms.push_back((WallSeconds() - event.step().step_seconds()) * 1000);
    }
    final = IsFinalChange(event);
    events->push_back(std::move(event));
    if (final) break;
  }
  if (read >= max_events && !final) {
    context.TryCancel();  // hang up: the resume must continue exactly here
    reader->Finish().IgnoreError();
    return false;
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok()) ledger->Error("watch", status);
  return final;
}

}  // namespace

WatcherStats RunWatcher(v1::JobService::Stub* stub, JobLedger* ledger,
                        const std::atomic<bool>* stop, uint32_t seed) {
  std::mt19937 rng(seed);
  WatcherStats stats;
  while (!*stop) {
    const std::string job_id = ledger->PickRunning(rng);
    if (job_id.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    std::vector<v1::JobEvent> events;
    const size_t hang_up_after = std::uniform_int_distribution<size_t>(2, 12)(rng);
    bool final = ReadStream(stub, ledger, job_id, 0, hang_up_after, &events, &stats);
    if (!final && !events.empty()) {
      ++stats.resumes;
      final = ReadStream(stub, ledger, job_id, events.back().seq(), SIZE_MAX, &events, &stats);
    }
    ++stats.jobs_checked;
    if (!final) {
      ledger->Violation(absl::StrCat("watch ", job_id, ": stream ended after ", events.size(),
                                     " events without the final state"));
      continue;
    }
    const std::string violation = reliability::StreamViolation(events);
    if (!violation.empty()) ledger->Violation(absl::StrCat("watch ", job_id, ": ", violation));
  }
  return stats;
}

}  // namespace ptune::load

#ifndef PTUNE_TESTS_RELIABILITY_LOAD_WATCHER_H_
#define PTUNE_TESTS_RELIABILITY_LOAD_WATCHER_H_

// One load-run watcher: until told to stop it picks a running job, watches it with
// WatchJob from seq 0, hangs up after a few events and resumes with after_seq = the
// last seq it read, to the end of the stream. The events of both streams together must
// be the job's whole stream: StreamViolation (seq 1..n, per kind the step increasing)
// and ending with the final StateChange; anything else goes to the ledger as a
// violation. Counts deliveries and the delivery latency of live step records (their send
// time, stamped by the SimWorker, to the read; replayed ones, older than the stream, are
// not latency).

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "ptune/v1/job_service.grpc.pb.h"
#include "tests/reliability/load/job_ledger.h"

namespace ptune::load {

struct WatcherStats {
  int64_t streams = 0;
  int64_t resumes = 0;
  int64_t jobs_checked = 0;
  int64_t deliveries = 0;
  std::vector<double> delivery_ms;
};

// Runs on the caller's thread until `stop`; `seed` varies where each watcher hangs up.
WatcherStats RunWatcher(ptune::v1::JobService::Stub* stub, JobLedger* ledger,
                        const std::atomic<bool>* stop, uint32_t seed);

}  // namespace ptune::load

#endif  // PTUNE_TESTS_RELIABILITY_LOAD_WATCHER_H_

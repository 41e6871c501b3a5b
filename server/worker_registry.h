#ifndef PTUNE_SERVER_WORKER_REGISTRY_H_
#define PTUNE_SERVER_WORKER_REGISTRY_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "ptune/v1/job_service.pb.h"
#include "ptune/v1/worker_service.pb.h"
#include "server/clock.h"
#include "server/worker_link.h"

namespace ptune::server {

// One worker the scheduler knows: connected, or lost with jobs still leased to it.
struct WorkerEntry {
  ptune::v1::WorkerInfo info;
  // The live stream; nullptr while disconnected.
  WorkerLink* link = nullptr;
  // Any message renews the lease; a disconnect starts it.
  Clock::TimePoint last_seen{};
  std::set<std::string> jobs;
  // Said it shuts down: gets no new jobs.
  bool draining = false;

  // Jobs it runs at once: WorkerCapacity (common/capacity.h), the rule the worker's
  // job slots follow too.
  size_t capacity() const;
  bool accepts_work() const { return link != nullptr && !draining && jobs.size() < capacity(); }
};

// Whether `worker` can run `spec`: it has every worker label the spec asks for and, for
// a CUDA job, a CUDA device with min_gpu_memory_bytes free (total when free is unknown).
bool CanRun(const ptune::v1::WorkerInfo& worker, const ptune::v1::JobSpec& spec);

// The workers and their links (streams) and leases.
//
// Not thread-safe: the JobManager's mutex guards it.
class WorkerRegistry {
 public:
  // The worker's entry, created empty when new.
  WorkerEntry& GetOrAdd(const std::string& worker_id);
  WorkerEntry* Find(const std::string& worker_id) const;
  // Binds `link` to `worker`. A different link the worker still had is unbound and
  // closed as replaced by the newer connection.
  void Attach(WorkerEntry& worker, WorkerLink* link);
  // The worker of a bound link; nullptr for a stale one (replaced, declared dead).
  WorkerEntry* ByLink(WorkerLink* link) const;
  // Unbinds the worker's link, if any, without closing it.
  void Detach(WorkerEntry& worker);

  // Sends to the worker's live link; dropped while it is disconnected.
  void SendTo(const std::string& worker_id, const ptune::v1::SchedulerMessage& message) const;
  // Takes `job_id` off its worker; a busy worker left without jobs becomes idle.
  void ReleaseJob(const std::string& worker_id, const std::string& job_id);

  // Workers silent for longer than `lease` at `now` that still hold a link or jobs.
  std::vector<WorkerEntry*> Expired(Clock::TimePoint now, std::chrono::milliseconds lease) const;
  // Workers by state for the gauge: idle, busy, draining, lost.
  std::map<std::string, size_t> CountByState() const;
  // Every worker with its jobs.
  ptune::v1::ListWorkersResponse List() const;

  void ForEach(const std::function<void(WorkerEntry&)>& visit);

 private:
  std::map<std::string, std::unique_ptr<WorkerEntry>> workers_;
  std::unordered_map<WorkerLink*, WorkerEntry*> links_;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_WORKER_REGISTRY_H_

#ifndef PTUNE_SERVER_JOB_QUEUE_H_
#define PTUNE_SERVER_JOB_QUEUE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"

namespace ptune::server {

struct JobQueueOptions {
  // Queued jobs over all tenants (0: unlimited).
  size_t max_queued = 100000;
  // Queued jobs of one tenant (0: unlimited).
  size_t max_queued_per_tenant = 10000;
  // Running jobs of one tenant (0: unlimited); a tenant at its limit is skipped.
  size_t max_running_per_tenant = 0;
};

// The dispatch order of queued jobs. Not thread-safe (the JobManager's lock guards it).
//
// Higher priority always goes first. Within a priority, tenants share fairly: the next
// job comes from the tenant with the fewest running jobs, ties broken by who was served
// least recently, so a tenant with 1,000 queued jobs cannot starve one with a single
// job. Within a tenant and priority, jobs run in submission order (a requeued job keeps
// its original place).
class JobQueue {
 public:
  struct Entry {
    std::string job_id;
    std::string tenant;
    int32_t priority = 0;
    uint64_t order = 0;  // submission order
  };

  explicit JobQueue(const JobQueueOptions& options) : options_(options) {}

  // OK, or RESOURCE_EXHAUSTED naming the limit, for a new job of `tenant`.
  absl::Status CheckAdmission(const std::string& tenant) const;
  // Adds a job (no admission check: requeues and restarts must not be refused).
  void Push(const Entry& entry);
  // Removes a queued job; false when it is not queued.
  bool Remove(const std::string& job_id);
  // Removes and returns the next job `fits` accepts, counting it as running for its
  // tenant; nullopt when none fits. At most `scan_limit` jobs per tenant are tried.
  std::optional<Entry> PopNext(const std::function<bool(const Entry&)>& fits,
                               size_t scan_limit = 64);
  // A job of `tenant` runs / stopped running (restored jobs, finished jobs).
  void AddRunning(const std::string& tenant);
  void RemoveRunning(const std::string& tenant);

  size_t size() const { return index_.size(); }
  size_t running(const std::string& tenant) const;
  // Queued jobs by priority (for metrics).
  std::map<int32_t, size_t> DepthByPriority() const;

 private:
  struct TenantState {
    size_t queued = 0;
    size_t running = 0;
    uint64_t last_served = 0;
  };
  // priority (descending) → tenant → order → entry
  using TenantQueues = std::map<std::string, std::map<uint64_t, Entry>>;

  const JobQueueOptions options_;
  std::map<int32_t, TenantQueues, std::greater<int32_t>> levels_;
  std::unordered_map<std::string, Entry> index_;  // job id → entry
  std::unordered_map<std::string, TenantState> tenants_;
  uint64_t served_ = 0;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_JOB_QUEUE_H_

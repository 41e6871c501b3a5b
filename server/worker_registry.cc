#include "server/worker_registry.h"

#include <algorithm>

#include "common/capacity.h"

namespace ptune::server {

size_t WorkerEntry::capacity() const {
  uint32_t gpus = 0;
  for (const auto& device : info.devices()) {
    if (device.kind() == ptune::v1::DEVICE_KIND_CUDA) ++gpus;
  }
  return WorkerCapacity(info.max_jobs(), gpus);
}

bool CanRun(const ptune::v1::WorkerInfo& worker, const ptune::v1::JobSpec& spec) {
  const auto& resources = spec.resources();
  for (const auto& [key, value] : resources.worker_labels()) {
    auto label = worker.labels().find(key);
    if (label == worker.labels().end() || label->second != value) return false;
  }
  if (resources.device() != ptune::v1::DEVICE_KIND_CUDA) return true;
  for (const auto& device : worker.devices()) {
    if (device.kind() != ptune::v1::DEVICE_KIND_CUDA) continue;
    const uint64_t memory =
        device.free_memory_bytes() > 0 ? device.free_memory_bytes() : device.total_memory_bytes();
    if (memory >= resources.min_gpu_memory_bytes()) return true;
  }
  return false;
}

WorkerEntry& WorkerRegistry::GetOrAdd(const std::string& worker_id) {
  auto& slot = workers_[worker_id];
  if (slot == nullptr) {
    slot = std::make_unique<WorkerEntry>();
    slot->info.set_worker_id(worker_id);
  }
  return *slot;
}

WorkerEntry* WorkerRegistry::Find(const std::string& worker_id) const {
  auto it = workers_.find(worker_id);
  return it == workers_.end() ? nullptr : it->second.get();
}

void WorkerRegistry::Attach(WorkerEntry& worker, WorkerLink* link) {
  if (worker.link != nullptr && worker.link != link) {
    WorkerLink* old = worker.link;
    Detach(worker);
    old->Close(absl::AbortedError("replaced by a newer connection of the same worker"));
  }
  worker.link = link;
  links_[link] = &worker;
}

WorkerEntry* WorkerRegistry::ByLink(WorkerLink* link) const {
  auto it = links_.find(link);
  return it == links_.end() ? nullptr : it->second;
}

void WorkerRegistry::Detach(WorkerEntry& worker) {
  if (worker.link == nullptr) return;
  links_.erase(worker.link);
  worker.link = nullptr;
}

void WorkerRegistry::SendTo(const std::string& worker_id,
                            const ptune::v1::SchedulerMessage& message) const {
  WorkerEntry* worker = Find(worker_id);
  if (worker != nullptr && worker->link != nullptr) worker->link->Send(message);
}

void WorkerRegistry::ReleaseJob(const std::string& worker_id, const std::string& job_id) {
  WorkerEntry* worker = Find(worker_id);
  if (worker == nullptr) return;
  worker->jobs.erase(job_id);
  if (worker->jobs.empty() && worker->info.state() == ptune::v1::WORKER_STATE_BUSY) {
    worker->info.set_state(ptune::v1::WORKER_STATE_IDLE);
  }
}

std::vector<WorkerEntry*> WorkerRegistry::Expired(Clock::TimePoint now,
                                                  std::chrono::milliseconds lease) const {
  std::vector<WorkerEntry*> expired;
  for (const auto& [id, worker] : workers_) {
    if (worker->info.state() == ptune::v1::WORKER_STATE_LOST && worker->jobs.empty()) continue;
    if (now - worker->last_seen > lease) expired.push_back(worker.get());
  }
  return expired;
}

std::map<std::string, size_t> WorkerRegistry::CountByState() const {
  std::map<std::string, size_t> by_state{{"idle", 0}, {"busy", 0}, {"draining", 0}, {"lost", 0}};
  for (const auto& [id, worker] : workers_) {
    switch (worker->info.state()) {
      case ptune::v1::WORKER_STATE_BUSY:
        ++by_state["busy"];
        break;
      case ptune::v1::WORKER_STATE_DRAINING:
        ++by_state["draining"];
        break;
      case ptune::v1::WORKER_STATE_LOST:
        ++by_state["lost"];
        break;
      default:
        ++by_state["idle"];
        break;
    }
  }
  return by_state;
}

ptune::v1::ListWorkersResponse WorkerRegistry::List() const {
  ptune::v1::ListWorkersResponse response;
  for (const auto& [id, worker] : workers_) {
    ptune::v1::WorkerInfo& info = *response.add_workers();
    info = worker->info;
    info.clear_job_ids();
    for (const std::string& job : worker->jobs) info.add_job_ids(job);
  }
  return response;
}

void WorkerRegistry::ForEach(const std::function<void(WorkerEntry&)>& visit) {
  for (auto& [id, worker] : workers_) visit(*worker);
}

}  // namespace ptune::server

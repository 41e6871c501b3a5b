#include "server/job_queue.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"

namespace ptune::server {

absl::Status JobQueue::CheckAdmission(const std::string& tenant) const {
  if (options_.max_queued > 0 && index_.size() >= options_.max_queued) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "queue full: ", index_.size(), " jobs queued (limit ", options_.max_queued, ")"));
  }
  auto it = tenants_.find(tenant);
  const size_t queued = it == tenants_.end() ? 0 : it->second.queued;
  if (options_.max_queued_per_tenant > 0 && queued >= options_.max_queued_per_tenant) {
    return absl::ResourceExhaustedError(absl::StrCat("tenant ", tenant, " has ", queued,
                                                     " jobs queued (limit ",
                                                     options_.max_queued_per_tenant, ")"));
  }
  return absl::OkStatus();
}

void JobQueue::Push(const Entry& entry) {
  if (!index_.emplace(entry.job_id, entry).second) return;
  levels_[entry.priority][entry.tenant].emplace(entry.order, entry);
  ++tenants_[entry.tenant].queued;
}

bool JobQueue::Remove(const std::string& job_id) {
  auto it = index_.find(job_id);
  if (it == index_.end()) return false;
  const Entry& entry = it->second;
  auto level = levels_.find(entry.priority);
  auto tenant = level->second.find(entry.tenant);
  tenant->second.erase(entry.order);
  if (tenant->second.empty()) level->second.erase(tenant);
  if (level->second.empty()) levels_.erase(level);
  --tenants_[entry.tenant].queued;
  index_.erase(it);
  return true;
}

std::optional<JobQueue::Entry> JobQueue::PopNext(const std::function<bool(const Entry&)>& fits,
                                                 size_t scan_limit) {
  for (auto& [priority, tenant_queues] : levels_) {
    std::vector<std::pair<const std::string*, const TenantState*>> order;
    for (const auto& [tenant, jobs] : tenant_queues) {
      const TenantState& state = tenants_.at(tenant);
      if (options_.max_running_per_tenant > 0 && state.running >= options_.max_running_per_tenant) {
        continue;
      }
      order.emplace_back(&tenant, &state);
    }
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      if (a.second->running != b.second->running) return a.second->running < b.second->running;
      if (a.second->last_served != b.second->last_served) {
        return a.second->last_served < b.second->last_served;
      }
      return *a.first < *b.first;
    });
    for (const auto& [tenant, state] : order) {
      const auto& jobs = tenant_queues.at(*tenant);
      size_t tried = 0;
      for (auto it = jobs.begin(); it != jobs.end() && tried < scan_limit; ++it, ++tried) {
        if (!fits(it->second)) continue;
        Entry entry = it->second;
        Remove(entry.job_id);
        TenantState& served = tenants_[entry.tenant];
        ++served.running;
        served.last_served = ++served_;
        return entry;
      }
    }
  }
  return std::nullopt;
}

void JobQueue::AddRunning(const std::string& tenant) { ++tenants_[tenant].running; }

void JobQueue::RemoveRunning(const std::string& tenant) {
  TenantState& state = tenants_[tenant];
  if (state.running > 0) --state.running;
}

size_t JobQueue::running(const std::string& tenant) const {
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? 0 : it->second.running;
}

std::map<int32_t, size_t> JobQueue::DepthByPriority() const {
  std::map<int32_t, size_t> depth;
  for (const auto& [priority, tenant_queues] : levels_) {
    for (const auto& [tenant, jobs] : tenant_queues) depth[priority] += jobs.size();
  }
  return depth;
}

}  // namespace ptune::server

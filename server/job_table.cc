#include "server/job_table.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ptune::server {

JobEntry& JobTable::Insert(std::unique_ptr<JobEntry> entry) {
  JobEntry& ref = *entry;
  const ptune::v1::Job& job = ref.job();
  last_order_ = std::max(last_order_, ref.record.order);
  requests_[{job.tenant(), job.request_id()}] = &ref;
  by_order_[ref.record.order] = &ref;
  jobs_[job.id()] = std::move(entry);
  return ref;
}

void JobTable::Erase(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  const JobEntry& entry = *it->second;
  requests_.erase({entry.job().tenant(), entry.job().request_id()});
  by_order_.erase(entry.record.order);
  jobs_.erase(it);
}

JobEntry* JobTable::Find(const std::string& job_id) const {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? nullptr : it->second.get();
}

JobEntry* JobTable::FindVisible(const Caller& caller, const std::string& job_id) const {
  JobEntry* entry = Find(job_id);
  if (entry == nullptr || (!caller.admin && entry->job().tenant() != caller.tenant)) {
    return nullptr;
  }
  return entry;
}

JobEntry* JobTable::FindRequest(const std::string& tenant, const std::string& request_id) const {
  auto it = requests_.find({tenant, request_id});
  return it == requests_.end() ? nullptr : it->second;
}

absl::StatusOr<ptune::v1::ListJobsResponse> JobTable::List(
    const Caller& caller, const ptune::v1::ListJobsRequest& request) const {
  if (request.page_size() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be >= 0 (got ", request.page_size(), ")"));
  }
  const size_t page_size = request.page_size() == 0 ? 50 : std::min(request.page_size(), 1000);
  uint64_t before = UINT64_MAX;
  if (!request.page_token().empty() &&
      (request.page_token()[0] != 'o' ||
       !absl::SimpleAtoi(request.page_token().substr(1), &before))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_token: not a token from a previous ListJobs (got \"", request.page_token(), "\")"));
  }
  std::set<int> states(request.states().begin(), request.states().end());
  ptune::v1::ListJobsResponse response;
  for (auto it = by_order_.upper_bound(before); it != by_order_.end(); ++it) {
    const ptune::v1::Job& job = it->second->job();
    if (!it->second->durable || (!caller.admin && job.tenant() != caller.tenant)) continue;
    if (!states.empty() && states.count(job.state()) == 0) continue;
    bool labels_match = true;
    for (const auto& [key, value] : request.labels()) {
      auto label = job.labels().find(key);
      labels_match = labels_match && label != job.labels().end() && label->second == value;
    }
    if (!labels_match) continue;
    if (static_cast<size_t>(response.jobs_size()) == page_size) {
      // One more match exists: the page is full and there is a next one.
      response.set_next_page_token(absl::StrCat("o", before));
      break;
    }
    *response.add_jobs() = job;
    before = it->first;
  }
  return response;
}

void JobTable::ForEach(const std::function<void(JobEntry&)>& visit) {
  for (auto& [id, entry] : jobs_) visit(*entry);
}

}  // namespace ptune::server

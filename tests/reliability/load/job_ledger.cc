#include "tests/reliability/load/job_ledger.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ptune::load {

void JobLedger::Acked(const std::string& job_id, SteadyClock::time_point at) {
  std::lock_guard<std::mutex> lock(mu_);
  Times& times = jobs_[job_id];
  if (times.has_ack) return;  // an idempotent repeat
  times.acked = at;
  times.has_ack = true;
  acked_ids_.push_back(job_id);
  peak_queued_ = std::max(peak_queued_, static_cast<int64_t>(acked_ids_.size()) - assigned_);
  cv_.notify_all();
}

void JobLedger::Assigned(const std::string& job_id, SteadyClock::time_point at) {
  std::lock_guard<std::mutex> lock(mu_);
  Times& times = jobs_[job_id];
  if (times.has_assignment) return;
  times.assigned = at;
  times.has_assignment = true;
  ++assigned_;
  running_.push_back(job_id);
  cv_.notify_all();
}

void JobLedger::Finished(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find(running_.begin(), running_.end(), job_id);
  if (it != running_.end()) {
    *it = running_.back();
    running_.pop_back();
  }
  ++finished_;
  cv_.notify_all();
}

void JobLedger::Sent(int64_t events, int64_t wire_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  events_ += events;
  event_bytes_ += wire_bytes;
}

void JobLedger::Error(const std::string& where, const grpc::Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string code =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
  if (errors_[code]++ == 0) {
    error_samples_.push_back(absl::StrCat(where, ": ", code, ": ", status.error_message()));
  }
}

void JobLedger::Violation(const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  violations_.push_back(what);
}

std::string JobLedger::PickRunning(std::mt19937& rng) {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_.empty()) return "";
  return running_[std::uniform_int_distribution<size_t>(0, running_.size() - 1)(rng)];
}

bool JobLedger::WaitAssigned(const std::string& job_id, std::chrono::milliseconds timeout,
                             double* dispatch_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  const bool assigned = cv_.wait_for(lock, timeout, [&] {
    auto it = jobs_.find(job_id);
    return it != jobs_.end() && it->second.has_ack && it->second.has_assignment;
  });
  if (!assigned) return false;
  const Times& times = jobs_.at(job_id);
  // The assignment may reach the worker before the submit's reply reaches the client:
  // both follow the same commit.
  *dispatch_ms = std::max(
      0.0, std::chrono::duration<double, std::milli>(times.assigned - times.acked).count());
  return true;
}

bool JobLedger::WaitFinished(int64_t count, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return finished_ >= count; });
}

int64_t JobLedger::acked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(acked_ids_.size());
}

int64_t JobLedger::finished() const {
  std::lock_guard<std::mutex> lock(mu_);
  return finished_;
}

int64_t JobLedger::events_sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

int64_t JobLedger::event_bytes_sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return event_bytes_;
}

int64_t JobLedger::peak_queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_queued_;
}

std::vector<std::string> JobLedger::acked_ids() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acked_ids_;
}

std::vector<double> JobLedger::queue_waits_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<double> waits;
  for (const auto& [id, times] : jobs_) {
    if (!times.has_ack || !times.has_assignment) continue;
    waits.push_back(std::max(
        0.0, std::chrono::duration<double, std::milli>(times.assigned - times.acked).count()));
  }
  return waits;
}

std::map<std::string, int64_t> JobLedger::errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_;
}

std::vector<std::string> JobLedger::error_samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_samples_;
}

std::vector<std::string> JobLedger::violations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return violations_;
}

}  // namespace ptune::load

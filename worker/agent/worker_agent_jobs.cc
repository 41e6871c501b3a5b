// The job side of the agent: accepting an assignment, running it on its own thread, and
// turning what the engine reports into protocol messages.
#include <algorithm>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "google/protobuf/util/time_util.h"
#include "worker/agent/agent_job.h"
#include "worker/agent/upload_chunks.h"
#include "worker/agent/worker_agent.h"

namespace ptune::agent {
namespace {

// Job ids come from the scheduler; keep them from escaping the work directory.
std::string PathSafe(const std::string& id) {
  std::string out;
  for (char c : id) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    out.push_back(ok ? c : '_');
  }
  return out.empty() ? "_" : out;
}

std::string ResultReason(const absl::Status& status) {
  if (!status.message().empty()) return std::string(status.message());
  return absl::StatusCodeToString(status.code());
}

}  // namespace

void WorkerAgent::OnAssignment(const v1::Assignment& assignment) {
  absl::MutexLock lock(&mu_);
  if (draining_) {
    RefuseAssignment(assignment, absl::StrCat("worker ", options_.worker_id, " is shutting down"));
    return;
  }
  if (auto it = jobs_.find(assignment.job_id()); it != jobs_.end()) {
    // The same attempt again (a restarted scheduler re-sending it): it already runs here.
    if (it->second->attempt == assignment.attempt()) return;
    it->second->stop = StopReason::kSuperseded;
    retired_.push_back(std::move(it->second));
    jobs_.erase(it);
  }
  std::optional<SlotPool::Slot> slot = slots_.Acquire();
  if (!slot) {
    RefuseAssignment(assignment, absl::StrCat("worker ", options_.worker_id, " has no free slot"));
    return;
  }
  auto job = std::make_unique<Job>(this, assignment);
  job->slot = *slot;
  job->output_dir = (std::filesystem::path(options_.work_dir) / "jobs" / PathSafe(job->id) /
                     absl::StrCat("attempt-", job->attempt))
                        .string();
  Job* raw = job.get();
  jobs_[job->id] = std::move(job);
  Log(absl::StrCat("job ", raw->id, " attempt ", raw->attempt, " starts on ", raw->slot.device,
                   raw->resume_checkpoint.empty()
                       ? std::string()
                       : absl::StrCat(", resuming after step ", raw->resume_step)));
  raw->thread = std::thread([this, raw] { RunJobThread(raw); });
  if (options_.metrics) options_.metrics->SetRunningJobs(static_cast<int>(jobs_.size()));
}

void WorkerAgent::RunJobThread(Job* job) {
  engine::JobRunOptions run;
  run.output_dir = job->output_dir;
  run.resume_checkpoint = job->resume_checkpoint;
  run.device = job->slot.device;
  run.memory_limit_bytes = options_.job_memory_limit_bytes;
  run.sink = job;
  run.should_stop = [job] { return job->stop != StopReason::kNone; };
  run.on_checkpoint = [this, job](uint64_t step, const std::string& bytes) {
    OnCheckpoint(job, step, bytes);
  };
  absl::StatusOr<engine::JobRunResult> outcome = absl::InternalError("not run");
  std::error_code dir_error;
  std::filesystem::create_directories(job->output_dir, dir_error);
  if (dir_error) {
    outcome = absl::InternalError(absl::StrCat("worker ", options_.worker_id, " cannot create ",
                                               job->output_dir, ": ", dir_error.message()));
  } else {
    try {
      outcome = options_.runner->Run(job->spec, run);
    } catch (const std::exception& e) {
      outcome = absl::InternalError(absl::StrCat("the job crashed: ", e.what()));
    }
  }
  std::vector<v1::WorkerMessage> artifacts;
  if (outcome.ok() && !outcome->stopped) {
    absl::StatusOr<std::vector<v1::WorkerMessage>> messages = ArtifactMessages(*job, *outcome);
    if (messages.ok()) {
      artifacts = *std::move(messages);
    } else {
      outcome = messages.status();
    }
  }
  v1::JobFinished finished = Finish(*job, outcome);
  Log(absl::StrCat("job ", job->id, " attempt ", job->attempt, ": ",
                   v1::JobFinished::Result_Name(finished.result()),
                   finished.reason().empty() ? "" : ": ", finished.reason()));
  if (options_.metrics) options_.metrics->JobFinished(finished.result());
  absl::MutexLock lock(&mu_);
  job->traffic.Finish(std::move(artifacts), std::move(finished));
  job->thread_done = true;
  slots_.Release(job->slot.index);
  WorkReady();
}

v1::JobFinished WorkerAgent::Finish(const Job& job,
                                    const absl::StatusOr<engine::JobRunResult>& outcome) const {
  v1::JobFinished f;
  f.set_job_id(job.id);
  f.set_attempt(job.attempt);
  if (!outcome.ok()) {
    f.set_result(v1::JobFinished::RESULT_FAILED);
    f.set_reason(ResultReason(outcome.status()));
    return f;
  }
  const StopReason stop = job.stop;
  // A run stopped during its setup reports step 0; a resumed one was at resume_step.
  const uint64_t step = std::max(outcome->last_step, job.resume_step);
  if (outcome->stopped && stop == StopReason::kCancel) {
    f.set_result(v1::JobFinished::RESULT_CANCELLED);
    f.set_reason(absl::StrCat("cancelled at step ", step));
  } else if (outcome->stopped && stop != StopReason::kNone) {
    f.set_result(v1::JobFinished::RESULT_PREEMPTED);
    f.set_reason(absl::StrCat("worker ", options_.worker_id, " shut down at step ", step,
                              "; resume from the last checkpoint"));
  } else {
    f.set_result(v1::JobFinished::RESULT_SUCCEEDED);
    for (const auto& [name, value] : outcome->final_metrics) {
      (*f.mutable_final_metrics())[name] = value;
    }
  }
  return f;
}

absl::StatusOr<std::vector<v1::WorkerMessage>> WorkerAgent::ArtifactMessages(
    const Job& job, const engine::JobRunResult& result) const {
  std::vector<v1::WorkerMessage> messages;
  for (const std::string& name : result.artifact_paths) {
    auto bytes = ReadFile((std::filesystem::path(job.output_dir) / name).string());
    if (!bytes.ok()) {
      return absl::InternalError(
          absl::StrCat("artifact ", name, " could not be read: ", bytes.status().message()));
    }
    auto chunks = ArtifactChunks(job.id, job.attempt, name, *bytes, options_.chunk_bytes);
    messages.insert(messages.end(), std::make_move_iterator(chunks.begin()),
                    std::make_move_iterator(chunks.end()));
  }
  return messages;
}

void WorkerAgent::OnJobEvent(Job* job, v1::JobEvent event) {
  // The scheduler announces an artifact itself once the upload is stored (with its
  // sha256, downloadable); the engine's "written locally" event would duplicate it.
  if (event.has_artifact()) return;
  if (!event.has_time()) {
    *event.mutable_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
  }
  if (options_.metrics) options_.metrics->ObserveEvent(event);
  absl::MutexLock lock(&mu_);
  const uint64_t thinned = job->traffic.AddEvent(std::move(event), Clock::now());
  if (options_.metrics && thinned > 0) options_.metrics->CountTelemetryThinned(thinned);
}

void WorkerAgent::OnCheckpoint(Job* job, uint64_t step, const std::string& bytes) {
  auto chunks = CheckpointChunks(job->id, job->attempt, step, bytes, options_.chunk_bytes);
  absl::MutexLock lock(&mu_);
  job->traffic.AddCheckpoint(step, std::move(chunks));
  WorkReady();
}

}  // namespace ptune::agent

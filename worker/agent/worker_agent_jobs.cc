// The job side of the agent: accepting an assignment, running it on its own thread, and
// turning what the engine reports into protocol messages.
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
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
  std::lock_guard lock(mu_);
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
  const int slot = FreeSlot();
  if (slot < 0) {
    RefuseAssignment(assignment, absl::StrCat("worker ", options_.worker_id, " has no free slot"));
    return;
  }
  auto job = std::make_unique<Job>(assignment, options_.telemetry);
  job->slot = slot;
  job->device = SlotDevice(slot);
  job->output_dir = (std::filesystem::path(options_.work_dir) / "jobs" / PathSafe(job->id) /
                     absl::StrCat("attempt-", job->attempt))
                        .string();
  slot_busy_[slot] = true;
  Job* raw = job.get();
  jobs_[job->id] = std::move(job);
  Log(absl::StrCat("job ", raw->id, " attempt ", raw->attempt, " starts on ", raw->device,
                   raw->resume_checkpoint.empty()
                       ? std::string()
                       : absl::StrCat(", resuming after step ", raw->resume_step)));
  raw->thread = std::thread([this, raw] { RunJobThread(raw); });
  if (options_.metrics) options_.metrics->SetRunningJobs(static_cast<int>(jobs_.size()));
}

void WorkerAgent::RunJobThread(Job* job) {
  JobRunContext context;
  context.output_dir = job->output_dir;
  context.resume_checkpoint = job->resume_checkpoint;
  context.resume_step = job->resume_step;
  context.device = job->device;
  context.emit = [this, job](v1::JobEvent event) { OnJobEvent(job, std::move(event)); };
  context.should_stop = [job] { return job->stop != StopReason::kNone; };
  context.on_checkpoint = [this, job](uint64_t step, const std::string& bytes) {
    OnCheckpoint(job, step, bytes);
  };
  absl::StatusOr<JobRunOutcome> outcome = absl::InternalError("not run");
  std::error_code dir_error;
  std::filesystem::create_directories(job->output_dir, dir_error);
  if (dir_error) {
    outcome = absl::InternalError(absl::StrCat("worker ", options_.worker_id, " cannot create ",
                                               job->output_dir, ": ", dir_error.message()));
  } else {
    try {
      outcome = options_.runner->Run(job->spec, context);
    } catch (const std::exception& e) {
      outcome = absl::InternalError(absl::StrCat("the job crashed: ", e.what()));
    }
  }
  std::vector<v1::WorkerMessage> artifacts;
  if (outcome.ok() && !outcome->stopped) {
    std::string error;
    artifacts = ArtifactMessages(*job, *outcome, &error);
    if (!error.empty()) outcome = absl::InternalError(error);
  }
  v1::JobFinished finished = Finish(*job, outcome);
  Log(absl::StrCat("job ", job->id, " attempt ", job->attempt, ": ",
                   v1::JobFinished::Result_Name(finished.result()),
                   finished.reason().empty() ? "" : ": ", finished.reason()));
  if (options_.metrics) options_.metrics->JobFinished(finished.result());
  std::lock_guard lock(mu_);
  job->artifacts = std::move(artifacts);
  job->outgoing.insert(job->outgoing.end(), job->artifacts.begin(), job->artifacts.end());
  job->finished = std::move(finished);
  job->thread_done = true;
  slot_busy_[job->slot] = false;
  work_ready_ = true;
  wake_.notify_all();
}

v1::JobFinished WorkerAgent::Finish(Job& job, const absl::StatusOr<JobRunOutcome>& outcome) {
  v1::JobFinished f;
  f.set_job_id(job.id);
  f.set_attempt(job.attempt);
  if (!outcome.ok()) {
    f.set_result(v1::JobFinished::RESULT_FAILED);
    f.set_reason(ResultReason(outcome.status()));
    return f;
  }
  const StopReason stop = job.stop;
  if (outcome->stopped && stop == StopReason::kCancel) {
    f.set_result(v1::JobFinished::RESULT_CANCELLED);
    f.set_reason(absl::StrCat("cancelled at step ", outcome->last_step));
  } else if (outcome->stopped && stop != StopReason::kNone) {
    f.set_result(v1::JobFinished::RESULT_PREEMPTED);
    f.set_reason(absl::StrCat("worker ", options_.worker_id, " shut down at step ",
                              outcome->last_step, "; resume from the last checkpoint"));
  } else {
    f.set_result(v1::JobFinished::RESULT_SUCCEEDED);
    for (const auto& [name, value] : outcome->final_metrics) {
      (*f.mutable_final_metrics())[name] = value;
    }
  }
  return f;
}

std::vector<v1::WorkerMessage> WorkerAgent::ArtifactMessages(const Job& job,
                                                             const JobRunOutcome& outcome,
                                                             std::string* error) const {
  std::vector<v1::WorkerMessage> messages;
  for (const std::string& name : outcome.artifact_paths) {
    auto bytes = ReadWholeFile((std::filesystem::path(job.output_dir) / name).string());
    if (!bytes.ok()) {
      *error = absl::StrCat("artifact ", name, " could not be read: ", bytes.status().message());
      return {};
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
  std::lock_guard lock(mu_);
  if (event.has_step()) job->step = event.step().step();
  const uint64_t thinned_before = job->telemetry.thinned();
  job->telemetry.Append(std::move(event), Clock::now());
  if (options_.metrics && job->telemetry.thinned() > thinned_before) {
    options_.metrics->CountTelemetryThinned(job->telemetry.thinned() - thinned_before);
  }
}

void WorkerAgent::OnCheckpoint(Job* job, uint64_t step, const std::string& bytes) {
  auto chunks = CheckpointChunks(job->id, job->attempt, step, bytes, options_.chunk_bytes);
  std::lock_guard lock(mu_);
  job->outgoing.insert(job->outgoing.end(), chunks.begin(), chunks.end());
  job->checkpoint = std::move(chunks);
  job->checkpoint_step = step;
  job->checkpoint_acked = false;
  work_ready_ = true;
  wake_.notify_all();
}

}  // namespace ptune::agent

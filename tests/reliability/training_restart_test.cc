// kill -9 during training, against real processes on 127.0.0.1:
//  * of the scheduler, with jobs RUNNING on workers and watchers following them: after a
//    restart on the same SQLite file the workers reconnect and finish, the watchers
//    reconnect from their last seq and every stream they assembled is gap-free,
//    duplicate-free and never goes backward, and a job whose worker died meanwhile does
//    not stay RUNNING past the lease;
//  * of the worker, repeatedly, on one job: its final prompt equals bit for bit that of
//    an uninterrupted run of the same spec and seed (resume restores data order,
//    optimizer and RNG state from the checkpoint).
// Needs the USE-Lite model and the built-in data cache that scripts/setup.sh fills.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/job_state.h"
#include "common/spec_loader.h"
#include "tests/reliability/fleet.h"

namespace ptune::reliability {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

std::string SubmitOrDie(Fleet& fleet, const std::string& request_id, const std::string& yaml) {
  auto spec = ParseJobSpec(yaml, "job.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status();
  v1::SubmitJobRequest request;
  request.set_request_id(request_id);
  *request.mutable_spec() = *spec;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(5));
  v1::SubmitJobResponse response;
  const grpc::Status status = fleet.stub().SubmitJob(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.job().id();
}

v1::Job AwaitFinal(Fleet& fleet, const std::string& id, seconds timeout) {
  v1::Job job;
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline && !IsFinal((job = fleet.GetJob(id)).state())) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  return job;
}

// Waits until the job runs with at least `step` steps done; false on timeout.
bool AwaitStep(Fleet& fleet, const std::string& id, uint64_t step, seconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    const v1::Job job = fleet.GetJob(id);
    if (job.state() == v1::JOB_STATE_RUNNING && job.step() >= step) return true;
    if (IsFinal(job.state())) return false;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

// A client that follows a job like `ptunectl watch` does: WatchJob from its last seq,
// reconnecting whenever the stream breaks, until the stream ends OK (job final).
class Follower {
 public:
  Follower(const std::string& address, std::string job_id)
      : stub_(v1::JobService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
        job_id_(std::move(job_id)),
        thread_([this] { Run(); }) {}
  ~Follower() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Waits for the stream's end (at most the follower's own deadline); the events.
  const std::vector<v1::JobEvent>& Finish() {
    if (thread_.joinable()) thread_.join();
    return events_;
  }
  int reconnects() const { return reconnects_; }
  bool ended_ok() const { return ended_ok_; }

 private:
  void Run() {
    const auto deadline = steady_clock::now() + seconds(150);
    while (!stop_ && steady_clock::now() < deadline) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + seconds(60));
      v1::WatchJobRequest request;
      request.set_job_id(job_id_);
      request.set_after_seq(events_.empty() ? 0 : events_.back().seq());
      auto reader = stub_->WatchJob(&context, request);
      v1::JobEvent event;
      while (reader->Read(&event)) events_.push_back(event);
      if (reader->Finish().ok()) {
        ended_ok_ = true;
        return;
      }
      ++reconnects_;
      std::this_thread::sleep_for(milliseconds(100));
    }
  }

  std::unique_ptr<v1::JobService::Stub> stub_;
  const std::string job_id_;
  std::vector<v1::JobEvent> events_;
  std::atomic<int> reconnects_{0};
  std::atomic<bool> ended_ok_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(SchedulerKill, Kill9DuringTrainingWatchersAndWorkersReconnect) {
  Fleet fleet({"--lease-timeout", "2s", "--max-lost-leases", "0", "--max-attempts", "100"});
  ASSERT_TRUE(fleet.StartScheduler()) << fleet.Logs();
  fleet.StartWorker("w1");
  fleet.StartWorker("w2");
  const std::string a = SubmitOrDie(fleet, "train-a", ShortJobYaml("a", 60));
  const std::string b = SubmitOrDie(fleet, "train-b", ShortJobYaml("b", 60));
  const std::vector<std::string> followed_jobs = {a, b, a, b};  // two watchers per job
  std::vector<std::unique_ptr<Follower>> followers;
  for (const std::string& id : followed_jobs) {
    followers.push_back(std::make_unique<Follower>(fleet.address(), id));
  }
  ASSERT_TRUE(AwaitStep(fleet, a, 8, seconds(60))) << fleet.Logs();
  ASSERT_TRUE(AwaitStep(fleet, b, 8, seconds(60))) << fleet.Logs();
  const std::string victim_job = fleet.GetJob(b).worker_id() == "w2" ? b : a;

  fleet.scheduler().Signal(SIGKILL);
  ASSERT_TRUE(fleet.scheduler().Wait(seconds(10)).has_value());
  // While the scheduler is down, one worker dies for good: its job must be requeued
  // after the lease, not stay RUNNING on a worker that is gone.
  fleet.KillWorker("w2");
  std::this_thread::sleep_for(milliseconds(500));
  ASSERT_TRUE(fleet.StartScheduler()) << fleet.Logs();

  std::this_thread::sleep_for(seconds(5));  // > 2 leases
  const v1::Job after_lease = fleet.GetJob(victim_job);
  EXPECT_FALSE(after_lease.state() == v1::JOB_STATE_RUNNING && after_lease.worker_id() == "w2")
      << victim_job << " still RUNNING on the killed worker after the lease\n"
      << fleet.Logs();
  EXPECT_GE(fleet.ConnectedWorkers(), 1) << "w1 did not reconnect\n" << fleet.Logs();

  for (const std::string& id : {a, b}) {
    const v1::Job job = AwaitFinal(fleet, id, seconds(120));
    EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << id << " " << job.state_reason() << "\n"
                                                    << fleet.Logs();
    EXPECT_EQ(job.step(), 60u) << id;
  }
  int reconnects = 0;
  for (size_t i = 0; i < followers.size(); ++i) {
    const std::string& id = followed_jobs[i];
    const std::vector<v1::JobEvent> followed = followers[i]->Finish();
    EXPECT_TRUE(followers[i]->ended_ok()) << "watcher " << i << " of " << id << " never finished";
    EXPECT_GE(followers[i]->reconnects(), 1) << "watcher " << i << " never saw the kill";
    reconnects += followers[i]->reconnects();
    EXPECT_EQ(StreamViolation(followed), "") << "watcher " << i << " of " << id;
    // What the watcher assembled across reconnects is the stored stream.
    std::vector<v1::JobEvent> stored;
    ASSERT_TRUE(fleet.WatchAll(id, &stored).ok());
    EXPECT_EQ(followed.size(), stored.size()) << "watcher " << i << " of " << id;
    EXPECT_EQ(StreamViolation(stored), "") << id;
  }
  std::printf("scheduler kill -9 during training: 4 watchers reconnected %d times in all\n",
              reconnects);
}

// The sha256 of each artifact of a finished job, by name.
std::map<std::string, std::string> ArtifactDigests(const v1::Job& job) {
  std::map<std::string, std::string> out;
  for (const auto& artifact : job.artifacts()) out[artifact.name()] = artifact.sha256();
  return out;
}

TEST(WorkerKills, ResumedRunEndsWithTheUninterruptedRunsPrompt) {
  Fleet fleet({"--lease-timeout", "1s", "--max-lost-leases", "0", "--max-attempts", "100"});
  ASSERT_TRUE(fleet.StartScheduler()) << fleet.Logs();
  int next = 0;
  fleet.StartWorker("k0");
  const std::string killed = SubmitOrDie(fleet, "killed", ShortJobYaml("same", 40));
  // Kill its worker past a checkpoint (every 5 steps) three times, at different steps.
  int kills = 0;
  for (const uint64_t step : {7u, 18u, 29u}) {
    if (!AwaitStep(fleet, killed, step, seconds(60))) break;
    fleet.KillWorker(fleet.GetJob(killed).worker_id());
    ++kills;
    fleet.StartWorker(absl::StrCat("k", ++next));
  }
  EXPECT_EQ(kills, 3) << fleet.Logs();
  const v1::Job done = AwaitFinal(fleet, killed, seconds(120));
  ASSERT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED) << done.state_reason() << fleet.Logs();
  // Then the same spec and seed, never interrupted.
  const std::string reference = SubmitOrDie(fleet, "reference", ShortJobYaml("same", 40));
  const v1::Job ref = AwaitFinal(fleet, reference, seconds(120));
  ASSERT_EQ(ref.state(), v1::JOB_STATE_SUCCEEDED) << ref.state_reason() << fleet.Logs();
  EXPECT_EQ(ref.attempt(), 1u);
  EXPECT_GT(done.attempt(), 1u);
  const auto resumed = ArtifactDigests(done);
  const auto uninterrupted = ArtifactDigests(ref);
  ASSERT_TRUE(uninterrupted.count("adapter/adapter_model.safetensors")) << ref.DebugString();
  EXPECT_EQ(resumed, uninterrupted) << "the resumed run's artifacts differ";
  EXPECT_EQ(done.final_metrics().at("validation_accuracy"),
            ref.final_metrics().at("validation_accuracy"));
  std::vector<v1::JobEvent> events;
  ASSERT_TRUE(fleet.WatchAll(killed, &events).ok());
  EXPECT_EQ(StreamViolation(events), "");
  std::printf("worker kill -9s on one job: %d, attempts %u; artifacts equal: %s\n", kills,
              done.attempt(), resumed == uninterrupted ? "yes" : "no");
}

}  // namespace
}  // namespace ptune::reliability

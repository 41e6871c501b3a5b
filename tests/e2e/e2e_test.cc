// End to end with real processes on loopback: ptune-scheduler (SQLite), two
// ptune-workers running real (tiny) USE-Lite jobs, and ptunectl. Needs the model and
// data cache that scripts/setup.sh fills (the jobs fail with a message naming the
// missing file otherwise).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <thread>

#include "tests/e2e/cluster.h"

namespace ptune::e2e {
namespace {

using std::chrono::seconds;

constexpr seconds kJobTimeout{240};

bool Running(const v1::Job& job) { return job.state() == v1::JOB_STATE_RUNNING; }
auto StepAtLeast(uint64_t step) {
  return [step](const v1::Job& job) { return Running(job) && job.step() >= step; };
}

// seq 1..n without gaps, step records strictly increasing (no duplicate or backward
// step across attempts), the last step being `last_step`.
void ExpectGapFreeStream(const std::vector<v1::JobEvent>& events, uint64_t last_step) {
  ASSERT_FALSE(events.empty());
  uint64_t previous_step = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].seq(), i + 1) << "gap or duplicate at position " << i;
    if (!events[i].has_step()) continue;
    EXPECT_GT(events[i].step().step(), previous_step) << "step went backward at seq " << i + 1;
    previous_step = events[i].step().step();
  }
  EXPECT_EQ(previous_step, last_step);
}

v1::JobState FinalState(const std::vector<v1::JobEvent>& events) {
  v1::JobState state = v1::JOB_STATE_UNSPECIFIED;
  for (const auto& e : events) {
    if (e.has_state()) state = e.state().to();
  }
  return state;
}

class E2e : public ::testing::Test {
 protected:
  void Start(Cluster& cluster, int workers) {
    cluster.StartScheduler();
    for (int i = 1; i <= workers; ++i) cluster.StartWorker("w" + std::to_string(i));
    ASSERT_TRUE(cluster.WaitForWorkers(workers)) << cluster.Logs();
  }
};
// One fixture per CTest entry, so the suites run in parallel and each stays bounded.
class E2eRun : public E2e {};
class E2eCancel : public E2e {};
class E2eWorkerLoss : public E2e {};
class E2eSchedulerLoss : public E2e {};
class E2eSigterm : public E2e {};

TEST_F(E2eRun, AJobSucceedsWithACompleteStreamAndDownloadableArtifacts) {
  Cluster cluster("run");
  Start(cluster, 2);
  const std::string id = cluster.Submit(cluster.WriteSpec("tiny.yaml", TinySpec("tiny", 8, 4)));
  ASSERT_FALSE(id.empty()) << cluster.Logs();
  const v1::Job job = cluster.WaitForJob(id, IsFinal, kJobTimeout);
  ASSERT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.state_reason() << "\n" << cluster.Logs();
  EXPECT_GT(job.final_metrics().count("validation_accuracy"), 0u);
  ASSERT_GT(job.artifacts_size(), 0);

  const auto events = cluster.WatchAll(id, seconds(30));
  ExpectGapFreeStream(events, 8);
  EXPECT_EQ(FinalState(events), v1::JOB_STATE_SUCCEEDED);

  std::string out;
  const std::string into = cluster.dir() + "/download";
  ASSERT_EQ(cluster.Ctl({"download", id, "--out", into}, &out), 0) << out;
  for (const auto& artifact : job.artifacts()) {
    const std::string path = into + "/" + artifact.name();
    ASSERT_TRUE(std::filesystem::exists(path)) << path << "\n" << out;
    EXPECT_EQ(std::filesystem::file_size(path), artifact.size_bytes()) << path;
  }
}

TEST_F(E2eRun, ABadDatasetFailsWithAClearReasonAndTheWorkerRunsTheNextJob) {
  Cluster cluster("bad-data");
  Start(cluster, 1);
  const std::string bad = cluster.Submit(cluster.WriteSpec(
      "bad.yaml", TinySpec("bad", 4, 4, "  train_file: /nonexistent/ptune/train.jsonl\n")));
  const v1::Job failed = cluster.WaitForJob(bad, IsFinal, kJobTimeout);
  ASSERT_EQ(failed.state(), v1::JOB_STATE_FAILED) << cluster.Logs();
  EXPECT_NE(failed.state_reason().find("/nonexistent/ptune/train.jsonl"), std::string::npos)
      << failed.state_reason();

  const std::string good = cluster.Submit(cluster.WriteSpec("good.yaml", TinySpec("good", 4, 4)));
  const v1::Job ok = cluster.WaitForJob(good, IsFinal, kJobTimeout);
  EXPECT_EQ(ok.state(), v1::JOB_STATE_SUCCEEDED) << ok.state_reason() << "\n" << cluster.Logs();
  EXPECT_TRUE(cluster.worker("w1").running());
}

TEST_F(E2eCancel, CancelWhileRunningStopsTheJobAndFreesTheWorker) {
  Cluster cluster("cancel");
  Start(cluster, 1);
  const std::string id =
      cluster.Submit(cluster.WriteSpec("long.yaml", TinySpec("long", 100000, 100000)));
  ASSERT_TRUE(StepAtLeast(2)(cluster.WaitForJob(id, StepAtLeast(2), kJobTimeout)))
      << cluster.Logs();
  std::string out;
  ASSERT_EQ(cluster.Ctl({"cancel", id, "--reason", "e2e"}, &out), 0) << out;
  const v1::Job cancelled = cluster.WaitForJob(id, IsFinal, seconds(60));
  EXPECT_EQ(cancelled.state(), v1::JOB_STATE_CANCELLED) << cluster.Logs();

  const std::string next = cluster.Submit(cluster.WriteSpec("next.yaml", TinySpec("next", 4, 4)));
  EXPECT_EQ(cluster.WaitForJob(next, IsFinal, kJobTimeout).state(), v1::JOB_STATE_SUCCEEDED)
      << cluster.Logs();
}

TEST_F(E2eWorkerLoss, Kill9OfTheWorkerResumesTheJobOnTheOtherWorkerFromItsCheckpoint) {
  Cluster cluster("kill-worker");
  Start(cluster, 2);
  const std::string id = cluster.Submit(cluster.WriteSpec("j.yaml", TinySpec("j", 60, 5)));
  const v1::Job running = cluster.WaitForJob(id, StepAtLeast(10), kJobTimeout);
  ASSERT_TRUE(StepAtLeast(10)(running)) << cluster.Logs();
  const std::string victim = running.worker_id();
  const std::string survivor = victim == "w1" ? "w2" : "w1";
  cluster.worker(victim).Signal(SIGKILL);

  const v1::Job done = cluster.WaitForJob(id, IsFinal, kJobTimeout);
  ASSERT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED) << done.state_reason() << cluster.Logs();
  EXPECT_EQ(done.worker_id(), survivor);
  EXPECT_GE(done.attempt(), 2u);
  EXPECT_NE(cluster.worker(survivor).Stdout().find("resuming after step"), std::string::npos)
      << "the new attempt did not start from a checkpoint\n"
      << cluster.Logs();
  ExpectGapFreeStream(cluster.WatchAll(id, seconds(30)), 60);
}

TEST_F(E2eSchedulerLoss, Kill9OfTheSchedulerLosesNothingAcknowledgedAndTheJobFinishes) {
  Cluster cluster("kill-scheduler", "20s");
  Start(cluster, 1);
  const std::string id = cluster.Submit(cluster.WriteSpec("j.yaml", TinySpec("j", 60, 5)));
  ASSERT_TRUE(StepAtLeast(8)(cluster.WaitForJob(id, StepAtLeast(8), kJobTimeout)))
      << cluster.Logs();
  const v1::Job before = cluster.GetJob(id);
  cluster.scheduler().Signal(SIGKILL);
  ASSERT_TRUE(cluster.scheduler().Wait(seconds(10)).has_value());
  std::this_thread::sleep_for(seconds(1));  // the worker trains on alone meanwhile
  cluster.StartScheduler();

  const v1::Job done = cluster.WaitForJob(id, IsFinal, kJobTimeout);
  ASSERT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED) << done.state_reason() << cluster.Logs();
  const auto events = cluster.WatchAll(id, seconds(30));
  ExpectGapFreeStream(events, 60);
  EXPECT_GE(events.size(), before.last_seq()) << "acknowledged events were lost";
  EXPECT_NE(cluster.worker("w1").Stdout().find("reconnected"), std::string::npos) << cluster.Logs();
}

TEST_F(E2eSigterm, SigtermOfAWorkerRequeuesItsJobAtOnceFromAFreshCheckpoint) {
  // A lease far longer than the test's wait: only the preempt report can requeue in time.
  Cluster cluster("sigterm", "120s");
  Start(cluster, 2);
  const std::string id = cluster.Submit(cluster.WriteSpec("j.yaml", TinySpec("j", 100000, 100000)));
  const v1::Job running = cluster.WaitForJob(id, StepAtLeast(3), kJobTimeout);
  ASSERT_TRUE(StepAtLeast(3)(running)) << cluster.Logs();
  const std::string victim = running.worker_id();
  const std::string survivor = victim == "w1" ? "w2" : "w1";
  cluster.worker(victim).Signal(SIGTERM);
  const auto exit = cluster.worker(victim).Wait(seconds(40));
  ASSERT_TRUE(exit.has_value()) << "worker did not exit after SIGTERM\n" << cluster.Logs();
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << cluster.Logs();

  const v1::Job moved = cluster.WaitForJob(
      id, [&](const v1::Job& j) { return Running(j) && j.worker_id() == survivor; }, seconds(40));
  ASSERT_EQ(moved.worker_id(), survivor) << cluster.Logs();
  EXPECT_EQ(moved.attempt(), 2u);
  // No checkpoint was due in the run itself: the one it resumes from is the stop's.
  EXPECT_NE(cluster.worker(survivor).Stdout().find("resuming after step"), std::string::npos)
      << cluster.Logs();
  std::string out;
  EXPECT_EQ(cluster.Ctl({"cancel", id}, &out), 0) << out;
  EXPECT_EQ(cluster.WaitForJob(id, IsFinal, seconds(60)).state(), v1::JOB_STATE_CANCELLED);
}

}  // namespace
}  // namespace ptune::e2e

// Fault injection against real processes on 127.0.0.1: repeated kill -9 of workers
// during a run of short jobs, and kill -9 of the scheduler during a burst of submits.
// Needs the USE-Lite model and the built-in data cache that scripts/setup.sh fills.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/spec_loader.h"
#include "tests/reliability/fleet.h"

namespace ptune::reliability {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

bool Final(const v1::Job& job) {
  return job.state() == v1::JOB_STATE_SUCCEEDED || job.state() == v1::JOB_STATE_FAILED ||
         job.state() == v1::JOB_STATE_CANCELLED;
}

// SubmitJob with a deadline; the job id on OK, the status otherwise.
grpc::Status Submit(Fleet& fleet, const std::string& request_id, const std::string& yaml,
                    std::string* job_id) {
  auto spec = ParseJobSpec(yaml, "short.yaml");
  if (!spec.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, spec.status().ToString());
  v1::SubmitJobRequest request;
  request.set_request_id(request_id);
  *request.mutable_spec() = *spec;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(5));
  v1::SubmitJobResponse response;
  grpc::Status status = fleet.stub().SubmitJob(&context, request, &response);
  if (status.ok()) *job_id = response.job().id();
  return status;
}

void ExpectCleanStream(Fleet& fleet, const std::string& id) {
  std::vector<v1::JobEvent> events;
  const grpc::Status status = fleet.WatchAll(id, &events);
  ASSERT_TRUE(status.ok()) << id << ": " << status.error_message();
  ASSERT_FALSE(events.empty()) << id;
  EXPECT_EQ(StreamViolation(events), "") << "job " << id;
}

// The checker the fault suites rely on must see the faults it is meant to catch.
TEST(StreamCheck, FlagsGapsRepeatsAndBackwardStepsPerKind) {
  auto event = [](uint64_t seq, uint32_t attempt) {
    v1::JobEvent e;
    e.set_seq(seq);
    e.set_attempt(attempt);
    return e;
  };
  std::vector<v1::JobEvent> events;
  events.push_back(event(1, 1));
  events.back().mutable_topology()->set_step(5);
  events.push_back(event(2, 1));
  events.back().mutable_eval()->set_step(10);
  events.back().mutable_eval()->set_split("validation");
  events.push_back(event(3, 1));
  events.back().mutable_eval()->set_step(10);  // the final evaluation: another split
  events.back().mutable_eval()->set_split("test");
  EXPECT_EQ(StreamViolation(events), "");
  auto final_repeat = events;
  final_repeat.push_back(event(4, 1));
  final_repeat.back().mutable_eval()->set_step(10);  // validation again, same attempt
  final_repeat.back().mutable_eval()->set_split("validation");
  EXPECT_NE(StreamViolation(final_repeat), "");
  auto gap = events;
  gap.back().set_seq(4);
  EXPECT_NE(StreamViolation(gap), "");
  auto rerun = events;
  rerun.push_back(event(4, 2));
  rerun.back().mutable_topology()->set_step(5);  // re-computed by attempt 2
  EXPECT_NE(StreamViolation(rerun), "");
  auto eval_rerun = events;
  eval_rerun.push_back(event(4, 2));
  eval_rerun.back().mutable_eval()->set_step(10);
  eval_rerun.back().mutable_eval()->set_split("validation");
  EXPECT_NE(StreamViolation(eval_rerun), "");
}

// 20 kill -9s of whichever worker is running a job, a replacement started each time;
// with no lost-lease limit every job must still succeed with a clean stream.
TEST(WorkerKills, TwentyKill9sLoseNoJobAndNoStreamGoesBackward) {
  Fleet fleet({"--lease-timeout", "1s", "--max-lost-leases", "0", "--max-attempts", "100"});
  ASSERT_TRUE(fleet.StartScheduler()) << fleet.Logs();
  int next_worker = 0;
  std::set<std::string> live;
  auto start_worker = [&] {
    const std::string id = absl::StrCat("w", ++next_worker);
    fleet.StartWorker(id);
    live.insert(id);
  };
  for (int i = 0; i < 3; ++i) start_worker();

  std::vector<std::string> jobs;
  for (int i = 0; i < 4; ++i) {
    std::string id;
    const grpc::Status s =
        Submit(fleet, absl::StrCat("kills-", i), ShortJobYaml(absl::StrCat("k", i), 40), &id);
    ASSERT_TRUE(s.ok()) << s.error_message();
    jobs.push_back(id);
  }

  constexpr int kKills = 20;
  int kills = 0;
  const auto deadline = steady_clock::now() + seconds(150);
  while (kills < kKills && steady_clock::now() < deadline) {
    // Kill a worker that holds a running job that has made progress since it started.
    std::string victim;
    for (const auto& id : jobs) {
      const v1::Job job = fleet.GetJob(id);
      if (job.state() == v1::JOB_STATE_RUNNING && live.count(job.worker_id()) && job.step() > 0) {
        victim = job.worker_id();
        break;
      }
    }
    if (victim.empty()) {
      bool all_final = true;
      for (const auto& id : jobs) all_final = all_final && Final(fleet.GetJob(id));
      if (all_final) break;
      std::this_thread::sleep_for(milliseconds(100));
      continue;
    }
    fleet.KillWorker(victim);
    live.erase(victim);
    ++kills;
    start_worker();
    std::this_thread::sleep_for(milliseconds(900));
  }
  // The jobs are short: if they finished before 20 kills, top up with one more round.
  EXPECT_GE(kills, 12) << "too few kills landed on running jobs" << fleet.Logs();

  for (const auto& id : jobs) {
    v1::Job job;
    const auto job_deadline = steady_clock::now() + seconds(120);
    while (steady_clock::now() < job_deadline && !Final(job = fleet.GetJob(id))) {
      std::this_thread::sleep_for(milliseconds(200));
    }
    EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED)
        << id << " " << job.state_reason() << " after " << kills << " kills\n"
        << fleet.Logs();
    EXPECT_EQ(job.step(), 40u) << id;
    ExpectCleanStream(fleet, id);
  }
  RecordProperty("kills", kills);
  std::printf("worker kill -9s: %d\n", kills);
}

// kill -9 of the scheduler while 4 threads submit: every submit that returned OK is in
// the store after a restart, jobs finish, the worker reconnects, and after the lease
// nothing is RUNNING on a worker that is gone.
TEST(SchedulerKill, Kill9DuringSubmitBurstKeepsEveryAcknowledgedJob) {
  Fleet fleet({"--lease-timeout", "2s", "--max-lost-leases", "0", "--max-attempts", "100"});
  ASSERT_TRUE(fleet.StartScheduler()) << fleet.Logs();
  fleet.StartWorker("w1");

  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::atomic<int> failed{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> submitters;
  for (int t = 0; t < 4; ++t) {
    submitters.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        std::string id;
        const auto s = Submit(fleet, absl::StrCat("burst-", t, "-", i),
                              ShortJobYaml(absl::StrCat("b", t, "-", i), 5), &id);
        if (s.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged.push_back(id);
        } else {
          ++failed;
          std::this_thread::sleep_for(milliseconds(20));
        }
      }
    });
  }
  std::this_thread::sleep_for(milliseconds(700));
  fleet.scheduler().Signal(SIGKILL);
  ASSERT_TRUE(fleet.scheduler().Wait(seconds(10)).has_value());
  std::this_thread::sleep_for(milliseconds(300));
  stop = true;
  for (auto& t : submitters) t.join();
  std::vector<std::string> acked;
  {
    std::lock_guard<std::mutex> lock(mu);
    acked = acknowledged;
  }
  ASSERT_FALSE(acked.empty());
  ASSERT_TRUE(fleet.StartScheduler()) << fleet.Logs();

  for (const auto& id : acked) {
    EXPECT_EQ(fleet.GetJob(id).id(), id) << "acknowledged submit lost after kill -9";
  }
  // The worker reconnects and works through the queue.
  const auto deadline = steady_clock::now() + seconds(20);
  while (steady_clock::now() < deadline && fleet.ConnectedWorkers() < 1) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(fleet.ConnectedWorkers(), 1) << fleet.Logs();
  // Then the worker dies for good: after the lease nothing may stay RUNNING.
  std::this_thread::sleep_for(seconds(3));
  fleet.KillWorker("w1");
  std::this_thread::sleep_for(seconds(5));  // > 2 leases
  int finished = 0;
  for (const auto& id : acked) {
    const v1::Job job = fleet.GetJob(id);
    EXPECT_NE(job.state(), v1::JOB_STATE_RUNNING) << id << " RUNNING with its worker gone";
    finished += Final(job);
  }
  ExpectCleanStream(fleet, acked.front());
  std::printf("submits acknowledged: %zu, refused while down: %d, finished: %d\n", acked.size(),
              failed.load(), finished);
}

}  // namespace
}  // namespace ptune::reliability

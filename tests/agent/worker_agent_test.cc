// The agent against a fake scheduler on loopback (real gRPC streams) with a scripted
// runner: the protocol behaviour, not training.
#include "worker/agent/worker_agent.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

#include "tests/agent/fake_runner.h"
#include "tests/agent/fake_scheduler.h"
#include "worker/agent/scheduler_stream.h"

namespace ptune::agent {
namespace {

using std::chrono::milliseconds;
using testing::FakeRunner;
using testing::FakeScheduler;

v1::JobSpec Spec(const std::string& name, uint32_t steps, uint32_t checkpoint_every = 5) {
  v1::JobSpec spec;
  spec.set_name(name);
  spec.mutable_train()->set_steps(steps);
  spec.mutable_train()->set_checkpoint_every(checkpoint_every);
  spec.mutable_data()->set_train_file("/data/missing.jsonl");
  return spec;
}

std::shared_ptr<grpc::Channel> FastChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

// One agent running against `scheduler` on its own thread.
class Harness {
 public:
  // `gpus` CUDA devices are advertised next to the CPU (no GPU is needed: the agent only
  // hands each job slot its device).
  Harness(FakeScheduler& scheduler, milliseconds step_delay, uint32_t cpu_slots = 1, int gpus = 0)
      : runner_(step_delay) {
    std::random_device random;
    work_dir_ = ::testing::TempDir() + "/ptune-agent-" + std::to_string(random());
    metrics_ = *WorkerMetrics::Create("w1", "");
    WorkerAgentOptions options;
    options.worker_id = "w1";
    options.hostname = "test-host";
    options.version = "test";
    options.devices.emplace_back().set_kind(v1::DEVICE_KIND_CPU);
    for (int i = 0; i < gpus; ++i) {
      v1::Device& gpu = options.devices.emplace_back();
      gpu.set_kind(v1::DEVICE_KIND_CUDA);
      gpu.set_index(i);
      gpu.set_total_memory_bytes(80ull << 30);
    }
    options.cpu_slots = cpu_slots;
    options.work_dir = work_dir_;
    options.backoff.initial = milliseconds(50);
    options.backoff.max = milliseconds(300);
    options.telemetry.max_delay = milliseconds(20);
    options.telemetry.max_batch_events = 8;
    options.chunk_bytes = 3;  // several chunks even for tiny test checkpoints
    options.shutdown_timeout = milliseconds(10000);
    options.runner = &runner_;
    options.metrics = metrics_.get();
    agent_ = *WorkerAgent::Create(FastChannel(scheduler.address()), options);
    thread_ = std::thread([this] { status_ = agent_->Run(); });
  }
  ~Harness() {
    if (thread_.joinable()) Stop();
    std::filesystem::remove_all(work_dir_);
  }
  absl::Status Stop() {
    agent_->Shutdown();
    thread_.join();
    return status_;
  }
  WorkerAgent& agent() { return *agent_; }
  FakeRunner& runner() { return runner_; }
  WorkerMetrics& metrics() { return *metrics_; }
  const std::string& work_dir() const { return work_dir_; }

 private:
  FakeRunner runner_;
  std::string work_dir_;
  std::unique_ptr<WorkerMetrics> metrics_;
  std::unique_ptr<WorkerAgent> agent_;
  std::thread thread_;
  absl::Status status_;
};

bool Finished(const FakeScheduler& s, const std::string& job, uint32_t attempt) {
  const auto* a = s.attempt(job, attempt);
  return a != nullptr && !a->finished.empty();
}

bool HasStep(const FakeScheduler& s, const std::string& job, uint32_t attempt, uint64_t step) {
  const auto* a = s.attempt(job, attempt);
  if (a == nullptr) return false;
  for (const auto& [index, event] : a->events) {
    if (event.has_step() && event.step().step() >= step) return true;
  }
  return false;
}

// The stored events of an attempt: indexes 1..n without gaps, step records strictly
// increasing from `first_step` to `last_step`.
void ExpectCompleteStream(const FakeScheduler::Attempt& a, uint64_t first_index,
                          uint64_t first_step, uint64_t last_step) {
  ASSERT_FALSE(a.events.empty());
  EXPECT_EQ(a.events.begin()->first, first_index);
  EXPECT_EQ(a.events.rbegin()->first, a.stored_upto);
  EXPECT_EQ(a.events.size(), a.stored_upto - first_index + 1);
  std::vector<uint64_t> steps;
  for (const auto& [index, event] : a.events) {
    if (event.has_step()) steps.push_back(event.step().step());
  }
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps.front(), first_step);
  EXPECT_EQ(steps.back(), last_step);
  for (size_t i = 1; i < steps.size(); ++i) EXPECT_EQ(steps[i], steps[i - 1] + 1);
}

TEST(WorkerAgent, RegistersRunsAJobAndDeliversTelemetryCheckpointsArtifactsAndResult) {
  FakeScheduler scheduler;
  scheduler.Start();
  Harness harness(scheduler, milliseconds(2));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return s.connected(); }));
  const v1::Register& reg = scheduler.registers().front();
  EXPECT_EQ(reg.worker_id(), "w1");
  EXPECT_EQ(reg.max_jobs(), 1u);
  ASSERT_EQ(reg.devices_size(), 1);

  ASSERT_TRUE(scheduler.Assign("job-a", 1, Spec("ok", 23)));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return Finished(s, "job-a", 1); }));
  const auto* a = scheduler.attempt("job-a", 1);
  const v1::JobFinished& f = a->finished.front();
  EXPECT_EQ(f.result(), v1::JobFinished::RESULT_SUCCEEDED);
  EXPECT_EQ(f.final_metrics().at("validation_accuracy"), 0.75);
  EXPECT_EQ(f.last_index(), a->stored_upto) << "the result comes after every event";
  ExpectCompleteStream(*a, 1, 1, 23);
  for (const auto& [index, event] : a->events) {
    EXPECT_EQ(event.job_id(), "job-a");
    EXPECT_EQ(event.attempt(), 1u);
    EXPECT_TRUE(event.has_time());
  }
  ASSERT_EQ(a->checkpoints.size(), 5u);  // 5, 10, 15, 20 and the end
  EXPECT_EQ(a->checkpoints.back(), std::make_pair(uint64_t{23}, std::string("ckpt@23")));
  EXPECT_EQ(a->artifacts.at("prompt.bin"), "prompt-of-ok");
  EXPECT_TRUE(scheduler.WaitFor([](auto& s) { return s.heartbeats() > 0; }));

  // Once confirmed, the job's directory is cleaned up.
  EXPECT_TRUE(harness.Stop().ok());
  EXPECT_TRUE(std::filesystem::is_empty(harness.work_dir() + "/jobs"));
  const std::string scraped = harness.metrics().Scrape();
  EXPECT_NE(scraped.find("ptune_worker_jobs_total{result=\"succeeded\",worker=\"w1\"} 1"),
            std::string::npos)
      << scraped;
  EXPECT_NE(scraped.find("ptune_worker_step_seconds_count{worker=\"w1\"} 23"), std::string::npos);
}

TEST(WorkerAgent, AFailingJobReportsAnActionableReasonAndTheNextJobRuns) {
  FakeScheduler scheduler;
  scheduler.Start();
  Harness harness(scheduler, milliseconds(1));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return s.connected(); }));
  ASSERT_TRUE(scheduler.Assign("bad", 1, Spec("fail", 10)));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return Finished(s, "bad", 1); }));
  const v1::JobFinished& f = scheduler.attempt("bad", 1)->finished.front();
  EXPECT_EQ(f.result(), v1::JobFinished::RESULT_FAILED);
  EXPECT_EQ(f.reason(), "data.train_file /data/missing.jsonl: no such file");

  ASSERT_TRUE(scheduler.Assign("good", 1, Spec("ok", 6)));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return Finished(s, "good", 1); }));
  EXPECT_EQ(scheduler.attempt("good", 1)->finished.front().result(),
            v1::JobFinished::RESULT_SUCCEEDED);
}

TEST(WorkerAgent, CancelStopsAtAStepBoundaryAcknowledgesAndFreesTheSlot) {
  FakeScheduler scheduler;
  scheduler.Start();
  Harness harness(scheduler, milliseconds(5));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return s.connected(); }));
  ASSERT_TRUE(scheduler.Assign("long", 1, Spec("ok", 100000, 1000)));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return HasStep(s, "long", 1, 3); }));
  ASSERT_TRUE(scheduler.Cancel("long"));
  ASSERT_TRUE(scheduler.WaitFor(
      [](auto& s) { return Finished(s, "long", 1) && !s.cancel_acks().empty(); }));
  const auto* a = scheduler.attempt("long", 1);
  EXPECT_EQ(a->finished.front().result(), v1::JobFinished::RESULT_CANCELLED);
  EXPECT_EQ(scheduler.cancel_acks().front(), "long");

  // A cancel for a job this worker does not run is acknowledged at once.
  ASSERT_TRUE(scheduler.Cancel("unknown"));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return s.cancel_acks().size() == 2; }));

  ASSERT_TRUE(scheduler.Assign("next", 1, Spec("ok", 3)));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return Finished(s, "next", 1); }));
  EXPECT_EQ(scheduler.attempt("next", 1)->finished.front().result(),
            v1::JobFinished::RESULT_SUCCEEDED);
}

TEST(WorkerAgent, ACancelDuringSetupIsHonouredBeforeTheFirstStep) {
  FakeScheduler scheduler;
  scheduler.Start();
  Harness harness(scheduler, milliseconds(5));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return s.connected(); }));
  // A resumed attempt (checkpoint of step 10) stuck in setup.
  ASSERT_TRUE(scheduler.Assign("stuck", 2, Spec("slow-setup", 100), "ckpt@10", 10, 4));
  ASSERT_TRUE(scheduler.Cancel("stuck"));  // after the assignment on the same stream
  ASSERT_TRUE(scheduler.WaitFor(
      [](auto& s) { return Finished(s, "stuck", 2) && !s.cancel_acks().empty(); }));
  const auto* a = scheduler.attempt("stuck", 2);
  EXPECT_EQ(a->finished.front().result(), v1::JobFinished::RESULT_CANCELLED);
  EXPECT_EQ(a->finished.front().reason(), "cancelled at step 10") << "the resumed step, not 0";
  EXPECT_EQ(a->finished.front().last_index(), 4u) << "no event after the stored ones";
  EXPECT_TRUE(a->checkpoints.empty());

  // The slot is free again.
  ASSERT_TRUE(scheduler.Assign("next", 1, Spec("ok", 3)));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return Finished(s, "next", 1); }));
}

TEST(WorkerAgent, RunsOneJobPerGpuEachPinnedToItsOwnDevice) {
  FakeScheduler scheduler;
  scheduler.Start();
  Harness harness(scheduler, milliseconds(5), /*cpu_slots=*/1, /*gpus=*/2);
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return s.connected(); }));
  EXPECT_EQ(scheduler.registers().front().max_jobs(), 2u) << "one job per GPU";
  ASSERT_TRUE(scheduler.Assign("a", 1, Spec("gpu-a", 100000, 1000)));
  ASSERT_TRUE(scheduler.Assign("b", 1, Spec("gpu-b", 100000, 1000)));
  ASSERT_TRUE(
      scheduler.WaitFor([](auto& s) { return HasStep(s, "a", 1, 2) && HasStep(s, "b", 1, 2); }));
  auto devices = harness.runner().devices();
  EXPECT_EQ(devices["gpu-a"], "cuda:0");
  EXPECT_EQ(devices["gpu-b"], "cuda:1");

  // The slot a finished job frees goes to the next job, on the same device.
  ASSERT_TRUE(scheduler.Cancel("a"));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return Finished(s, "a", 1); }));
  ASSERT_TRUE(scheduler.Assign("c", 1, Spec("gpu-c", 100000, 1000)));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return HasStep(s, "c", 1, 2); }));
  EXPECT_EQ(harness.runner().devices()["gpu-c"], "cuda:0");
  ASSERT_TRUE(scheduler.Cancel("b"));
  ASSERT_TRUE(scheduler.Cancel("c"));
  ASSERT_TRUE(
      scheduler.WaitFor([](auto& s) { return Finished(s, "b", 1) && Finished(s, "c", 1); }));
}

TEST(WorkerAgent, ResumesFromTheAssignmentsCheckpointWithStepsAndIndexesContinuing) {
  FakeScheduler scheduler;
  scheduler.Start();
  Harness harness(scheduler, milliseconds(1));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return s.connected(); }));
  // Attempt 2 of a job whose attempt-2 events up to index 7 are already stored.
  ASSERT_TRUE(scheduler.Assign("resumed", 2, Spec("ok", 15), "ckpt@10", 10, 7));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return Finished(s, "resumed", 2); }));
  const auto* a = scheduler.attempt("resumed", 2);
  EXPECT_EQ(a->finished.front().result(), v1::JobFinished::RESULT_SUCCEEDED);
  ExpectCompleteStream(*a, 8, 11, 15);
  EXPECT_EQ(a->checkpoints.front().first, 15u);
}

TEST(WorkerAgent, KeepsTrainingThroughADisconnectAndResendsWhatWasNotAcknowledged) {
  FakeScheduler scheduler;
  scheduler.Start();
  Harness harness(scheduler, milliseconds(5));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return s.connected(); }));
  scheduler.SetAutoAck(false);  // stored, but the worker never hears so
  ASSERT_TRUE(scheduler.Assign("j", 1, Spec("ok", 60, 20)));
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return HasStep(s, "j", 1, 10); }));
  scheduler.DropStream();
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return s.registers().size() == 2; }));
  const v1::Register& again = scheduler.registers().back();
  ASSERT_EQ(again.running_size(), 1);
  EXPECT_EQ(again.running(0).job_id(), "j");
  EXPECT_GE(again.running(0).step(), 10u);
  scheduler.SetAutoAck(true);
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return Finished(s, "j", 1); }));
  const auto* a = scheduler.attempt("j", 1);
  ExpectCompleteStream(*a, 1, 1, 60);
  EXPECT_EQ(a->finished.back().last_index(), a->stored_upto);
  EXPECT_EQ(a->checkpoints.back().first, 60u);
}

TEST(WorkerAgent, SurvivesASchedulerRestartOnTheSamePort) {
  auto scheduler = std::make_unique<FakeScheduler>();
  scheduler->Start();
  const int port = scheduler->port();
  Harness harness(*scheduler, milliseconds(5));
  ASSERT_TRUE(scheduler->WaitFor([](auto& s) { return s.connected(); }));
  ASSERT_TRUE(scheduler->Assign("j", 1, Spec("ok", 80, 10)));
  ASSERT_TRUE(scheduler->WaitFor([](auto& s) { return HasStep(s, "j", 1, 5); }));
  uint64_t stored = 0;
  scheduler->WaitFor([&](auto& s) {
    stored = s.attempt("j", 1)->stored_upto;
    return true;
  });
  scheduler->Stop();
  // Down for a while: the job keeps training and its telemetry waits.
  std::this_thread::sleep_for(milliseconds(300));
  scheduler = std::make_unique<FakeScheduler>();
  scheduler->SetStored("j", 1, stored);  // what the old one had in its database
  scheduler->Start(port);
  ASSERT_TRUE(scheduler->WaitFor([](auto& s) { return Finished(s, "j", 1); }));
  EXPECT_EQ(scheduler->registers().front().running(0).job_id(), "j");
  const auto* a = scheduler->attempt("j", 1);
  // Nothing after what the old scheduler stored is missing, and the result comes last.
  ASSERT_FALSE(a->events.empty());
  EXPECT_EQ(a->events.begin()->first, stored + 1);
  EXPECT_EQ(a->events.size(), a->stored_upto - stored);
  EXPECT_EQ(a->finished.front().result(), v1::JobFinished::RESULT_SUCCEEDED);
  EXPECT_EQ(a->finished.front().last_index(), a->stored_upto);
  uint64_t last_step = 0;
  for (const auto& [index, event] : a->events) {
    if (event.has_step()) last_step = event.step().step();
  }
  EXPECT_EQ(last_step, 80u);
}

TEST(WorkerAgent, ShutdownPreemptsRunningJobsWithACheckpointAndRefusesNewWork) {
  FakeScheduler scheduler;
  scheduler.Start();
  Harness harness(scheduler, milliseconds(5), /*cpu_slots=*/2);
  ASSERT_TRUE(scheduler.WaitFor([](auto& s) { return s.connected(); }));
  EXPECT_EQ(scheduler.registers().front().max_jobs(), 2u);
  ASSERT_TRUE(scheduler.Assign("a", 1, Spec("ok", 100000, 1000)));
  ASSERT_TRUE(scheduler.Assign("b", 1, Spec("ok", 100000, 1000)));
  ASSERT_TRUE(
      scheduler.WaitFor([](auto& s) { return HasStep(s, "a", 1, 3) && HasStep(s, "b", 1, 3); }));
  std::thread stopper([&] { EXPECT_TRUE(harness.Stop().ok()); });
  ASSERT_TRUE(
      scheduler.WaitFor([](auto& s) { return Finished(s, "a", 1) && Finished(s, "b", 1); }));
  for (const char* id : {"a", "b"}) {
    const auto* a = scheduler.attempt(id, 1);
    EXPECT_EQ(a->finished.front().result(), v1::JobFinished::RESULT_PREEMPTED) << id;
    ASSERT_FALSE(a->checkpoints.empty()) << id;
    EXPECT_GE(a->checkpoints.back().first, 3u) << "checkpoint of the last finished step";
  }
  EXPECT_EQ(scheduler.finished_before_drain(), 0)
      << "the scheduler must hear of the drain before the preempted results";
  stopper.join();
  EXPECT_FALSE(harness.agent().JobsStillRunning());
}

TEST(SchedulerStream, AWrongTokenIsRefusedWithTheSchedulersStatus) {
  FakeScheduler scheduler("secret");
  scheduler.Start();
  v1::Register reg;
  reg.set_worker_id("w");
  SchedulerStreamOptions options;
  options.token = "wrong";
  options.on_message = [](v1::SchedulerMessage) {};
  auto stream = SchedulerStream::Open(FastChannel(scheduler.address()), reg, options);
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(stream.status().message().find("bad worker token"), std::string::npos);

  options.token = "secret";
  auto ok = SchedulerStream::Open(FastChannel(scheduler.address()), reg, options);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)->registered().heartbeat_interval_ms(), 200u);
}

TEST(SchedulerStream, AnUnreachableSchedulerIsUnavailable) {
  FakeScheduler scheduler;
  scheduler.Start();
  const std::string address = scheduler.address();
  scheduler.Stop();
  SchedulerStreamOptions options;
  options.connect_timeout = milliseconds(300);
  options.on_message = [](v1::SchedulerMessage) {};
  auto stream = SchedulerStream::Open(FastChannel(address), v1::Register(), options);
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace ptune::agent

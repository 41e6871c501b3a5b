// The worker protocol: dispatch, telemetry with acks and dedupe, checkpoints, leases,
// requeue with checkpoint, reconnects and completion, over real gRPC.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "tests/server/test_harness.h"

namespace ptune::server::testing {
namespace {

using ptune::v1::Job;
using ptune::v1::JobEvent;
using ptune::v1::JobFinished;
using ptune::v1::SchedulerMessage;

bool IsState(const Job& job, ptune::v1::JobState state) { return job.state() == state; }

JobEvent TopologyEvent(uint64_t step) {
  JobEvent event;
  event.mutable_topology()->set_step(step);
  event.mutable_topology()->mutable_summary()->set_h0_bars(3);
  return event;
}

JobEvent EvalEvent(uint64_t step, const std::string& split = "validation") {
  JobEvent event;
  event.mutable_eval()->set_step(step);
  event.mutable_eval()->set_split(split);
  (*event.mutable_eval()->mutable_metrics())["accuracy"] = 0.5;
  return event;
}

JobEvent CheckpointEvent(uint64_t step) {
  JobEvent event;
  event.mutable_checkpoint()->set_step(step);
  event.mutable_checkpoint()->set_size_bytes(100);
  return event;
}

// The telemetry of steps [from, to] as the engine emits it: each step's record, then
// topology every 5 steps, eval every 10 and a checkpoint event at `checkpoint_at`.
std::vector<JobEvent> RunSteps(uint64_t from, uint64_t to, uint64_t checkpoint_at = 0) {
  std::vector<JobEvent> events;
  for (uint64_t step = from; step <= to; ++step) {
    events.push_back(StepEvent(step));
    if (step % 5 == 0) events.push_back(TopologyEvent(step));
    if (step % 10 == 0) events.push_back(EvalEvent(step));
    if (step == checkpoint_at) events.push_back(CheckpointEvent(step));
  }
  return events;
}

// "kind@step" of every step-bearing event of a stream, in order.
std::vector<std::string> StepLabels(const std::vector<JobEvent>& events) {
  std::vector<std::string> labels;
  for (const JobEvent& event : events) {
    if (event.has_step()) labels.push_back("step@" + std::to_string(event.step().step()));
    if (event.has_topology()) {
      labels.push_back("topology@" + std::to_string(event.topology().step()));
    }
    if (event.has_eval()) {
      labels.push_back(event.eval().split() + "@" + std::to_string(event.eval().step()));
    }
    if (event.has_checkpoint()) {
      labels.push_back("checkpoint@" + std::to_string(event.checkpoint().step()));
    }
  }
  return labels;
}

// Fails unless the stream's step numbers never go backward and no (kind, step) repeats.
void ExpectForwardOnly(const std::vector<JobEvent>& events) {
  uint64_t highest = 0;
  std::set<std::string> seen;
  std::vector<std::string> labels = StepLabels(events);
  size_t label = 0;
  for (const JobEvent& event : events) {
    uint64_t step = 0;
    if (event.has_step())
      step = event.step().step();
    else if (event.has_topology())
      step = event.topology().step();
    else if (event.has_eval())
      step = event.eval().step();
    else if (event.has_checkpoint())
      step = event.checkpoint().step();
    else
      continue;
    EXPECT_GE(step, highest) << "backward at " << labels[label] << " (seq " << event.seq() << ")";
    highest = std::max(highest, step);
    EXPECT_TRUE(seen.insert(labels[label]).second) << "stored twice: " << labels[label];
    ++label;
  }
}

class WorkerProtocolTest : public SchedulerTest {
 protected:
  // Connects `worker` and waits for its assignment (nullopt, failing the test, if none).
  static std::optional<SchedulerMessage> Assigned(FakeWorker& worker) {
    if (!worker.Connect()) {
      ADD_FAILURE() << "worker did not connect";
      return std::nullopt;
    }
    return worker.Expect(SchedulerMessage::kAssignment);
  }
  Job WaitSucceeded(const std::string& job_id) {
    return client_->WaitFor(
        job_id, [](const Job& j) { return IsState(j, ptune::v1::JOB_STATE_SUCCEEDED); });
  }

  // Steps of the StepRecords in a watch of the whole job.
  std::vector<uint64_t> WatchedSteps(const std::string& job_id) {
    std::vector<JobEvent> events;
    EXPECT_TRUE(client_->Watch(job_id, 0, &events).ok());
    std::vector<uint64_t> steps;
    for (const JobEvent& event : events) {
      if (event.has_step()) steps.push_back(event.step().step());
    }
    return steps;
  }

  // Sends `events` as the whole telemetry of `attempt`, finishes it, and returns the
  // job's stream from the start once SUCCEEDED, checked to go forward only.
  std::vector<JobEvent> FinishAndWatch(FakeWorker& worker, const std::string& job_id,
                                       uint32_t attempt, const std::vector<JobEvent>& events) {
    worker.Telemetry(job_id, attempt, 1, events);
    EXPECT_TRUE(worker.ExpectAck(job_id, events.size()));
    worker.Finish(job_id, attempt, JobFinished::RESULT_SUCCEEDED, events.size());
    WaitSucceeded(job_id);
    std::vector<JobEvent> stream;
    EXPECT_TRUE(client_->Watch(job_id, 0, &stream).ok());
    ExpectForwardOnly(stream);
    return stream;
  }
};

// `labels` after `first`.
std::vector<std::string> Concat(std::vector<std::string> first,
                                const std::vector<std::string>& labels) {
  first.insert(first.end(), labels.begin(), labels.end());
  return first;
}

TEST_F(WorkerProtocolTest, RunsAJobToSuccessWithTelemetryAndArtifacts) {
  Job job = client_->MustSubmit("ok");
  FakeWorker worker(server_->port(), "w1");
  auto assignment = Assigned(worker);
  ASSERT_TRUE(assignment);
  EXPECT_EQ(assignment->assignment().job_id(), job.id());
  EXPECT_EQ(assignment->assignment().attempt(), 1u);
  EXPECT_EQ(assignment->assignment().spec().name(), "test");
  EXPECT_TRUE(assignment->assignment().checkpoint().empty());

  worker.Telemetry(job.id(), 1, 1, {StepEvent(1), StepEvent(2)});
  ASSERT_TRUE(worker.ExpectAck(job.id(), 2));
  // A re-send after a lost ack is deduplicated, and the ack repeats.
  worker.Telemetry(job.id(), 1, 1, {StepEvent(1), StepEvent(2), StepEvent(3)});
  ASSERT_TRUE(worker.ExpectAck(job.id(), 3));
  // A gap is refused: the ack stays at what was stored so the worker re-sends.
  worker.Telemetry(job.id(), 1, 10, {StepEvent(10)});
  auto gap = worker.Expect(SchedulerMessage::kTelemetryAck);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->telemetry_ack().acked_index(), 3u);

  worker.Artifact(job.id(), 1, "prompt.safetensors", "PROMPT-BYTES");
  worker.Finish(job.id(), 1, JobFinished::RESULT_SUCCEEDED, 3);
  Job done = WaitSucceeded(job.id());
  EXPECT_EQ(done.step(), 3u);
  EXPECT_EQ(done.final_metrics().at("accuracy"), 0.9);
  ASSERT_EQ(done.artifacts_size(), 1);
  EXPECT_EQ(done.artifacts(0).name(), "prompt.safetensors");
  EXPECT_EQ(done.artifacts(0).size_bytes(), 12u);
  std::string data;
  ASSERT_TRUE(client_->Download(job.id(), "prompt.safetensors", &data).ok());
  EXPECT_EQ(data, "PROMPT-BYTES");
  EXPECT_EQ(client_->Download(job.id(), "missing", &data).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(WatchedSteps(job.id()), (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(WorkerProtocolTest, FinishWaitsForMissingTelemetry) {
  Job job = client_->MustSubmit("wait");
  FakeWorker worker(server_->port(), "w1");
  ASSERT_TRUE(Assigned(worker));
  worker.Finish(job.id(), 1, JobFinished::RESULT_SUCCEEDED, 2);
  worker.Telemetry(job.id(), 1, 1, {StepEvent(1)});
  ASSERT_TRUE(worker.ExpectAck(job.id(), 1));
  EXPECT_EQ(client_->MustGet(job.id()).state(), ptune::v1::JOB_STATE_RUNNING);
  worker.Telemetry(job.id(), 1, 2, {StepEvent(2)});
  WaitSucceeded(job.id());
  EXPECT_EQ(WatchedSteps(job.id()), (std::vector<uint64_t>{1, 2}));
}

TEST_F(WorkerProtocolTest, LostWorkerRequeuesFromCheckpointWithoutBackwardSteps) {
  Job job = client_->MustSubmit("requeue");
  auto first = std::make_unique<FakeWorker>(server_->port(), "w1");
  ASSERT_TRUE(Assigned(*first));
  first->Telemetry(job.id(), 1, 1, {StepEvent(1), StepEvent(2), StepEvent(3), StepEvent(4)});
  ASSERT_TRUE(first->ExpectAck(job.id(), 4));
  const std::string checkpoint(2500, 'c');
  first->Checkpoint(job.id(), 1, 2, checkpoint);
  auto ack = first->Expect(SchedulerMessage::kCheckpointAck);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->checkpoint_ack().step(), 2u);
  first->Crash();

  // After the lease the job goes back to the queue and a new worker resumes it.
  FakeWorker second(server_->port(), "w2");
  auto assignment = Assigned(second);
  ASSERT_TRUE(assignment);
  EXPECT_EQ(assignment->assignment().attempt(), 2u);
  EXPECT_EQ(assignment->assignment().checkpoint(), checkpoint);
  EXPECT_EQ(assignment->assignment().checkpoint_step(), 2u);
  // The resumed attempt replays steps 3 and 4 from the checkpoint: dropped.
  second.Telemetry(job.id(), 2, 1, {StepEvent(3), StepEvent(4), StepEvent(5)});
  ASSERT_TRUE(second.ExpectAck(job.id(), 3));
  second.Finish(job.id(), 2, JobFinished::RESULT_SUCCEEDED, 3);
  Job done = WaitSucceeded(job.id());
  EXPECT_EQ(done.attempt(), 2u);
  EXPECT_EQ(WatchedSteps(job.id()), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  std::string data;
  EXPECT_EQ(client_->Download(job.id(), "checkpoint", &data).error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(data, checkpoint);
}

TEST_F(WorkerProtocolTest, ReconnectWithinLeaseKeepsTheJob) {
  Job job = client_->MustSubmit("keep");
  FakeWorker worker(server_->port(), "w1");
  ASSERT_TRUE(Assigned(worker));
  worker.Telemetry(job.id(), 1, 1, {StepEvent(1)});
  ASSERT_TRUE(worker.ExpectAck(job.id(), 1));
  worker.Crash();
  ptune::v1::RunningJob running;
  running.set_job_id(job.id());
  running.set_attempt(1);
  running.set_step(1);
  ASSERT_TRUE(worker.Connect({running}));
  EXPECT_TRUE(worker.None(SchedulerMessage::kCancel, std::chrono::milliseconds(600)));
  worker.Telemetry(job.id(), 1, 2, {StepEvent(2)});
  ASSERT_TRUE(worker.ExpectAck(job.id(), 2));
  Job still = client_->MustGet(job.id());
  EXPECT_EQ(still.state(), ptune::v1::JOB_STATE_RUNNING);
  EXPECT_EQ(still.attempt(), 1u);
}

TEST_F(WorkerProtocolTest, SilentWorkerIsDeclaredDeadAndStaleJobsAreCancelled) {
  Job job = client_->MustSubmit("silent");
  FakeWorker worker(server_->port(), "w1");
  worker.set_heartbeats(false);
  ASSERT_TRUE(Assigned(worker));
  // No heartbeats: the stream is closed and the job requeued.
  EXPECT_EQ(worker.status().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  worker.set_heartbeats(true);
  Job queued = client_->WaitFor(job.id(), [](const Job& j) {
    return IsState(j, ptune::v1::JOB_STATE_QUEUED) && j.attempt() == 2;
  });
  EXPECT_NE(queued.state_reason().find("lost"), std::string::npos) << queued.state_reason();
  // The worker comes back claiming attempt 1: it is told to stop it, and then gets
  // attempt 2 as a fresh assignment.
  ptune::v1::RunningJob running;
  running.set_job_id(job.id());
  running.set_attempt(1);
  ASSERT_TRUE(worker.Connect({running}));
  auto cancel = worker.Expect(SchedulerMessage::kCancel);
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->cancel().job_id(), job.id());
  auto assignment = worker.Expect(SchedulerMessage::kAssignment);
  ASSERT_TRUE(assignment);
  EXPECT_EQ(assignment->assignment().attempt(), 2u);
}

TEST_F(WorkerProtocolTest, FailsAfterMaxAttempts) {
  ptune::v1::SubmitJobRequest request;
  request.set_request_id("max");
  *request.mutable_spec() = TestSpec();
  request.set_max_attempts(2);
  ptune::v1::SubmitJobResponse response;
  ASSERT_TRUE(client_->Submit(request, &response).ok());
  const std::string id = response.job().id();
  FakeWorker worker(server_->port(), "w1");
  ASSERT_TRUE(worker.Connect());
  for (uint32_t attempt = 1; attempt <= 2; ++attempt) {
    // A preempted attempt is requeued at once and lands on the idle worker again.
    auto assignment = worker.Expect(SchedulerMessage::kAssignment);
    ASSERT_TRUE(assignment);
    EXPECT_EQ(assignment->assignment().attempt(), attempt);
    worker.Finish(id, attempt, JobFinished::RESULT_PREEMPTED, 0, "node drained");
  }
  Job failed =
      client_->WaitFor(id, [](const Job& j) { return IsState(j, ptune::v1::JOB_STATE_FAILED); });
  EXPECT_NE(failed.state_reason().find("after 2 attempts"), std::string::npos)
      << failed.state_reason();
}

// Issue 14: a job whose attempts keep taking their worker down is failed after
// --max-lost-leases (2) lost workers, not requeued until max_attempts (5 here).
TEST_F(WorkerProtocolTest, JobThatLosesItsWorkerTwiceFails) {
  ptune::v1::SubmitJobRequest request;
  request.set_request_id("killer");
  *request.mutable_spec() = TestSpec();
  request.set_max_attempts(5);
  ptune::v1::SubmitJobResponse response;
  ASSERT_TRUE(client_->Submit(request, &response).ok());
  const std::string id = response.job().id();
  for (uint32_t attempt = 1; attempt <= 2; ++attempt) {
    FakeWorker worker(server_->port(), "w" + std::to_string(attempt));
    ASSERT_TRUE(worker.Connect());
    auto assignment = worker.Expect(SchedulerMessage::kAssignment);
    ASSERT_TRUE(assignment);
    EXPECT_EQ(assignment->assignment().attempt(), attempt);
    worker.Crash();
    if (attempt == 1) {
      client_->WaitFor(id, [](const Job& j) { return IsState(j, ptune::v1::JOB_STATE_QUEUED); });
    }
  }
  Job failed =
      client_->WaitFor(id, [](const Job& j) { return IsState(j, ptune::v1::JOB_STATE_FAILED); });
  EXPECT_EQ(failed.attempt(), 2u);
  EXPECT_NE(failed.state_reason().find("lost its worker 2 times"), std::string::npos)
      << failed.state_reason();
}

TEST_F(WorkerProtocolTest, MatchesDevicesAndLabels) {
  ptune::v1::SubmitJobRequest request;
  request.set_request_id("gpu");
  *request.mutable_spec() = TestSpec();
  auto* resources = request.mutable_spec()->mutable_resources();
  resources->set_device(ptune::v1::DEVICE_KIND_CUDA);
  resources->set_min_gpu_memory_bytes(8ull << 30);
  (*resources->mutable_worker_labels())["zone"] = "eu";
  ptune::v1::SubmitJobResponse response;
  ASSERT_TRUE(client_->Submit(request, &response).ok());

  FakeWorker cpu(server_->port(), "cpu");
  ASSERT_TRUE(cpu.Connect());
  FakeWorker small(server_->port(), "small-gpu");
  ptune::v1::Register base;
  (*base.mutable_labels())["zone"] = "eu";
  auto* gpu = base.add_devices();
  gpu->set_kind(ptune::v1::DEVICE_KIND_CUDA);
  gpu->set_total_memory_bytes(4ull << 30);
  ASSERT_TRUE(small.Connect({}, base));
  FakeWorker wrong_zone(server_->port(), "us-gpu");
  ptune::v1::Register us = base;
  (*us.mutable_labels())["zone"] = "us";
  us.mutable_devices(0)->set_total_memory_bytes(40ull << 30);
  ASSERT_TRUE(wrong_zone.Connect({}, us));
  FakeWorker big(server_->port(), "big-gpu");
  base.mutable_devices(0)->set_total_memory_bytes(40ull << 30);
  ASSERT_TRUE(big.Connect({}, base));

  auto assignment = big.Expect(SchedulerMessage::kAssignment);
  ASSERT_TRUE(assignment);
  EXPECT_EQ(assignment->assignment().job_id(), response.job().id());
  EXPECT_TRUE(cpu.None(SchedulerMessage::kAssignment, std::chrono::milliseconds(50)));
  EXPECT_TRUE(small.None(SchedulerMessage::kAssignment, std::chrono::milliseconds(10)));
  EXPECT_TRUE(wrong_zone.None(SchedulerMessage::kAssignment, std::chrono::milliseconds(10)));
}

TEST_F(WorkerProtocolTest, RestartReconcilesRunningJobs) {
  Job kept = client_->MustSubmit("kept");
  Job orphan = client_->MustSubmit("orphan");
  Job queued = client_->MustSubmit("queued");
  FakeWorker w1(server_->port(), "w1");
  ASSERT_TRUE(Assigned(w1));
  FakeWorker w2(server_->port(), "w2");
  ASSERT_TRUE(Assigned(w2));
  w1.Telemetry(kept.id(), 1, 1, {StepEvent(1)});
  ASSERT_TRUE(w1.ExpectAck(kept.id(), 1));
  w1.Crash();
  w2.Crash();

  // The scheduler restarts; w1 reconnects and keeps its job, w2 never returns.
  Start(TestOptions(dir_.path()));
  EXPECT_EQ(client_->MustGet(kept.id()).state(), ptune::v1::JOB_STATE_RUNNING);
  EXPECT_EQ(client_->MustGet(queued.id()).state(), ptune::v1::JOB_STATE_QUEUED);
  FakeWorker back(server_->port(), "w1");
  ptune::v1::RunningJob running;
  running.set_job_id(kept.id());
  running.set_attempt(1);
  ASSERT_TRUE(back.Connect({running}));
  // Telemetry dedupe survived the restart: index 1 is already stored.
  back.Telemetry(kept.id(), 1, 1, {StepEvent(1), StepEvent(2)});
  ASSERT_TRUE(back.ExpectAck(kept.id(), 2));
  for (int i = 0; i < 6; ++i) {
    back.Heartbeat();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // w2's job was requeued after the lease; the queued job is still waiting.
  Job requeued = client_->MustGet(orphan.id());
  EXPECT_EQ(requeued.state(), ptune::v1::JOB_STATE_QUEUED);
  EXPECT_EQ(requeued.attempt(), 2u);
  back.Finish(kept.id(), 1, JobFinished::RESULT_SUCCEEDED, 2);
  WaitSucceeded(kept.id());
  EXPECT_EQ(WatchedSteps(kept.id()), (std::vector<uint64_t>{1, 2}));
}

// Issue 14 #1, with a checkpoint: killed at step 27 after a checkpoint at 20, and the
// scheduler restarted meanwhile (the marks are rebuilt from the store). The new attempt
// re-computes 21..27 (topology @25 again): none of it is stored twice.
TEST_F(WorkerProtocolTest, ResumedAttemptAddsNothingBelowTheStreamedSteps) {
  Job job = client_->MustSubmit("resume-dedup");
  auto first = std::make_unique<FakeWorker>(server_->port(), "w1");
  ASSERT_TRUE(Assigned(*first));
  std::vector<JobEvent> before = RunSteps(1, 27, 20);
  first->Telemetry(job.id(), 1, 1, before);
  ASSERT_TRUE(first->ExpectAck(job.id(), before.size()));
  first->Checkpoint(job.id(), 1, 20, "CKPT");
  ASSERT_TRUE(first->Expect(SchedulerMessage::kCheckpointAck));
  first->Crash();
  first.reset();
  Start(TestOptions(dir_.path()));

  FakeWorker second(server_->port(), "w2");
  auto assignment = Assigned(second);
  ASSERT_TRUE(assignment);
  EXPECT_EQ(assignment->assignment().attempt(), 2u);
  EXPECT_EQ(assignment->assignment().checkpoint_step(), 20u);
  std::vector<JobEvent> after = RunSteps(21, 30, 30);
  // The last step is evaluated on two splits: both belong to the stream.
  after.push_back(EvalEvent(30, "test"));
  std::vector<JobEvent> events = FinishAndWatch(second, job.id(), 2, after);
  EXPECT_EQ(StepLabels(events),
            Concat(StepLabels(before), {"step@28", "step@29", "step@30", "topology@30",
                                        "validation@30", "checkpoint@30", "test@30"}));
  EXPECT_EQ(client_->MustGet(job.id()).step(), 30u);
}

// Issue 14 #1, without a checkpoint: killed at step 20, the new attempt starts over and
// re-computes topology @5/@10/@15/@20 and eval @10/@20: dropped.
TEST_F(WorkerProtocolTest, RestartedAttemptWithoutCheckpointRepeatsNothing) {
  Job job = client_->MustSubmit("restart-dedup");
  auto first = std::make_unique<FakeWorker>(server_->port(), "w1");
  ASSERT_TRUE(Assigned(*first));
  std::vector<JobEvent> before = RunSteps(1, 20);
  first->Telemetry(job.id(), 1, 1, before);
  ASSERT_TRUE(first->ExpectAck(job.id(), before.size()));
  first->Crash();

  FakeWorker second(server_->port(), "w2");
  auto assignment = Assigned(second);
  ASSERT_TRUE(assignment);
  EXPECT_EQ(assignment->assignment().attempt(), 2u);
  EXPECT_TRUE(assignment->assignment().checkpoint().empty());
  std::vector<JobEvent> events = FinishAndWatch(second, job.id(), 2, RunSteps(1, 25));
  EXPECT_EQ(StepLabels(events), Concat(StepLabels(before), {"step@21", "step@22", "step@23",
                                                            "step@24", "step@25", "topology@25"}));
}

}  // namespace
}  // namespace ptune::server::testing

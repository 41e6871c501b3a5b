#include "tests/client/scheduler_fixture.h"

#include <cmath>
#include <fstream>

namespace ptune::client::testing {

namespace v1 = ::ptune::v1;
using ptune::server::SchedulerOptions;
using ptune::server::SchedulerServer;

namespace {

SchedulerOptions Options(const std::string& dir, int port) {
  SchedulerOptions options = ptune::server::testing::TestOptions(dir);
  options.listen_address = "127.0.0.1:" + std::to_string(port);
  // Long enough that a restart in a test never declares the worker dead.
  options.manager.lease_timeout = std::chrono::milliseconds(10000);
  return options;
}

}  // namespace

void SchedulerFixture::SetUp() {
  auto server = SchedulerServer::Create(Options(dir_.path(), 0));
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  port_ = server_->port();
  worker_ = std::make_unique<FakeWorker>(port_, "w1");
  ASSERT_TRUE(worker_->Connect());
}

void SchedulerFixture::TearDown() {
  worker_.reset();
  server_.reset();
}

void SchedulerFixture::RestartScheduler(const std::string& running_job, uint64_t step) {
  worker_->Crash();
  server_.reset();
  auto server = SchedulerServer::Create(Options(dir_.path(), port_));
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  worker_ = std::make_unique<FakeWorker>(port_, "w1");
  v1::RunningJob running;
  running.set_job_id(running_job);
  running.set_attempt(1);
  running.set_step(step);
  ASSERT_TRUE(worker_->Connect({running}));
}

std::string SchedulerFixture::TakeAssignment() {
  auto message = worker_->Expect(v1::SchedulerMessage::kAssignment);
  EXPECT_TRUE(message.has_value()) << "no assignment reached the worker";
  return message ? message->assignment().job_id() : "";
}

std::vector<v1::JobEvent> TrainingEvents(uint64_t step, uint64_t total_steps) {
  std::vector<v1::JobEvent> events(1);
  v1::StepRecord* r = events[0].mutable_step();
  r->set_step(step);
  r->set_total_steps(total_steps);
  r->set_task_loss(1.0 / step);
  r->set_tsloss(0.01);
  r->set_loss(1.0 / step + 0.01);
  r->set_batch_accuracy(0.5 + 0.4 * step / total_steps);
  r->set_tokens_per_second(1000);
  if (step % 5 == 0) {
    v1::EvalRecord* eval = events.emplace_back().mutable_eval();
    eval->set_step(step);
    eval->set_split("validation");
    (*eval->mutable_metrics())["accuracy"] = 0.6 + 0.3 * step / total_steps;
    v1::TopologySnapshot* topo = events.emplace_back().mutable_topology();
    topo->set_step(step);
    topo->mutable_summary()->set_h0_bars(19);
    topo->mutable_summary()->set_h0_total_persistence(10.0 / std::sqrt(step));
    topo->mutable_summary()->set_h1_total_persistence(0.5 / step);
    for (uint32_t dim : {0u, 0u, 1u}) {
      v1::PersistencePair* pair = topo->add_pairs();
      pair->set_dim(dim);
      pair->set_birth(dim == 0 ? 0 : 0.3);
      pair->set_death(0.5 + 0.1 * topo->pairs_size());
    }
  }
  return events;
}

uint64_t SchedulerFixture::SendTraining(const std::string& job_id, uint64_t first_index,
                                        uint64_t from_step, uint64_t to_step,
                                        uint64_t total_steps) {
  uint64_t index = first_index;
  for (uint64_t step = from_step; step <= to_step; ++step) {
    std::vector<v1::JobEvent> events = TrainingEvents(step, total_steps);
    worker_->Telemetry(job_id, 1, index, events);
    index += events.size();
  }
  EXPECT_TRUE(worker_->ExpectAck(job_id, index - 1));
  return index - 1;
}

void SchedulerFixture::Finish(const std::string& job_id, v1::JobFinished::Result result,
                              uint64_t last_index, const std::string& reason) {
  worker_->Finish(job_id, 1, result, last_index, reason);
}

std::string SchedulerFixture::WriteFile(const std::string& name, const std::string& text) {
  std::string path = dir_.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace ptune::client::testing

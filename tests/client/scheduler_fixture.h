// A real scheduler on loopback (real SQLite store in a temp dir) plus the scheduler
// tests' worker double speaking the real worker protocol, for the client and CLI tests.
#ifndef PTUNE_TESTS_CLIENT_SCHEDULER_FIXTURE_H_
#define PTUNE_TESTS_CLIENT_SCHEDULER_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ptune/v1/events.pb.h"
#include "tests/server/test_harness.h"

namespace ptune::client::testing {

using ptune::server::testing::FakeWorker;

class SchedulerFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Stops the scheduler (its streams break) and starts a new one on the same port and
  // store; the worker double reconnects, still running `running_job` (attempt 1).
  void RestartScheduler(const std::string& running_job, uint64_t step);
  // Connects the worker double and takes the next assignment; returns its job id.
  std::string TakeAssignment();
  // Sends telemetry of attempt 1 for `job_id` with consecutive indexes from `first`:
  // per step a StepRecord, every 5 steps an eval and a topology snapshot with a diagram.
  // Returns the last index sent.
  uint64_t SendTraining(const std::string& job_id, uint64_t first_index, uint64_t from_step,
                        uint64_t to_step, uint64_t total_steps);
  void Finish(const std::string& job_id, ptune::v1::JobFinished::Result result, uint64_t last_index,
              const std::string& reason = "");
  // Writes `text` to a file in the test's temp dir and returns its path.
  std::string WriteFile(const std::string& name, const std::string& text);
  std::string temp_dir() const { return dir_.path(); }

  ptune::server::testing::TempDir dir_;
  std::unique_ptr<ptune::server::SchedulerServer> server_;
  std::unique_ptr<FakeWorker> worker_;
  int port_ = 0;
};

// Events of one training step record and friends, as the engine emits them.
std::vector<ptune::v1::JobEvent> TrainingEvents(uint64_t step, uint64_t total_steps);

}  // namespace ptune::client::testing

#endif  // PTUNE_TESTS_CLIENT_SCHEDULER_FIXTURE_H_

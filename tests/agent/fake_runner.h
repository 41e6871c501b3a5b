#ifndef PTUNE_TESTS_AGENT_FAKE_RUNNER_H_
#define PTUNE_TESTS_AGENT_FAKE_RUNNER_H_

// A scripted JobRunner: trains nothing, but behaves like the engine at its interface.
//   spec.name "fail"  -> two steps, then NOT_FOUND with spec.data.train_file in the message
//   spec.name "slow-setup" -> a setup that never ends by itself but polls should_stop, as
//                        the engine's does; a stop there returns stopped at step 0
//                        without a checkpoint or any event
//   anything else     -> train.steps steps of `step_delay` each, a checkpoint
//                        ("ckpt@<step>") every train.checkpoint_every steps, at the end and
//                        when stopped; an eval record every 10 steps; artifact prompt.bin.
// A resume checkpoint "ckpt@N" continues at step N + 1.

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "worker/agent/runner.h"

namespace ptune::agent::testing {

class FakeRunner : public JobRunner {
 public:
  explicit FakeRunner(std::chrono::milliseconds step_delay) : step_delay_(step_delay) {}

  absl::StatusOr<engine::JobRunResult> Run(const v1::JobSpec& spec,
                                           const engine::JobRunOptions& options) override {
    ++runs_;
    {
      std::lock_guard<std::mutex> lock(mu_);
      devices_[spec.name()] = options.device;
    }
    uint64_t step = 0;
    if (!options.resume_checkpoint.empty() &&
        !absl::SimpleAtoi(options.resume_checkpoint.substr(5), &step)) {
      return absl::FailedPreconditionError("bad checkpoint");
    }
    if (spec.name() == "slow-setup") {
      while (!options.should_stop()) std::this_thread::sleep_for(step_delay_);
      engine::JobRunResult stopped;
      stopped.stopped = true;
      return stopped;
    }
    const uint64_t total = spec.train().steps();
    const uint64_t every =
        spec.train().has_checkpoint_every() ? spec.train().checkpoint_every() : 5;
    while (step < total) {
      if (options.should_stop()) {
        Checkpoint(options, step);
        engine::JobRunResult stopped;
        stopped.stopped = true;
        stopped.last_step = step;
        return stopped;
      }
      std::this_thread::sleep_for(step_delay_);
      ++step;
      EmitStep(options, step, total);
      if (spec.name() == "fail" && step == 2) {
        return absl::NotFoundError(
            absl::StrCat("data.train_file ", spec.data().train_file(), ": no such file"));
      }
      if (step % 10 == 0) EmitEval(options, step);
      if (step % every == 0 || step == total) Checkpoint(options, step);
    }
    std::ofstream(options.output_dir + "/prompt.bin", std::ios::binary)
        << "prompt-of-" << spec.name();
    engine::JobRunResult done;
    done.last_step = step;
    done.final_metrics["validation_accuracy"] = 0.75;
    done.artifact_paths = {"prompt.bin"};
    return done;
  }

  int runs() const { return runs_; }
  // The device each job (by spec name) was given.
  std::map<std::string, std::string> devices() const {
    std::lock_guard<std::mutex> lock(mu_);
    return devices_;
  }

 private:
  static void EmitStep(const engine::JobRunOptions& options, uint64_t step, uint64_t total) {
    v1::JobEvent event;
    event.mutable_step()->set_step(step);
    event.mutable_step()->set_total_steps(total);
    event.mutable_step()->set_loss(1.0 / static_cast<double>(step));
    event.mutable_step()->set_step_seconds(0.01);
    options.sink->Emit(event);
  }
  static void EmitEval(const engine::JobRunOptions& options, uint64_t step) {
    v1::JobEvent event;
    event.mutable_eval()->set_step(step);
    event.mutable_eval()->set_split("validation");
    (*event.mutable_eval()->mutable_metrics())["accuracy"] = 0.5;
    options.sink->Emit(event);
  }
  static void Checkpoint(const engine::JobRunOptions& options, uint64_t step) {
    options.on_checkpoint(step, absl::StrCat("ckpt@", step));
    v1::JobEvent event;
    event.mutable_checkpoint()->set_step(step);
    options.sink->Emit(event);
  }

  const std::chrono::milliseconds step_delay_;
  std::atomic<int> runs_{0};
  mutable std::mutex mu_;
  std::map<std::string, std::string> devices_;
};

}  // namespace ptune::agent::testing

#endif  // PTUNE_TESTS_AGENT_FAKE_RUNNER_H_

// A job's setup through the worker's real engine binding (EngineRunner -> engine::RunJob,
// USE-Lite from scripts/setup.sh): a spec with thousands of labels must stay cancellable
// and bounded before its first step (issue 14: 20,000 labels took a worker past 20 GB
// while CancelJob had no effect).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/spec_defaults.h"
#include "worker/agent/engine_runner.h"
#include "worker/engine/backbones/backbone_cache.h"

namespace ptune::agent {
namespace {

class CollectingSink : public engine::TelemetrySink {
 public:
  void Emit(v1::JobEvent event) override { events.push_back(std::move(event)); }
  bool SawLog(const std::string& part) const {
    for (const auto& e : events) {
      if (e.has_log() && e.log().message().find(part) != std::string::npos) return true;
    }
    return false;
  }
  int Count(v1::JobEvent::KindCase kind) const {
    int n = 0;
    for (const auto& e : events) n += e.kind_case() == kind;
    return n;
  }
  std::vector<v1::JobEvent> events;
};

class EngineSetup : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir_ = ::testing::TempDir() + "/ptune-engine-setup-" + std::to_string(random());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A classification job over `labels` labels, two sentences each, trained for many
  // steps with a step record every step.
  v1::JobSpec ManyLabelSpec(int labels) {
    const std::string path = dir_ + "/many-labels.jsonl";
    std::ofstream out(path);
    for (int i = 0; i < 2 * labels; ++i) {
      out << absl::StrFormat(R"({"text": "sentence %d about topic %d", "label": "l%05d"})", i,
                             i % labels, i % labels)
          << "\n";
    }
    v1::JobSpec spec;
    spec.set_name("many-labels");
    spec.mutable_model()->set_source("use-lite");
    spec.mutable_data()->set_train_file(path);
    spec.mutable_data()->set_max_seq_len(16);
    spec.mutable_data()->set_validation_fraction(0.1f);
    spec.mutable_data()->set_test_fraction(0.1f);
    spec.mutable_prompt()->set_length(4);
    spec.mutable_train()->set_steps(1000);
    spec.mutable_train()->set_batch_size(4);
    spec.mutable_train()->set_log_every(1);
    spec.mutable_train()->set_eval_every(1000);
    spec.mutable_train()->set_checkpoint_every(1000);
    spec.mutable_topology()->set_every(0);
    // What the scheduler dispatches: the effective spec, decided at submit.
    ApplySpecDefaults(&spec);
    return spec;
  }

  engine::JobRunOptions Options(CollectingSink* sink) {
    engine::JobRunOptions options;
    options.output_dir = dir_ + "/out";
    options.sink = sink;
    options.on_checkpoint = [this](uint64_t, const std::string&) { ++checkpoints_; };
    return options;
  }

  std::string dir_;
  std::atomic<int> checkpoints_{0};
  engine::BackboneCache backbones_;
};

TEST_F(EngineSetup, ACancelWhileTheVerbalizersAreEmbeddedStopsTheRunBeforeItsFirstStep) {
  CollectingSink sink;
  engine::JobRunOptions options = Options(&sink);
  // The cancel arrives once the data is loaded, while setup is still under way: setup
  // looks before building the method, then before each chunk of 64 verbalizers, so the
  // third look is after the first chunk. Without those looks the first one would come
  // at a step boundary, after steps had run.
  int polls_after_data = 0;
  options.should_stop = [&] {
    if (!sink.SawLog("data: ")) return false;
    return ++polls_after_data >= 3;
  };
  EngineRunner runner(&backbones_);
  auto result = runner.Run(ManyLabelSpec(2000), options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->stopped);
  EXPECT_EQ(result->last_step, 0u);
  EXPECT_EQ(sink.Count(v1::JobEvent::kStep), 0) << "no training step after the cancel";
  EXPECT_EQ(checkpoints_, 0) << "a run stopped in setup has nothing to checkpoint";
  EXPECT_TRUE(sink.SawLog("stopped while embedding the verbalizers (64 of 2000 done)"));
}

TEST_F(EngineSetup, AJobOverTheWorkersMemoryLimitFailsNamingTheLimitBeforeAllocating) {
  CollectingSink sink;
  engine::JobRunOptions options = Options(&sink);
  // 2,000 labels: their embeddings and evaluation outputs alone are several MiB.
  options.memory_limit_bytes = 1 << 20;
  EngineRunner runner(&backbones_);
  auto result = runner.Run(ManyLabelSpec(2000), options);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted) << result.status();
  EXPECT_NE(result.status().message().find("2000 labels"), std::string::npos) << result.status();
  EXPECT_NE(result.status().message().find("per-job limit of 1.0 MiB"), std::string::npos)
      << result.status();
  EXPECT_EQ(sink.Count(v1::JobEvent::kStep), 0);

  // The same job under a limit it fits trains.
  options.memory_limit_bytes = 1ull << 30;
  v1::JobSpec spec = ManyLabelSpec(20);
  spec.mutable_train()->set_steps(2);
  spec.mutable_train()->set_eval_every(2);
  auto fits = runner.Run(spec, options);
  ASSERT_TRUE(fits.ok()) << fits.status();
  EXPECT_EQ(fits->last_step, 2u);
}

}  // namespace
}  // namespace ptune::agent

// Evidence that PT learns: vanilla prompt tuning of the real USE-Lite backbone on a small
// subset of uci-sentiment reaches validation accuracy clearly above chance within a
// bounded number of steps. Kept short for CI. Needs scripts/setup.sh (model + data
// cache); fails with the loader's message when they are missing.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/spec_defaults.h"
#include "worker/engine/job_runner.h"

namespace ptune::engine {
namespace {

class EvalCollector : public TelemetrySink {
 public:
  void Emit(ptune::v1::JobEvent event) override {
    if (event.has_eval() && event.eval().split() == "validation") {
      accuracies.push_back(event.eval().metrics().at("accuracy"));
    }
    if (event.has_step()) losses.push_back(event.step().task_loss());
  }
  std::vector<double> accuracies, losses;
};

// The recipe is the default one (examples/pt-sentiment.yaml: l = 20, vocab init, a
// warm-up) cut to 640 sentences of at most 32 tokens and 60 steps. Over seeds 0-2 it
// reached validation 0.773/0.790/0.730 and test 0.760/0.807/0.780; the earlier recipe
// (l = 8, 24 tokens, no warm-up) stayed at validation 0.623 with seed 2, too close to
// the bar (docs/training.md, "The CI learning test").
TEST(PtLearningTest, PromptTuningOnUseLiteBeatsChanceOnSentiment) {
  ptune::v1::JobSpec spec;
  spec.mutable_data()->set_dataset("uci-sentiment");
  spec.mutable_data()->set_max_seq_len(32);
  spec.mutable_data()->set_max_train_examples(640);
  (*spec.mutable_data()->mutable_verbalizers())["negative"] = "bad, terrible";
  (*spec.mutable_data()->mutable_verbalizers())["positive"] = "good, great";
  spec.set_method(ptune::v1::METHOD_PT);
  spec.mutable_prompt()->set_length(20);
  spec.mutable_prompt()->set_init(ptune::v1::PROMPT_INIT_VOCAB);
  spec.mutable_train()->set_steps(60);
  spec.mutable_train()->set_batch_size(32);
  spec.mutable_train()->set_warmup_steps(10);
  spec.mutable_train()->set_eval_every(30);
  spec.mutable_train()->set_checkpoint_every(1000);
  spec.mutable_resources()->set_device(ptune::v1::DEVICE_KIND_CPU);
  EvalCollector sink;
  JobRunOptions options;
  options.output_dir =
      (std::filesystem::temp_directory_path() / ("ptune_learning_" + std::to_string(::getpid())))
          .string();
  options.sink = &sink;
  ApplySpecDefaults(&spec);  // what the scheduler (or ptune-train) does before RunJob
  auto result = RunJob(spec, options);
  std::filesystem::remove_all(options.output_dir);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->last_step, 60u);
  const double accuracy = result->final_metrics.at("validation_accuracy");
  EXPECT_GT(accuracy, 0.65) << "chance is 0.5 (sd 0.029 on 300 examples)";
  EXPECT_GT(result->final_metrics.at("test_accuracy"), 0.65);
  ASSERT_GE(sink.losses.size(), 20u);
  double first = 0, last = 0;
  for (size_t i = 0; i < 10; ++i) {
    first += sink.losses[i];
    last += sink.losses[sink.losses.size() - 1 - i];
  }
  EXPECT_LT(last, first) << "training loss did not go down";
}

}  // namespace
}  // namespace ptune::engine

// The training loop on a tiny real backbone: it learns, resumes bit-exactly, stops,
// early-stops and reports a non-finite loss.
#include "worker/engine/training/trainer.h"

#include <gtest/gtest.h>

#include "common/spec_defaults.h"
#include "tests/support/tiny_backbone.h"
#include "worker/engine/methods/method_factory.h"

namespace ptune::engine {
namespace {

using testing::SyntheticSentiment;
using testing::TinyBackboneImpl;
using testing::WordTokenizer;

class CollectingSink : public TelemetrySink {
 public:
  void Emit(ptune::v1::JobEvent event) override { events.push_back(std::move(event)); }
  std::vector<double> Losses() const {
    std::vector<double> out;
    for (const auto& e : events) {
      if (e.has_step()) out.push_back(e.step().loss());
    }
    return out;
  }
  std::vector<ptune::v1::EvalRecord> Evals() const {
    std::vector<ptune::v1::EvalRecord> out;
    for (const auto& e : events) {
      if (e.has_eval()) out.push_back(e.eval());
    }
    return out;
  }
  std::vector<ptune::v1::JobEvent> events;
};

TrainerOptions WithSink(TelemetrySink* sink) {
  TrainerOptions options;
  options.sink = sink;
  return options;
}

ptune::v1::JobSpec TinySpec() {
  ptune::v1::JobSpec spec;
  spec.mutable_prompt()->set_length(4);
  spec.mutable_prompt()->set_lr(0.05);
  spec.mutable_train()->set_steps(12);
  spec.mutable_train()->set_batch_size(8);
  spec.mutable_train()->set_eval_every(4);
  spec.mutable_train()->set_warmup_steps(2);
  spec.mutable_data()->set_max_seq_len(12);
  spec.set_seed(7);
  ApplySpecDefaults(&spec);
  return spec;
}

DataSplits TinyData() {
  DataSplits data;
  data.train = SyntheticSentiment(96, 1);
  data.validation = SyntheticSentiment(32, 2);
  data.test = SyntheticSentiment(32, 3);
  data.labels = {"negative", "positive"};
  data.verbalizers = {"awful", "great"};
  return data;
}

// Builds a trainer the way RunJob does: seed, then create the method, the prompted model
// and the trainer.
std::unique_ptr<Trainer> MakeTrainer(const ptune::v1::JobSpec& spec, TrainerOptions options,
                                     std::shared_ptr<TinyBackboneImpl> backbone = nullptr) {
  if (!backbone) backbone = std::make_shared<TinyBackboneImpl>(64, 16, 11);
  options.spec = spec;
  torch::manual_seed(spec.seed());
  auto method = CreatePromptMethod(spec, backbone->EmbeddingTable());
  EXPECT_TRUE(method.ok()) << method.status();
  LoadedBackbone loaded;
  loaded.backbone = backbone;
  loaded.tokenizer = std::make_shared<WordTokenizer>(64);
  loaded.source = "tiny";
  auto model = CreatePromptedModel(spec, loaded, *method, TinyData(), torch::kCPU);
  EXPECT_TRUE(model.ok()) << model.status();
  auto trainer = Trainer::Create(options, *std::move(model), TinyData());
  EXPECT_TRUE(trainer.ok()) << trainer.status();
  return trainer.ok() ? *std::move(trainer) : nullptr;
}

TEST(TrainerTest, LearnsASeparableTaskWithOnlyThePromptTraining) {
  ptune::v1::JobSpec spec = TinySpec();
  spec.mutable_train()->set_steps(60);
  spec.mutable_train()->set_eval_every(20);
  spec.mutable_prompt()->set_lr(0.1);
  CollectingSink sink;
  auto backbone = std::make_shared<TinyBackboneImpl>(64, 16, 11);
  const torch::Tensor table_before = backbone->EmbeddingTable().clone();
  auto trainer = MakeTrainer(spec, WithSink(&sink), backbone);
  const double before = trainer->Evaluate(trainer->data().validation).metrics.at("accuracy");
  auto outcome = trainer->Train();
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->last_step, 60u);
  EXPECT_GT(outcome->final_metrics.at("validation_accuracy"), 0.85) << "before: " << before;
  EXPECT_TRUE(outcome->final_metrics.count("test_macro_f1"));
  EXPECT_TRUE(torch::equal(table_before, backbone->EmbeddingTable())) << "backbone changed";
  EXPECT_EQ(sink.Losses().size(), 60u);
}

TEST(TrainerTest, ResumedRunReproducesTheUninterruptedLossCurve) {
  const ptune::v1::JobSpec spec = TinySpec();
  CollectingSink full_sink;
  auto full = MakeTrainer(spec, WithSink(&full_sink));
  ASSERT_TRUE(full->Train().ok());

  CollectingSink first_sink;
  std::string checkpoint;
  int polls = 0;
  TrainerOptions first_options = WithSink(&first_sink);
  first_options.should_stop = [&polls] { return ++polls > 5; };
  first_options.on_checkpoint = [&checkpoint](uint64_t, const std::string& bytes) {
    checkpoint = bytes;
    return absl::OkStatus();
  };
  auto first = MakeTrainer(spec, first_options);
  auto stopped = first->Train();
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_TRUE(stopped->stopped);
  EXPECT_EQ(stopped->last_step, 5u);
  ASSERT_FALSE(checkpoint.empty());

  CollectingSink second_sink;
  auto second = MakeTrainer(spec, WithSink(&second_sink));
  ASSERT_TRUE(second->Restore(checkpoint).ok());
  EXPECT_EQ(second->step(), 5u);
  auto rest = second->Train();
  ASSERT_TRUE(rest.ok()) << rest.status();

  std::vector<double> resumed = first_sink.Losses();
  const std::vector<double> tail = second_sink.Losses();
  resumed.insert(resumed.end(), tail.begin(), tail.end());
  EXPECT_EQ(resumed, full_sink.Losses());  // exact: same data order, optimizer and RNG state
  EXPECT_EQ(second_sink.events.front().step().step(), 6u);
  EXPECT_EQ(rest->final_metrics, full->Train()->final_metrics);
}

TEST(TrainerTest, EarlyStoppingEndsAfterPatienceEvaluationsWithoutImprovement) {
  ptune::v1::JobSpec spec = TinySpec();
  spec.mutable_prompt()->set_lr(1e-12);  // nothing changes, so nothing improves
  spec.mutable_train()->set_steps(40);
  spec.mutable_train()->set_eval_every(2);
  spec.mutable_train()->set_early_stopping_patience(2);
  CollectingSink sink;
  auto trainer = MakeTrainer(spec, WithSink(&sink));
  auto outcome = trainer->Train();
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->last_step, 6u);  // evals at 2 (best), 4, 6 (patience 2 exhausted)
  EXPECT_FALSE(outcome->stopped);
}

TEST(TrainerTest, NonFiniteLossIsAnErrorNamingTheStep) {
  auto backbone = std::make_shared<TinyBackboneImpl>(64, 16, 11);
  auto trainer = MakeTrainer(TinySpec(), TrainerOptions{}, backbone);
  backbone->set_poisoned(true);
  auto outcome = trainer->Train();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(outcome.status().message().find("at step 1"), std::string::npos) << outcome.status();
}

TEST(TrainerTest, LinearHeadAndBf16TrainToo) {
  ptune::v1::JobSpec spec = TinySpec();
  spec.mutable_model()->set_head(ptune::v1::HEAD_LINEAR);
  spec.mutable_train()->set_precision(ptune::v1::PRECISION_BF16);
  CollectingSink sink;
  auto trainer = MakeTrainer(spec, WithSink(&sink));
  EXPECT_EQ(trainer->TrainableTensors().size(), 3u);  // prompt, head weight, head bias
  auto outcome = trainer->Train();
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_FALSE(sink.events.empty());
  EXPECT_EQ(sink.events.front().step().learning_rates_size(), 2);  // prompt, head
}

}  // namespace
}  // namespace ptune::engine

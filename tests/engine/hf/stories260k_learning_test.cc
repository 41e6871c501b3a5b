// Evidence that prompt tuning learns on a real pretrained language model: PT and
// EPT + TSLoss on the committed stories260k (a 260K-parameter Llama 2) as a causal LM on
// the project's boat stories (examples/stories260k), with the model frozen. The held-out
// loss is measured with the freshly initialised prompt and again after training.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "common/spec_defaults.h"
#include "worker/engine/backbone_resolver.h"
#include "worker/engine/data/dataset.h"
#include "worker/engine/methods/method_factory.h"
#include "worker/engine/training/prompted_model.h"
#include "worker/engine/training/trainer.h"

namespace ptune::engine {
namespace {

// The recipe of examples/stories260k/pt-boat.yaml cut to 100 steps (that example runs 300).
ptune::v1::JobSpec StoriesSpec(ptune::v1::Method method, uint64_t seed) {
  ptune::v1::JobSpec spec;
  spec.set_method(method);
  spec.mutable_model()->set_source(PTUNE_STORIES260K);
  ptune::v1::DataSpec& data = *spec.mutable_data();
  data.set_task(ptune::v1::TASK_TYPE_CAUSAL_LM);
  data.set_train_file(PTUNE_STORIES_DATA "/train.jsonl");
  data.set_validation_file(PTUNE_STORIES_DATA "/validation.jsonl");
  data.set_max_seq_len(96);
  spec.mutable_prompt()->set_length(16);
  spec.mutable_prompt()->set_init(ptune::v1::PROMPT_INIT_VOCAB);
  spec.mutable_prompt()->set_lr(0.3);
  if (method == ptune::v1::METHOD_EPT) {
    spec.mutable_tsloss()->set_enabled(true);
  }
  spec.mutable_train()->set_steps(100);
  spec.mutable_train()->set_batch_size(8);
  spec.mutable_train()->set_warmup_steps(10);
  spec.mutable_train()->set_eval_every(100);
  spec.mutable_train()->set_checkpoint_every(1000);
  spec.mutable_topology()->set_every(0);
  spec.mutable_resources()->set_device(ptune::v1::DEVICE_KIND_CPU);
  spec.set_seed(seed);
  ApplySpecDefaults(&spec);
  return spec;
}

struct HeldOut {
  double before = 0, after = 0;
};

// Validation loss with the initial prompt and after training; the embedding table must
// come out unchanged (only the prompt trains).
HeldOut TrainAndMeasure(const ptune::v1::JobSpec& spec) {
  auto backbone = AcquireBackbone(spec.model(), torch::kCPU, nullptr);
  EXPECT_TRUE(backbone.ok()) << backbone.status();
  if (!backbone.ok()) return {};
  auto data = LoadDataSplits(spec.data());
  EXPECT_TRUE(data.ok()) << data.status();
  if (!data.ok()) return {};
  const torch::Tensor table = EmbeddingTableOf(*backbone).clone();
  torch::manual_seed(spec.seed());
  auto method = CreatePromptMethod(spec, EmbeddingTableOf(*backbone));
  EXPECT_TRUE(method.ok()) << method.status();
  if (!method.ok()) return {};
  auto model = CreatePromptedModel(spec, *backbone, *method, *data, torch::kCPU);
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return {};
  const std::vector<Example> validation = data->validation;
  TrainerOptions options;
  options.spec = spec;
  auto trainer = Trainer::Create(options, *std::move(model), *std::move(data));
  EXPECT_TRUE(trainer.ok()) << trainer.status();
  if (!trainer.ok()) return {};
  HeldOut out;
  out.before = (*trainer)->Evaluate(validation).metrics.at("loss");
  auto outcome = (*trainer)->Train();
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  if (!outcome.ok()) return {};
  out.after = outcome->final_metrics.at("validation_loss");
  EXPECT_TRUE(torch::equal(table, EmbeddingTableOf(*backbone)));
  return out;
}

class Stories260kLearning : public ::testing::TestWithParam<ptune::v1::Method> {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
};

// Measured over seeds 0-2 (100 steps, one thread, ~10 s each): PT 1.992 -> 1.504, 1.994 ->
// 1.474, 1.996 -> 1.491 (drops 0.49-0.52 nats); EPT + TSLoss 1.971 -> 1.571, 1.973 -> 1.609,
// 1.969 -> 1.577 (drops 0.36-0.40). The bar, 0.2 nats, is about half the smallest drop.
constexpr double kMargin = 0.2;

TEST_P(Stories260kLearning, HeldOutLossDropsByAStatedMargin) {
  const HeldOut loss = TrainAndMeasure(StoriesSpec(GetParam(), /*seed=*/0));
  EXPECT_LT(loss.after, loss.before - kMargin)
      << ptune::v1::Method_Name(GetParam()) << " held-out loss " << loss.before << " -> "
      << loss.after;
}

INSTANTIATE_TEST_SUITE_P(PtAndEptTsloss, Stories260kLearning,
                         ::testing::Values(ptune::v1::METHOD_PT, ptune::v1::METHOD_EPT));

}  // namespace
}  // namespace ptune::engine

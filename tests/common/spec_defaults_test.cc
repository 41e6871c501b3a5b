#include "common/spec_defaults.h"

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace ptune {
namespace {

TEST(SpecDefaults, EmptySpecGetsEveryDocumentedDefault) {
  v1::JobSpec spec;
  ApplySpecDefaults(&spec);
  EXPECT_EQ(spec.method(), v1::METHOD_PT);
  EXPECT_EQ(spec.seed(), 0u);
  EXPECT_EQ(spec.model().source(), "use-lite");
  EXPECT_EQ(spec.model().head(), v1::HEAD_VERBALIZER);
  EXPECT_FLOAT_EQ(spec.model().temperature(), 20);
  const v1::DataSpec& data = spec.data();
  EXPECT_EQ(data.text_field(), "text");
  EXPECT_EQ(data.label_field(), "label");
  EXPECT_EQ(data.format(), "");
  EXPECT_EQ(data.task(), v1::TASK_TYPE_CLASSIFICATION);
  EXPECT_FLOAT_EQ(data.validation_fraction(), 0.1f);
  EXPECT_FLOAT_EQ(data.test_fraction(), 0.1f);
  EXPECT_EQ(data.max_seq_len(), 64u);
  EXPECT_EQ(spec.prompt().length(), 100u);
  EXPECT_EQ(spec.prompt().init(), v1::PROMPT_INIT_RANDOM);
  EXPECT_FLOAT_EQ(spec.prompt().init_std(), 0);
  EXPECT_FLOAT_EQ(spec.prompt().lr(), 0.3f);
  EXPECT_EQ(spec.dept().short_length(), 0u);
  EXPECT_EQ(spec.dept().rank(), 0u);
  EXPECT_FLOAT_EQ(spec.dept().alpha(), 8);
  EXPECT_FLOAT_EQ(spec.dept().lowrank_lr(), 1e-3f);
  EXPECT_EQ(spec.ept().subspaces(), 4u);
  EXPECT_EQ(spec.ept().subspace_rank(), 4u);
  EXPECT_TRUE(spec.ept().fusion());
  EXPECT_FLOAT_EQ(spec.ept().fusion_gate_init(), 0);
  EXPECT_EQ(spec.ept().gate_input(), v1::GATE_INPUT_TASK);
  const v1::TrainSpec& train = spec.train();
  EXPECT_EQ(train.steps(), 300u);
  EXPECT_EQ(train.batch_size(), 32u);
  EXPECT_EQ(train.optimizer(), v1::OPTIMIZER_ADAMW);
  EXPECT_FLOAT_EQ(train.weight_decay(), 1e-5f);
  EXPECT_EQ(train.warmup_steps(), 0u);
  EXPECT_EQ(train.schedule(), v1::LR_SCHEDULE_LINEAR);
  EXPECT_FLOAT_EQ(train.grad_clip(), 1);
  EXPECT_EQ(train.precision(), v1::PRECISION_FP32);
  EXPECT_EQ(train.eval_every(), 50u);
  EXPECT_EQ(train.checkpoint_every(), 100u);
  EXPECT_EQ(train.log_every(), 1u);
  const v1::TSLossSpec& tsloss = spec.tsloss();
  EXPECT_FALSE(tsloss.enabled());
  EXPECT_FLOAT_EQ(tsloss.lambda0(), 0.1f);
  EXPECT_FLOAT_EQ(tsloss.lambda1(), 0.1f);
  EXPECT_FLOAT_EQ(tsloss.lambda_entropy(), 0);
  EXPECT_FALSE(tsloss.has_h0_target());
  EXPECT_EQ(tsloss.distance(), v1::DISTANCE_EUCLIDEAN);
  EXPECT_TRUE(tsloss.normalize());
  EXPECT_EQ(tsloss.every(), 1u);
  EXPECT_EQ(tsloss.reduction(), v1::TSLOSS_REDUCTION_PER_POINT);
  EXPECT_EQ(spec.topology().every(), 10u);
  EXPECT_EQ(spec.topology().diagram_every(), 50u);
  EXPECT_FLOAT_EQ(spec.topology().reference_scale(), 1);
  EXPECT_EQ(spec.topology().distance(), v1::DISTANCE_EUCLIDEAN);
  EXPECT_EQ(spec.resources().device(), v1::DEVICE_KIND_AUTO);
}

TEST(SpecDefaults, KeepsEveryValueTheUserSet) {
  v1::JobSpec spec;
  spec.set_method(v1::METHOD_DEPT);
  spec.mutable_model()->set_source("/models/t5");
  spec.mutable_prompt()->set_length(7);
  spec.mutable_train()->set_steps(0);  // explicit 0 is kept (and rejected by validation)
  spec.mutable_tsloss()->set_normalize(false);
  spec.mutable_tsloss()->set_reduction(v1::TSLOSS_REDUCTION_SUM);
  spec.mutable_ept()->set_fusion(false);
  spec.mutable_topology()->set_every(0);
  spec.mutable_data()->set_validation_fraction(0);
  ApplySpecDefaults(&spec);
  EXPECT_EQ(spec.method(), v1::METHOD_DEPT);
  EXPECT_EQ(spec.model().source(), "/models/t5");
  EXPECT_EQ(spec.prompt().length(), 7u);
  EXPECT_EQ(spec.train().steps(), 0u);
  EXPECT_FALSE(spec.tsloss().normalize());
  EXPECT_EQ(spec.tsloss().reduction(), v1::TSLOSS_REDUCTION_SUM);
  EXPECT_FALSE(spec.ept().fusion());
  EXPECT_EQ(spec.topology().every(), 0u);
  EXPECT_FLOAT_EQ(spec.data().validation_fraction(), 0);
}

TEST(SpecDefaults, InfersFormatFromTrainFileExtension) {
  struct Case {
    const char* file;
    const char* format;
    const char* expected;
  };
  for (const Case& c : {Case{"a/train.csv", "", "csv"}, Case{"TRAIN.JSONL", "", "jsonl"},
                        Case{"t.json", "", "jsonl"}, Case{"t.tsv", "", "tsv"},
                        Case{"t.txt", "", ""}, Case{"t.txt", "CSV", "csv"}}) {
    v1::JobSpec spec;
    spec.mutable_data()->set_train_file(c.file);
    spec.mutable_data()->set_format(c.format);
    ApplySpecDefaults(&spec);
    EXPECT_EQ(spec.data().format(), c.expected) << c.file << " " << c.format;
  }
}

TEST(SpecDefaults, VerbalizerDefaultsToTheLabelItself) {
  v1::JobSpec spec;
  spec.mutable_data()->add_labels("neg");
  spec.mutable_data()->add_labels("pos");
  (*spec.mutable_data()->mutable_verbalizers())["pos"] = "great";
  ApplySpecDefaults(&spec);
  EXPECT_EQ(spec.data().verbalizers().at("neg"), "neg");
  EXPECT_EQ(spec.data().verbalizers().at("pos"), "great");
  EXPECT_EQ(spec.data().verbalizers().size(), 2u);
}

TEST(SpecDefaults, Idempotent) {
  v1::JobSpec once;
  once.mutable_data()->set_train_file("x.csv");
  once.mutable_data()->add_labels("a");
  ApplySpecDefaults(&once);
  v1::JobSpec twice = once;
  ApplySpecDefaults(&twice);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(once, twice));
}

}  // namespace
}  // namespace ptune

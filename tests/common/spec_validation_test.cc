#include "common/spec_validation.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "common/spec_defaults.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptune {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using ::testing::HasSubstr;

v1::JobSpec ValidSpec() {
  v1::JobSpec spec;
  spec.mutable_data()->set_dataset("uci-sentiment");
  return spec;
}

TEST(SpecValidation, MinimalAndDefaultedSpecsAreValid) {
  v1::JobSpec spec = ValidSpec();
  EXPECT_TRUE(ValidateJobSpec(spec).ok()) << ValidateJobSpec(spec);
  ApplySpecDefaults(&spec);
  EXPECT_TRUE(ValidateJobSpec(spec).ok()) << ValidateJobSpec(spec);
}

TEST(SpecValidation, FullFileSpecIsValid) {
  v1::JobSpec spec;
  spec.set_method(v1::METHOD_EPT);
  v1::DataSpec* data = spec.mutable_data();
  data->set_train_file("train.tsv");
  data->set_validation_file("dev.tsv");
  data->add_labels("neg");
  data->add_labels("pos");
  (*data->mutable_verbalizers())["pos"] = "great";
  spec.mutable_dept()->set_short_length(60);
  spec.mutable_dept()->set_rank(30);
  spec.mutable_tsloss()->set_enabled(true);
  spec.mutable_tsloss()->set_h0_target(0.5);
  EXPECT_TRUE(ValidateJobSpec(spec).ok()) << ValidateJobSpec(spec);
}

struct Rule {
  const char* name;
  std::function<void(v1::JobSpec*)> mutate;
  const char* message;  // the whole INVALID_ARGUMENT message
};

class SpecValidationRules : public ::testing::TestWithParam<Rule> {};

TEST_P(SpecValidationRules, RejectsWithFieldPathRuleAndValue) {
  v1::JobSpec spec = ValidSpec();
  GetParam().mutate(&spec);
  absl::Status status = ValidateJobSpec(spec);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message()), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    All, SpecValidationRules,
    ::testing::Values(
        Rule{"StepsZero", [](v1::JobSpec* s) { s->mutable_train()->set_steps(0); },
             "train.steps: must be >= 1 (got 0)"},
        Rule{"BatchZero", [](v1::JobSpec* s) { s->mutable_train()->set_batch_size(0); },
             "train.batch_size: must be in [1, 4096] (got 0)"},
        Rule{"BatchHuge", [](v1::JobSpec* s) { s->mutable_train()->set_batch_size(4097); },
             "train.batch_size: must be in [1, 4096] (got 4097)"},
        Rule{"LrZero", [](v1::JobSpec* s) { s->mutable_prompt()->set_lr(0); },
             "prompt.lr: must be > 0 (got 0)"},
        Rule{"LrNegative", [](v1::JobSpec* s) { s->mutable_prompt()->set_lr(-0.5); },
             "prompt.lr: must be > 0 (got -0.5)"},
        Rule{"LrInfinite",
             [](v1::JobSpec* s) {
               s->mutable_prompt()->set_lr(std::numeric_limits<float>::infinity());
             },
             "prompt.lr: must be a finite number (got inf)"},
        Rule{"LowrankLr", [](v1::JobSpec* s) { s->mutable_dept()->set_lowrank_lr(0); },
             "dept.lowrank_lr: must be > 0 (got 0)"},
        Rule{"Alpha", [](v1::JobSpec* s) { s->mutable_dept()->set_alpha(-1); },
             "dept.alpha: must be > 0 (got -1)"},
        Rule{"PromptZero", [](v1::JobSpec* s) { s->mutable_prompt()->set_length(0); },
             "prompt.length: must be in [1, 4096] (got 0)"},
        Rule{"PromptHuge", [](v1::JobSpec* s) { s->mutable_prompt()->set_length(5000); },
             "prompt.length: must be in [1, 4096] (got 5000)"},
        Rule{"InitTextMissing",
             [](v1::JobSpec* s) { s->mutable_prompt()->set_init(v1::PROMPT_INIT_TEXT); },
             "prompt.init_text: required when prompt.init is text (got \"\")"},
        Rule{"InitStd", [](v1::JobSpec* s) { s->mutable_prompt()->set_init_std(-1); },
             "prompt.init_std: must be >= 0 (got -1)"},
        Rule{"RankWithoutShort", [](v1::JobSpec* s) { s->mutable_dept()->set_rank(8); },
             "dept.short_length: must be set together with dept.rank (or both 0) (got 0)"},
        Rule{"ShortWithoutRank", [](v1::JobSpec* s) { s->mutable_dept()->set_short_length(8); },
             "dept.rank: must be set together with dept.short_length (or both 0) (got 0)"},
        Rule{"ShortNotShorter",
             [](v1::JobSpec* s) {
               s->mutable_dept()->set_short_length(100);
               s->mutable_dept()->set_rank(4);
             },
             "dept.short_length: must be < prompt.length (100) (got 100)"},
        Rule{"SubspacesZero", [](v1::JobSpec* s) { s->mutable_ept()->set_subspaces(0); },
             "ept.subspaces: must be in [1, 64] (got 0)"},
        Rule{"SubspacesMany", [](v1::JobSpec* s) { s->mutable_ept()->set_subspaces(65); },
             "ept.subspaces: must be in [1, 64] (got 65)"},
        Rule{"SubspaceRank", [](v1::JobSpec* s) { s->mutable_ept()->set_subspace_rank(0); },
             "ept.subspace_rank: must be in [1, 1024] (got 0)"},
        Rule{"ValidationFraction",
             [](v1::JobSpec* s) { s->mutable_data()->set_validation_fraction(1); },
             "data.validation_fraction: must be in [0, 1) (got 1)"},
        Rule{"TestFractionNegative",
             [](v1::JobSpec* s) { s->mutable_data()->set_test_fraction(-0.1f); },
             "data.test_fraction: must be in [0, 1) (got -0.1)"},
        Rule{"FractionSum",
             [](v1::JobSpec* s) {
               s->mutable_data()->set_validation_fraction(0.5);
               s->mutable_data()->set_test_fraction(0.5);
             },
             "data.test_fraction: data.validation_fraction + data.test_fraction must be < 1 "
             "(got 0.5 + 0.5)"},
        Rule{"SeqLenZero", [](v1::JobSpec* s) { s->mutable_data()->set_max_seq_len(0); },
             "data.max_seq_len: must be in [1, 8192] (got 0)"},
        Rule{"SeqLenHuge", [](v1::JobSpec* s) { s->mutable_data()->set_max_seq_len(8193); },
             "data.max_seq_len: must be in [1, 8192] (got 8193)"},
        Rule{"Lambda0", [](v1::JobSpec* s) { s->mutable_tsloss()->set_lambda0(-1); },
             "tsloss.lambda0: must be >= 0 (got -1)"},
        Rule{"Lambda1", [](v1::JobSpec* s) { s->mutable_tsloss()->set_lambda1(-2); },
             "tsloss.lambda1: must be >= 0 (got -2)"},
        Rule{"LambdaEntropy",
             [](v1::JobSpec* s) { s->mutable_tsloss()->set_lambda_entropy(-3); },
             "tsloss.lambda_entropy: must be >= 0 (got -3)"},
        Rule{"H0Target", [](v1::JobSpec* s) { s->mutable_tsloss()->set_h0_target(-1); },
             "tsloss.h0_target: must be >= 0 (got -1)"},
        Rule{"TslossEvery", [](v1::JobSpec* s) { s->mutable_tsloss()->set_every(0); },
             "tsloss.every: must be >= 1 (got 0)"},
        Rule{"ReferenceScale",
             [](v1::JobSpec* s) { s->mutable_topology()->set_reference_scale(0); },
             "topology.reference_scale: must be > 0 (got 0)"},
        Rule{"Temperature", [](v1::JobSpec* s) { s->mutable_model()->set_temperature(0); },
             "model.temperature: must be > 0 (got 0)"},
        Rule{"WeightDecay", [](v1::JobSpec* s) { s->mutable_train()->set_weight_decay(-1); },
             "train.weight_decay: must be >= 0 (got -1)"},
        Rule{"GradClip", [](v1::JobSpec* s) { s->mutable_train()->set_grad_clip(-1); },
             "train.grad_clip: must be >= 0 (got -1)"},
        Rule{"Warmup", [](v1::JobSpec* s) { s->mutable_train()->set_warmup_steps(301); },
             "train.warmup_steps: must be <= train.steps (300) (got 301)"},
        Rule{"EvalEvery", [](v1::JobSpec* s) { s->mutable_train()->set_eval_every(0); },
             "train.eval_every: must be >= 1 (got 0)"},
        Rule{"CheckpointEvery",
             [](v1::JobSpec* s) { s->mutable_train()->set_checkpoint_every(0); },
             "train.checkpoint_every: must be >= 1 (got 0)"},
        Rule{"LogEvery", [](v1::JobSpec* s) { s->mutable_train()->set_log_every(0); },
             "train.log_every: must be >= 1 (got 0)"},
        Rule{"NoData", [](v1::JobSpec* s) { s->mutable_data()->clear_dataset(); },
             "data.train_file: required unless data.dataset names a built-in dataset (got \"\")"},
        Rule{"DatasetAndFile",
             [](v1::JobSpec* s) { s->mutable_data()->set_train_file("t.csv"); },
             "data.dataset: give either data.dataset or data.train_file, not both "
             "(got \"uci-sentiment\")"},
        Rule{"ValidationFileWithoutTrain",
             [](v1::JobSpec* s) { s->mutable_data()->set_validation_file("dev.csv"); },
             "data.validation_file: needs data.train_file (got \"dev.csv\")"},
        Rule{"TestFileWithoutTrain",
             [](v1::JobSpec* s) { s->mutable_data()->set_test_file("test.csv"); },
             "data.test_file: needs data.train_file (got \"test.csv\")"},
        Rule{"FormatUnknownExtension",
             [](v1::JobSpec* s) {
               s->mutable_data()->clear_dataset();
               s->mutable_data()->set_train_file("train.txt");
             },
             "data.format: cannot be inferred from the extension of data.train_file; set "
             "jsonl, csv or tsv (got \"\")"},
        Rule{"FormatBad",
             [](v1::JobSpec* s) {
               s->mutable_data()->clear_dataset();
               s->mutable_data()->set_train_file("train.txt");
               s->mutable_data()->set_format("xml");
             },
             "data.format: must be one of jsonl, csv, tsv (got \"xml\")"},
        Rule{"DuplicateLabel",
             [](v1::JobSpec* s) {
               s->mutable_data()->add_labels("a");
               s->mutable_data()->add_labels("a");
             },
             "data.labels[1]: duplicate label (got \"a\")"},
        Rule{"EmptyLabel",
             [](v1::JobSpec* s) {
               s->mutable_data()->add_labels("a");
               s->mutable_data()->add_labels("");
             },
             "data.labels[1]: must not be empty (got \"\"); data.verbalizers.: must not be "
             "empty (got \"\")"},
        Rule{"OneLabel", [](v1::JobSpec* s) { s->mutable_data()->add_labels("a"); },
             "data.labels: a classification task needs at least 2 labels (got 1 label)"},
        Rule{"VerbalizerNotALabel",
             [](v1::JobSpec* s) {
               s->mutable_data()->add_labels("neg");
               s->mutable_data()->add_labels("pos");
               (*s->mutable_data()->mutable_verbalizers())["positive"] = "great";
             },
             "data.verbalizers.positive: not one of data.labels (got \"positive\")"},
        Rule{"EmptyVerbalizer",
             [](v1::JobSpec* s) { (*s->mutable_data()->mutable_verbalizers())["pos"] = ""; },
             "data.verbalizers.pos: must not be empty (got \"\")"},
        Rule{"SameTextFields",
             [](v1::JobSpec* s) { s->mutable_data()->set_text_pair_field("text"); },
             "data.text_pair_field: must differ from data.text_field (got \"text\")"},
        Rule{"LabelIsText",
             [](v1::JobSpec* s) { s->mutable_data()->set_label_field("text"); },
             "data.label_field: must differ from data.text_field (got \"text\")"},
        Rule{"RegressionVerbalizer",
             [](v1::JobSpec* s) { s->mutable_data()->set_task(v1::TASK_TYPE_REGRESSION); },
             "model.head: the verbalizer head needs a classification task; use head: linear "
             "for regression (got verbalizer)"},
        Rule{"RegressionLabels",
             [](v1::JobSpec* s) {
               s->mutable_data()->set_task(v1::TASK_TYPE_REGRESSION);
               s->mutable_model()->set_head(v1::HEAD_LINEAR);
               s->mutable_data()->add_labels("a");
               s->mutable_data()->add_labels("b");
             },
             "data.labels: must be empty for a regression task (got 2 labels)"},
        Rule{"GpuMemoryOnCpu",
             [](v1::JobSpec* s) {
               s->mutable_resources()->set_device(v1::DEVICE_KIND_CPU);
               s->mutable_resources()->set_min_gpu_memory_bytes(1 << 30);
             },
             "resources.min_gpu_memory_bytes: only valid with device cuda or auto "
             "(got 1073741824)"},
        Rule{"EmptyWorkerLabelKey",
             [](v1::JobSpec* s) { (*s->mutable_resources()->mutable_worker_labels())[""] = "x"; },
             "resources.worker_labels: label keys must not be empty (got \"\")"},
        Rule{"UnknownEnumNumber",
             [](v1::JobSpec* s) { s->set_method(static_cast<v1::Method>(17)); },
             "method: unknown enum value (got 17)"},
        Rule{"TslossReductionUnknown",
             [](v1::JobSpec* s) {
               s->mutable_tsloss()->set_reduction(static_cast<v1::TSLossReduction>(3));
             },
             "tsloss.reduction: unknown enum value (got 3)"},
        Rule{"SeveralProblems",
             [](v1::JobSpec* s) {
               s->mutable_train()->set_steps(0);
               s->mutable_prompt()->set_length(0);
             },
             "prompt.length: must be in [1, 4096] (got 0); train.steps: must be >= 1 (got 0)"}),
    [](const ::testing::TestParamInfo<Rule>& info) { return info.param.name; });

// Collects the path of every float field in the spec's message tree.
void FloatFields(const google::protobuf::Descriptor& type, const std::string& prefix,
                 std::vector<std::string>* out) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* f = type.field(i);
    std::string path = prefix.empty() ? f->name() : prefix + "." + f->name();
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_map()) {
      FloatFields(*f->message_type(), path, out);
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
      out->push_back(path);
    }
  }
}

void SetFloatAtPath(Message* message, const std::string& path, float value) {
  size_t dot = path.find('.');
  const FieldDescriptor* f = message->GetDescriptor()->FindFieldByName(path.substr(0, dot));
  ASSERT_NE(f, nullptr) << path;
  if (dot == std::string::npos) {
    message->GetReflection()->SetFloat(message, f, value);
  } else {
    SetFloatAtPath(message->GetReflection()->MutableMessage(message, f), path.substr(dot + 1),
                   value);
  }
}

TEST(SpecValidationFinite, NanAndInfinityRejectedInEveryFloatField) {
  std::vector<std::string> paths;
  FloatFields(*v1::JobSpec::descriptor(), "", &paths);
  ASSERT_GE(paths.size(), 15u);  // spec.proto has this many float fields today
  for (const std::string& path : paths) {
    for (float bad :
         {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity()}) {
      v1::JobSpec spec = ValidSpec();
      SetFloatAtPath(&spec, path, bad);
      absl::Status status = ValidateJobSpec(spec);
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << path;
      EXPECT_EQ(status.message(), path + ": must be a finite number (got " +
                                      (std::isnan(bad) ? "nan" : "-inf") + ")");
    }
  }
}

}  // namespace
}  // namespace ptune

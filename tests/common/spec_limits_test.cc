// Every bound of common/spec_limits.h: at the limit accepted, one over rejected with the
// field and the limit named. UTF-8 checks of every text. The effective-spec contract.
#include "common/spec_limits.h"

#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/spec_defaults.h"
#include "common/spec_validation.h"
#include "common/utf8.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace ptune {
namespace {

using ::testing::HasSubstr;

v1::JobSpec Base() {
  v1::JobSpec spec;
  spec.mutable_data()->set_dataset("uci-sentiment");
  return spec;
}

struct Bound {
  const char* field;                                // the path the error names
  std::string limit;                                // the limit the error names
  std::function<void(v1::JobSpec*, uint64_t)> set;  // sets the size to n
  uint64_t at;                                      // the limit as a size
};

std::string Text(uint64_t n) { return std::string(n, 'a'); }

std::vector<Bound> Bounds() {
  return {
      {"name", "at most 256 bytes", [](v1::JobSpec* s, uint64_t n) { s->set_name(Text(n)); },
       kMaxNameBytes},
      {"model.source", "at most 4096 bytes",
       [](v1::JobSpec* s, uint64_t n) { s->mutable_model()->set_source("/" + Text(n - 1)); },
       kMaxPathBytes},
      {"data.dataset", "at most 256 bytes",
       [](v1::JobSpec* s, uint64_t n) { s->mutable_data()->set_dataset(Text(n)); }, kMaxNameBytes},
      {"data.train_file", "at most 4096 bytes",
       [](v1::JobSpec* s, uint64_t n) {
         s->mutable_data()->clear_dataset();
         s->mutable_data()->set_train_file(Text(n - 4) + ".csv");
       },
       kMaxPathBytes},
      {"data.text_field", "at most 256 bytes",
       [](v1::JobSpec* s, uint64_t n) { s->mutable_data()->set_text_field(Text(n)); },
       kMaxFieldNameBytes},
      {"data.label_field", "at most 256 bytes",
       [](v1::JobSpec* s, uint64_t n) { s->mutable_data()->set_label_field(Text(n)); },
       kMaxFieldNameBytes},
      {"data.text_pair_field", "at most 256 bytes",
       [](v1::JobSpec* s, uint64_t n) { s->mutable_data()->set_text_pair_field(Text(n)); },
       kMaxFieldNameBytes},
      {"prompt.init_text", "at most 16384 bytes",
       [](v1::JobSpec* s, uint64_t n) { s->mutable_prompt()->set_init_text(Text(n)); },
       kMaxInitTextBytes},
      {"data.labels", "at most 1024 labels",
       [](v1::JobSpec* s, uint64_t n) {
         for (uint64_t i = 0; i < n; ++i) s->mutable_data()->add_labels("l" + std::to_string(i));
       },
       kMaxLabels},
      {"data.labels[1]", "at most 256 bytes",
       [](v1::JobSpec* s, uint64_t n) {
         s->mutable_data()->add_labels("neg");
         s->mutable_data()->add_labels(Text(n));
       },
       kMaxLabelBytes},
      {"data.verbalizers", "at most 1024 verbalizers",
       [](v1::JobSpec* s, uint64_t n) {
         for (uint64_t i = 0; i < n; ++i) {
           (*s->mutable_data()->mutable_verbalizers())["l" + std::to_string(i)] = "x";
         }
       },
       kMaxLabels},
      {"data.verbalizers.pos", "at most 1024 bytes",
       [](v1::JobSpec* s, uint64_t n) {
         (*s->mutable_data()->mutable_verbalizers())["pos"] = Text(n);
       },
       kMaxVerbalizerBytes},
      {"data.max_seq_len", "must be in [1, 8192]",
       [](v1::JobSpec* s, uint64_t n) { s->mutable_data()->set_max_seq_len(n); }, kMaxSeqLen},
      {"prompt.length", "must be in [1, 4096]",
       [](v1::JobSpec* s, uint64_t n) { s->mutable_prompt()->set_length(n); }, kMaxPromptLength},
      {"train.batch_size", "must be in [1, 4096]",
       [](v1::JobSpec* s, uint64_t n) { s->mutable_train()->set_batch_size(n); }, kMaxBatchSize},
      {"train.steps", "at most 1000000 steps",
       [](v1::JobSpec* s, uint64_t n) { s->mutable_train()->set_steps(n); }, kMaxSteps},
      {"dept.rank", "must be in [0, 4096]",
       [](v1::JobSpec* s, uint64_t n) {
         s->mutable_dept()->set_rank(n);
         s->mutable_dept()->set_short_length(10);
       },
       kMaxDeptRank},
      {"ept.subspaces", "must be in [1, 64]",
       [](v1::JobSpec* s, uint64_t n) { s->mutable_ept()->set_subspaces(n); }, kMaxEptSubspaces},
      {"ept.subspace_rank", "must be in [1, 1024]",
       [](v1::JobSpec* s, uint64_t n) { s->mutable_ept()->set_subspace_rank(n); },
       kMaxEptSubspaceRank},
      {"resources.min_gpu_memory_bytes", "at most 1099511627776 bytes",
       [](v1::JobSpec* s, uint64_t n) { s->mutable_resources()->set_min_gpu_memory_bytes(n); },
       kMaxGpuMemoryBytes},
      {"resources.worker_labels", "at most 64 labels",
       [](v1::JobSpec* s, uint64_t n) {
         for (uint64_t i = 0; i < n; ++i) {
           (*s->mutable_resources()->mutable_worker_labels())["k" + std::to_string(i)] = "v";
         }
       },
       kMaxWorkerLabels},
      {"resources.worker_labels.zone", "at most 256 bytes",
       [](v1::JobSpec* s, uint64_t n) {
         (*s->mutable_resources()->mutable_worker_labels())["zone"] = Text(n);
       },
       kMaxWorkerLabelValueBytes},
  };
}

TEST(SpecLimits, EachSizeIsAcceptedAtItsLimitAndRejectedOneOverNamingFieldAndLimit) {
  for (const Bound& bound : Bounds()) {
    SCOPED_TRACE(bound.field);
    v1::JobSpec at = Base(), over = Base();
    bound.set(&at, bound.at);
    bound.set(&over, bound.at + 1);
    const absl::Status ok = ValidateJobSpec(at);
    EXPECT_TRUE(ok.ok()) << ok;
    const absl::Status rejected = ValidateJobSpec(over);
    EXPECT_EQ(rejected.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(rejected.message()),
                HasSubstr(std::string(bound.field) + ": " + bound.limit))
        << rejected;
  }
}

// Intervals are bounded by the number of reports they make over train.steps.
TEST(SpecLimits, IntervalsLeaveABoundedNumberOfReportsAndSayTheSmallestAllowed) {
  struct Interval {
    const char* field;
    std::function<void(v1::JobSpec*, uint32_t)> set;
    uint64_t max_reports;
  };
  const Interval intervals[] = {
      {"train.eval_every",
       [](v1::JobSpec* s, uint32_t e) { s->mutable_train()->set_eval_every(e); }, kMaxEvaluations},
      {"train.checkpoint_every",
       [](v1::JobSpec* s, uint32_t e) { s->mutable_train()->set_checkpoint_every(e); },
       kMaxCheckpoints},
      {"topology.every", [](v1::JobSpec* s, uint32_t e) { s->mutable_topology()->set_every(e); },
       kMaxTopologyReports},
      {"topology.diagram_every",
       [](v1::JobSpec* s, uint32_t e) { s->mutable_topology()->set_diagram_every(e); },
       kMaxDiagrams},
  };
  for (const Interval& interval : intervals) {
    SCOPED_TRACE(interval.field);
    const uint32_t smallest = static_cast<uint32_t>(kMaxSteps / interval.max_reports);
    v1::JobSpec at = Base(), over = Base();
    at.mutable_train()->set_steps(kMaxSteps);
    over.mutable_train()->set_steps(kMaxSteps);
    interval.set(&at, smallest);
    interval.set(&over, smallest - 1);
    EXPECT_TRUE(ValidateJobSpec(at).ok()) << ValidateJobSpec(at);
    EXPECT_THAT(std::string(ValidateJobSpec(over).message()),
                HasSubstr(absl::StrCat(interval.field, ": at most ", interval.max_reports)));
    EXPECT_THAT(std::string(ValidateJobSpec(over).message()),
                HasSubstr(absl::StrCat("must be >= ", smallest)));
  }
  // The defaults pass at the longest run.
  v1::JobSpec longest = Base();
  longest.mutable_train()->set_steps(kMaxSteps);
  EXPECT_TRUE(ValidateJobSpec(longest).ok()) << ValidateJobSpec(longest);
  // 0 disables the topology reports: no bound applies.
  longest.mutable_topology()->set_every(0);
  longest.mutable_topology()->set_diagram_every(0);
  EXPECT_TRUE(ValidateJobSpec(longest).ok()) << ValidateJobSpec(longest);
}

TEST(SpecLimits, PromptElementsBoundLengthTimesHiddenSize) {
  EXPECT_TRUE(CheckPromptElements(2048, 8192).ok());
  const absl::Status over = CheckPromptElements(2049, 8192);
  EXPECT_EQ(over.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(over.message()),
              HasSubstr("prompt.length: at most 2048 rows for a hidden size of 8192"));
  EXPECT_TRUE(CheckPromptElements(4096, 4096).ok());
  EXPECT_FALSE(CheckPromptElements(4096, 4097).ok());
  EXPECT_TRUE(CheckPromptElements(4096, 0).ok()) << "unknown hidden size: checked at load";
  EXPECT_EQ(BuiltinHiddenSize("use-lite"), 256);
  EXPECT_EQ(BuiltinHiddenSize("/models/llama"), 0);
}

TEST(SpecLimits, AHostileSpecGivesABoundedMessage) {
  v1::JobSpec spec = Base();
  spec.mutable_data()->set_dataset("");
  spec.mutable_data()->set_train_file("t.csv");
  for (int i = 0; i < 500; ++i) spec.mutable_data()->add_labels("");  // 500 problems
  const absl::Status status = ValidateJobSpec(spec);
  EXPECT_THAT(std::string(status.message()), HasSubstr("more problems"));
  EXPECT_LT(status.message().size(), 4000u);
}

TEST(SpecUtf8, InvalidTextsAndLabelsAreRejectedWithTheFieldNamed) {
  const std::string bad = "ok\xff";
  struct Case {
    const char* field;
    std::function<void(v1::JobSpec*)> set;
  };
  const Case cases[] = {
      {"name", [&](v1::JobSpec* s) { s->set_name(bad); }},
      {"data.labels[1]",
       [&](v1::JobSpec* s) {
         s->mutable_data()->add_labels("neg");
         s->mutable_data()->add_labels(bad);
       }},
      {"data.verbalizers.pos",
       [&](v1::JobSpec* s) { (*s->mutable_data()->mutable_verbalizers())["pos"] = bad; }},
      {"data.verbalizers",
       [&](v1::JobSpec* s) { (*s->mutable_data()->mutable_verbalizers())[bad] = "x"; }},
      {"prompt.init_text", [&](v1::JobSpec* s) { s->mutable_prompt()->set_init_text(bad); }},
      {"data.text_field", [&](v1::JobSpec* s) { s->mutable_data()->set_text_field(bad); }},
      {"resources.worker_labels.zone",
       [&](v1::JobSpec* s) { (*s->mutable_resources()->mutable_worker_labels())["zone"] = bad; }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    v1::JobSpec spec = Base();
    c.set(&spec);
    const absl::Status status = ValidateJobSpec(spec);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(
        std::string(status.message()),
        HasSubstr(std::string(c.field) + ": must be valid UTF-8 (invalid byte 0xFF at offset 2)"));
    EXPECT_FALSE(FirstInvalidUtf8(std::string(status.message())).has_value())
        << "the message itself is UTF-8";
  }
}

TEST(SpecUtf8, ValidatorFollowsTheUnicodeRules) {
  EXPECT_FALSE(FirstInvalidUtf8("plain, é, 中文, 🙂").has_value());
  EXPECT_EQ(FirstInvalidUtf8("ab\xc0\xaf"), 2u);         // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8("\xed\xa0\x80"), 0u);       // surrogate U+D800
  EXPECT_EQ(FirstInvalidUtf8("x\xf4\x90\x80\x80"), 1u);  // above U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("\xe4\xb8"), 0u);           // truncated
  EXPECT_EQ(QuoteForMessage("a\xff\nb"), "\"a\\xff\\x0ab\"");
  EXPECT_EQ(QuoteForMessage(std::string(100, 'x'), 10), "\"xxxxxxxxxx...\"");
}

TEST(EffectiveSpec, DefaultsAreIdempotentAndCheckDefaultsAppliedSaysWhatIsMissing) {
  v1::JobSpec raw = Base();
  raw.mutable_data()->add_labels("neg");
  raw.mutable_data()->add_labels("pos");
  const absl::Status missing = CheckDefaultsApplied(raw);
  EXPECT_EQ(missing.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(missing.message()), HasSubstr("defaults were not applied"));
  EXPECT_THAT(std::string(missing.message()), HasSubstr("added:"));

  v1::JobSpec effective = raw;
  ApplySpecDefaults(&effective);
  EXPECT_TRUE(CheckDefaultsApplied(effective).ok()) << CheckDefaultsApplied(effective);
  v1::JobSpec twice = effective;
  ApplySpecDefaults(&twice);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(twice, effective));
  EXPECT_TRUE(ValidateJobSpec(effective).ok());
}

}  // namespace
}  // namespace ptune

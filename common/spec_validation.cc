#include "common/spec_validation.h"

#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/spec_defaults.h"
#include "common/spec_limits.h"
#include "common/utf8.h"

namespace ptune {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// User texts in messages are cut short and escaped: a message quotes, never echoes.
std::string Quoted(const std::string& s) { return QuoteForMessage(s); }

// Enough to fix a spec in a few rounds; a hostile spec cannot make the message huge.
constexpr size_t kMaxReportedProblems = 20;

// Collects "<path>: <rule> (got <value>)" lines. Range helpers skip non-finite values:
// CheckFinite reports those once for every field.
class Problems {
 public:
  explicit Problems(absl::string_view path_prefix) : prefix_(path_prefix) {}
  void Add(absl::string_view path, absl::string_view rule, absl::string_view got) {
    lines_.push_back(absl::StrCat(prefix_, path, ": ", rule, " (got ", got, ")"));
  }
  void InRange(absl::string_view path, uint64_t v, uint64_t lo, uint64_t hi) {
    if (v < lo || v > hi) Add(path, absl::StrCat("must be in [", lo, ", ", hi, "]"), Str(v));
  }
  void AtLeastOne(absl::string_view path, uint64_t v) {
    if (v < 1) Add(path, "must be >= 1", Str(v));
  }
  void Positive(absl::string_view path, double v) {
    if (std::isfinite(v) && v <= 0) Add(path, "must be > 0", Str(v));
  }
  void NonNegative(absl::string_view path, double v) {
    if (std::isfinite(v) && v < 0) Add(path, "must be >= 0", Str(v));
  }
  void Fraction(absl::string_view path, double v) {
    if (std::isfinite(v) && (v < 0 || v >= 1)) Add(path, "must be in [0, 1)", Str(v));
  }
  void AddLines(std::vector<std::string> lines) {
    for (std::string& line : lines) lines_.push_back(absl::StrCat(prefix_, line));
  }
  absl::Status ToStatus() const {
    if (lines_.empty()) return absl::OkStatus();
    if (lines_.size() <= kMaxReportedProblems) {
      return absl::InvalidArgumentError(absl::StrJoin(lines_, "; "));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(absl::StrJoin(lines_.begin(), lines_.begin() + kMaxReportedProblems, "; "),
                     "; and ", lines_.size() - kMaxReportedProblems, " more problems"));
  }
  template <typename T>
  static std::string Str(T v) {
    return absl::StrCat(v);
  }

 private:
  const std::string prefix_;
  std::vector<std::string> lines_;
};

// Every float/double must be finite and every enum a defined value, whatever the field.
void CheckFiniteAndEnums(const Message& message, const std::string& path, Problems* problems) {
  const Reflection* r = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  for (const FieldDescriptor* f : fields) {
    std::string field_path = path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    int count = f->is_repeated() ? r->FieldSize(message, f) : 1;
    for (int i = 0; i < count; ++i) {
      std::string at = f->is_repeated() ? absl::StrCat(field_path, "[", i, "]") : field_path;
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_FLOAT:
        case FieldDescriptor::CPPTYPE_DOUBLE: {
          double v = f->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT
                         ? (f->is_repeated() ? r->GetRepeatedFloat(message, f, i)
                                             : r->GetFloat(message, f))
                         : (f->is_repeated() ? r->GetRepeatedDouble(message, f, i)
                                             : r->GetDouble(message, f));
          if (!std::isfinite(v)) problems->Add(at, "must be a finite number", Problems::Str(v));
          break;
        }
        case FieldDescriptor::CPPTYPE_ENUM: {
          int v = f->is_repeated() ? r->GetRepeatedEnumValue(message, f, i)
                                   : r->GetEnumValue(message, f);
          if (f->enum_type()->FindValueByNumber(v) == nullptr) {
            problems->Add(at, "unknown enum value", Problems::Str(v));
          }
          break;
        }
        case FieldDescriptor::CPPTYPE_MESSAGE:
          if (!f->is_map()) {
            CheckFiniteAndEnums(
                f->is_repeated() ? r->GetRepeatedMessage(message, f, i) : r->GetMessage(message, f),
                at, problems);
          }
          break;
        default:
          break;
      }
    }
  }
}

void CheckModel(const v1::JobSpec& spec, Problems* p) {
  p->Positive("model.temperature", spec.model().temperature());
  if (spec.data().task() == v1::TASK_TYPE_REGRESSION &&
      spec.model().head() == v1::HEAD_VERBALIZER) {
    p->Add("model.head",
           "the verbalizer head needs a classification task; use head: linear for regression",
           "verbalizer");
  }
  if (spec.data().task() == v1::TASK_TYPE_CAUSAL_LM && spec.model().head() == v1::HEAD_LINEAR) {
    p->Add("model.head", "a causal-LM task scores tokens; it has no head", "linear");
  }
}

void CheckDataSource(const v1::DataSpec& data, Problems* p) {
  if (data.dataset().empty() && data.train_file().empty()) {
    p->Add("data.train_file", "required unless data.dataset names a built-in dataset", Quoted(""));
  }
  if (!data.dataset().empty() && !data.train_file().empty()) {
    p->Add("data.dataset", "give either data.dataset or data.train_file, not both",
           Quoted(data.dataset()));
  }
  if (data.train_file().empty()) {
    if (!data.validation_file().empty()) {
      p->Add("data.validation_file", "needs data.train_file", Quoted(data.validation_file()));
    }
    if (!data.test_file().empty()) {
      p->Add("data.test_file", "needs data.train_file", Quoted(data.test_file()));
    }
    return;
  }
  const std::string& format = data.format();
  if (format.empty()) {
    p->Add("data.format",
           "cannot be inferred from the extension of data.train_file; set jsonl, csv or tsv",
           Quoted(format));
  } else if (format != "jsonl" && format != "csv" && format != "tsv") {
    p->Add("data.format", "must be one of jsonl, csv, tsv", Quoted(format));
  }
}

void CheckLabels(const v1::DataSpec& data, Problems* p) {
  std::set<std::string> labels;
  for (int i = 0; i < data.labels_size(); ++i) {
    std::string path = absl::StrCat("data.labels[", i, "]");
    if (data.labels(i).empty()) p->Add(path, "must not be empty", Quoted(""));
    if (!labels.insert(data.labels(i)).second) {
      p->Add(path, "duplicate label", Quoted(data.labels(i)));
    }
  }
  if (data.task() == v1::TASK_TYPE_REGRESSION && data.labels_size() > 0) {
    p->Add("data.labels", "must be empty for a regression task",
           absl::StrCat(data.labels_size(), " labels"));
  }
  if (data.task() != v1::TASK_TYPE_REGRESSION && data.labels_size() == 1) {
    p->Add("data.labels", "a classification task needs at least 2 labels", "1 label");
  }
  // Sorted so messages come out in a stable order.
  std::set<std::string> verbalized;
  for (const auto& [label, text] : data.verbalizers()) verbalized.insert(label);
  for (const std::string& label : verbalized) {
    std::string path = absl::StrCat("data.verbalizers.", label);
    if (!labels.empty() && labels.count(label) == 0) {
      p->Add(path, "not one of data.labels", Quoted(label));
    }
    if (data.verbalizers().at(label).empty()) p->Add(path, "must not be empty", Quoted(""));
  }
}

// The language-model task fields: a causal-LM task has no labels, pairs or built-in
// dataset (those are classification); its prompt/completion keys exist only for it.
void CheckTaskFields(const v1::DataSpec& data, Problems* p) {
  const bool causal = data.task() == v1::TASK_TYPE_CAUSAL_LM;
  if (causal) {
    if (data.labels_size() > 0) {
      p->Add("data.labels", "must be empty for a causal-LM task",
             absl::StrCat(data.labels_size(), " labels"));
    }
    if (!data.text_pair_field().empty()) {
      p->Add("data.text_pair_field", "must be empty for a causal-LM task",
             Quoted(data.text_pair_field()));
    }
    if (!data.dataset().empty()) {
      p->Add("data.dataset", "built-in datasets are classification; give data.train_file (JSONL)",
             Quoted(data.dataset()));
    }
    if (!data.template_text().empty()) {
      p->Add("data.template_text", "is for label-word classification, not causal LM",
             Quoted(data.template_text()));
    }
  } else {
    if (!data.prompt_field().empty()) {
      p->Add("data.prompt_field", "only for task CAUSAL_LM", Quoted(data.prompt_field()));
    }
    if (!data.completion_field().empty()) {
      p->Add("data.completion_field", "only for task CAUSAL_LM", Quoted(data.completion_field()));
    }
  }
  if (!data.completion_field().empty() && data.completion_field() == data.prompt_field()) {
    p->Add("data.completion_field", "must differ from data.prompt_field",
           Quoted(data.completion_field()));
  }
  if (data.template_text().size() > kMaxInitTextBytes) {
    p->Add("data.template_text", absl::StrCat("must be at most ", kMaxInitTextBytes, " bytes"),
           absl::StrCat(data.template_text().size(), " bytes"));
  }
  for (const auto& [path, value] : {std::pair{"data.prompt_field", &data.prompt_field()},
                                    {"data.completion_field", &data.completion_field()}}) {
    if (value->size() > kMaxFieldNameBytes) {
      p->Add(path, absl::StrCat("must be at most ", kMaxFieldNameBytes, " bytes"),
             absl::StrCat(value->size(), " bytes"));
    }
  }
}

void CheckData(const v1::DataSpec& data, Problems* p) {
  CheckDataSource(data, p);
  if (!data.text_pair_field().empty() && data.text_pair_field() == data.text_field()) {
    p->Add("data.text_pair_field", "must differ from data.text_field",
           Quoted(data.text_pair_field()));
  }
  if (data.label_field() == data.text_field()) {
    p->Add("data.label_field", "must differ from data.text_field", Quoted(data.label_field()));
  }
  CheckLabels(data, p);
  CheckTaskFields(data, p);
  p->Fraction("data.validation_fraction", data.validation_fraction());
  p->Fraction("data.test_fraction", data.test_fraction());
  double sum = double{data.validation_fraction()} + data.test_fraction();
  if (std::isfinite(sum) && sum >= 1 && data.validation_fraction() < 1 &&
      data.test_fraction() < 1) {
    p->Add("data.test_fraction", "data.validation_fraction + data.test_fraction must be < 1",
           absl::StrCat(data.validation_fraction(), " + ", data.test_fraction()));
  }
  p->InRange("data.max_seq_len", data.max_seq_len(), 1, kMaxSeqLen);
}

void CheckPrompt(const v1::JobSpec& spec, Problems* p) {
  const v1::PromptSpec& prompt = spec.prompt();
  p->InRange("prompt.length", prompt.length(), 1, kMaxPromptLength);
  if (prompt.init() == v1::PROMPT_INIT_TEXT && prompt.init_text().empty()) {
    p->Add("prompt.init_text", "required when prompt.init is text", Quoted(""));
  }
  p->NonNegative("prompt.init_std", prompt.init_std());
  p->Positive("prompt.lr", prompt.lr());
}

void CheckDept(const v1::JobSpec& spec, Problems* p) {
  const v1::DeptSpec& dept = spec.dept();
  if ((dept.short_length() == 0) != (dept.rank() == 0)) {
    if (dept.rank() == 0) {
      p->Add("dept.rank", "must be set together with dept.short_length (or both 0)", "0");
    } else {
      p->Add("dept.short_length", "must be set together with dept.rank (or both 0)", "0");
    }
  }
  if (dept.short_length() != 0 && dept.short_length() >= spec.prompt().length()) {
    p->Add("dept.short_length",
           absl::StrCat("must be < prompt.length (", spec.prompt().length(), ")"),
           Problems::Str(dept.short_length()));
  }
  p->InRange("dept.rank", dept.rank(), 0, kMaxDeptRank);
  p->Positive("dept.alpha", dept.alpha());
  p->Positive("dept.lowrank_lr", dept.lowrank_lr());
}

void CheckEpt(const v1::EptSpec& ept, Problems* p) {
  p->InRange("ept.subspaces", ept.subspaces(), 1, kMaxEptSubspaces);
  p->InRange("ept.subspace_rank", ept.subspace_rank(), 1, kMaxEptSubspaceRank);
}

void CheckTrain(const v1::TrainSpec& train, Problems* p) {
  p->AtLeastOne("train.steps", train.steps());
  p->InRange("train.batch_size", train.batch_size(), 1, kMaxBatchSize);
  p->NonNegative("train.weight_decay", train.weight_decay());
  if (train.warmup_steps() > train.steps()) {
    p->Add("train.warmup_steps", absl::StrCat("must be <= train.steps (", train.steps(), ")"),
           Problems::Str(train.warmup_steps()));
  }
  p->NonNegative("train.grad_clip", train.grad_clip());
  p->AtLeastOne("train.eval_every", train.eval_every());
  p->AtLeastOne("train.checkpoint_every", train.checkpoint_every());
  p->AtLeastOne("train.log_every", train.log_every());
}

void CheckTsloss(const v1::TSLossSpec& tsloss, Problems* p) {
  p->NonNegative("tsloss.lambda0", tsloss.lambda0());
  p->NonNegative("tsloss.lambda1", tsloss.lambda1());
  p->NonNegative("tsloss.lambda_entropy", tsloss.lambda_entropy());
  if (tsloss.has_h0_target()) p->NonNegative("tsloss.h0_target", tsloss.h0_target());
  p->AtLeastOne("tsloss.every", tsloss.every());
}

void CheckResources(const v1::ResourceSpec& resources, Problems* p) {
  if (resources.device() == v1::DEVICE_KIND_CPU && resources.min_gpu_memory_bytes() > 0) {
    p->Add("resources.min_gpu_memory_bytes", "only valid with device cuda or auto",
           Problems::Str(resources.min_gpu_memory_bytes()));
  }
  for (const auto& [key, value] : resources.worker_labels()) {
    if (key.empty()) p->Add("resources.worker_labels", "label keys must not be empty", Quoted(""));
  }
}

}  // namespace

absl::Status ValidateJobSpec(const v1::JobSpec& raw, absl::string_view path_prefix) {
  v1::JobSpec spec = raw;
  ApplySpecDefaults(&spec);
  Problems problems(path_prefix);
  problems.AddLines(InvalidUtf8Fields(raw));
  problems.AddLines(SpecLimitViolations(spec));
  CheckFiniteAndEnums(spec, "", &problems);
  CheckModel(spec, &problems);
  CheckData(spec.data(), &problems);
  CheckPrompt(spec, &problems);
  CheckDept(spec, &problems);
  CheckEpt(spec.ept(), &problems);
  CheckTrain(spec.train(), &problems);
  CheckTsloss(spec.tsloss(), &problems);
  problems.Positive("topology.reference_scale", spec.topology().reference_scale());
  CheckResources(spec.resources(), &problems);
  return problems.ToStatus();
}

}  // namespace ptune

#include "client/view/event_lines.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/job_state.h"
#include "google/protobuf/util/json_util.h"

namespace ptune::client {

namespace v1 = ::ptune::v1;

namespace {

std::string StepLine(const v1::StepRecord& r) {
  std::string line = absl::StrCat("step ", r.step(), "/", r.total_steps(), " loss=", r.loss(),
                                  " task_loss=", r.task_loss(), " tsloss=", r.tsloss());
  if (r.batch_accuracy() > 0) absl::StrAppend(&line, " acc=", r.batch_accuracy());
  if (r.tokens_per_second() > 0) absl::StrAppend(&line, " tok/s=", r.tokens_per_second());
  if (r.grad_norm() > 0) absl::StrAppend(&line, " grad_norm=", r.grad_norm());
  return line;
}

std::string EvalLine(const v1::EvalRecord& r) {
  // Sorted so lines are stable (protobuf maps iterate in no fixed order).
  std::map<std::string, double> metrics(r.metrics().begin(), r.metrics().end());
  return absl::StrCat("eval step=", r.step(), " ", r.split(), " ",
                      absl::StrJoin(metrics, " ", absl::PairFormatter("=")));
}

std::string TopologyLine(const v1::TopologySnapshot& t) {
  const v1::TopologySummary& s = t.summary();
  std::string line =
      absl::StrCat("topology step=", t.step(), " h0_bars=", s.h0_bars(),
                   " h0_total=", s.h0_total_persistence(), " h1_bars=", s.h1_bars(),
                   " h1_total=", s.h1_total_persistence(), " h1_max=", s.h1_max_lifetime(),
                   " betti0=", s.betti0_at_scale(), " betti1=", s.betti1_at_scale());
  if (t.pairs_size() > 0) absl::StrAppend(&line, " pairs=", t.pairs_size());
  return line;
}

std::string LevelName(v1::LogLine::Level level) {
  switch (level) {
    case v1::LogLine::LEVEL_WARNING:
      return "warning";
    case v1::LogLine::LEVEL_ERROR:
      return "error";
    default:
      return "info";
  }
}

}  // namespace

std::string FormatEventLine(const v1::JobEvent& event) {
  std::string prefix = absl::StrCat("#", event.seq(), " ");
  switch (event.kind_case()) {
    case v1::JobEvent::kState: {
      const v1::StateChange& s = event.state();
      std::string line = absl::StrCat(prefix, "state ", std::string(ShortStateName(s.from())),
                                      " -> ", std::string(ShortStateName(s.to())));
      if (!s.worker_id().empty()) absl::StrAppend(&line, " on ", s.worker_id());
      if (!s.reason().empty()) absl::StrAppend(&line, " (", s.reason(), ")");
      return line;
    }
    case v1::JobEvent::kStep:
      return prefix + StepLine(event.step());
    case v1::JobEvent::kEval:
      return prefix + EvalLine(event.eval());
    case v1::JobEvent::kTopology:
      return prefix + TopologyLine(event.topology());
    case v1::JobEvent::kLog:
      return absl::StrCat(prefix, "log ", LevelName(event.log().level()), ": ",
                          event.log().message());
    case v1::JobEvent::kCheckpoint:
      return absl::StrCat(prefix, "checkpoint step=", event.checkpoint().step(),
                          " bytes=", event.checkpoint().size_bytes());
    case v1::JobEvent::kArtifact:
      return absl::StrCat(prefix, "artifact ", event.artifact().artifact().name(),
                          " bytes=", event.artifact().artifact().size_bytes());
    case v1::JobEvent::KIND_NOT_SET:
      break;
  }
  return prefix + "event";
}

std::string FormatEventJson(const v1::JobEvent& event) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  // Printing a valid message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(event, &json, options);
  return json;
}

}  // namespace ptune::client

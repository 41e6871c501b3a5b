#include "client/ctl/job_format.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/view/event_lines.h"
#include "client/view/terminal_view.h"
#include "common/job_state.h"
#include "common/yaml_to_proto.h"
#include "google/protobuf/util/time_util.h"

namespace ptune::ctl {

namespace v1 = ::ptune::v1;

namespace {

std::string Time(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  google::protobuf::Timestamp whole = t;
  whole.set_nanos(0);
  return google::protobuf::util::TimeUtil::ToString(whole);
}

template <typename Map>
std::string Pairs(const Map& map) {
  std::map<std::string, std::string> sorted;
  for (const auto& [k, v] : map) sorted[k] = absl::StrCat(v);
  return sorted.empty() ? "-" : absl::StrJoin(sorted, " ", absl::PairFormatter("="));
}

std::string EnumShort(const google::protobuf::EnumDescriptor* type, int value) {
  const google::protobuf::EnumValueDescriptor* v = type->FindValueByNumber(value);
  return v == nullptr ? absl::StrCat(value) : ShortEnumName(*v);
}

std::string Progress(const v1::Job& job) {
  if (job.total_steps() == 0) return absl::StrCat(job.step());
  return absl::StrCat(job.step(), "/", job.total_steps());
}

}  // namespace

std::string AlignTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<int> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], client::DisplayWidth(row[i]));
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) {
        line.append(widths[i] - client::DisplayWidth(row[i]) + 2, ' ');
      }
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string FormatJobDetail(const v1::Job& job) {
  const v1::JobSpec& spec = job.spec();
  std::string data =
      spec.data().dataset().empty() ? spec.data().train_file() : spec.data().dataset();
  std::string state(ShortStateName(job.state()));
  absl::StrAppend(&state, "  attempt ", job.attempt(), "/", job.max_attempts());
  if (!job.worker_id().empty()) absl::StrAppend(&state, "  worker ", job.worker_id());
  std::vector<std::vector<std::string>> rows = {
      {"Job", job.id() + (spec.name().empty() ? "" : "  (" + spec.name() + ")")},
      {"Tenant", job.tenant()},
      {"State", state},
      {"Reason", job.state_reason().empty() ? "-" : job.state_reason()},
      {"Progress", absl::StrCat(Progress(job), " steps, ", job.last_seq(), " events")},
      {"Method", EnumShort(v1::Method_descriptor(), spec.method())},
      {"Model", spec.model().source().empty() ? "use-lite (default)" : spec.model().source()},
      {"Data", data.empty() ? "-" : data},
      {"Priority", absl::StrCat(job.priority())},
      {"Labels", Pairs(job.labels())},
      {"Created", Time(job.create_time())},
      {"Started", Time(job.start_time())},
      {"Ended", Time(job.end_time())},
      {"Metrics", Pairs(job.final_metrics())}};
  for (int i = 0; i < job.artifacts_size(); ++i) {
    const v1::ArtifactInfo& a = job.artifacts(i);
    rows.push_back(
        {i == 0 ? "Artifacts" : "", absl::StrCat(a.name(), "  ", a.size_bytes(), " bytes")});
  }
  return AlignTable(rows);
}

std::string FormatJobTable(const std::vector<v1::Job>& jobs) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "STATE", "STEP", "METHOD", "NAME", "CREATED"}};
  for (const v1::Job& job : jobs) {
    rows.push_back({job.id(), std::string(ShortStateName(job.state())), Progress(job),
                    EnumShort(v1::Method_descriptor(), job.spec().method()),
                    job.spec().name().empty() ? "-" : job.spec().name(), Time(job.create_time())});
  }
  return AlignTable(rows);
}

std::string FormatWorkerTable(const std::vector<v1::WorkerInfo>& workers) {
  std::vector<std::vector<std::string>> rows = {
      {"WORKER", "STATE", "JOBS", "DEVICES", "HOST", "LAST HEARTBEAT"}};
  for (const v1::WorkerInfo& w : workers) {
    std::vector<std::string> devices;
    for (const v1::Device& d : w.devices()) {
      devices.push_back(d.name().empty() ? EnumShort(v1::DeviceKind_descriptor(), d.kind())
                                         : d.name());
    }
    rows.push_back({w.worker_id(), EnumShort(v1::WorkerState_descriptor(), w.state()),
                    absl::StrCat(w.job_ids_size(), "/", w.max_jobs()),
                    devices.empty() ? "-" : absl::StrJoin(devices, ","), w.hostname(),
                    Time(w.last_heartbeat())});
  }
  return AlignTable(rows);
}

}  // namespace ptune::ctl

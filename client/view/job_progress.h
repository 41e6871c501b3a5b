#ifndef PTUNE_CLIENT_VIEW_JOB_PROGRESS_H_
#define PTUNE_CLIENT_VIEW_JOB_PROGRESS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ptune/v1/events.pb.h"

namespace ptune::client {

struct StepPoint {
  uint64_t step = 0;
  double loss = 0;
  double task_loss = 0;
  double tsloss = 0;
  double batch_accuracy = 0;
  double tokens_per_second = 0;
};

struct MetricPoint {
  uint64_t step = 0;
  double value = 0;
};

struct TopologyPoint {
  uint64_t step = 0;
  ptune::v1::TopologySummary summary;
};

// Everything a watcher or a plot needs from a job's event stream, folded event by event.
// Pure data: no I/O, no gRPC, so views and plots are tested from hand-made events.
//
// When a job is retried from a checkpoint, the new attempt re-reports steps after the
// checkpoint; a step record at or below the last step drops the superseded points, so
// every series shows the run that counts, with increasing steps.
class JobProgress {
 public:
  void Add(const ptune::v1::JobEvent& event);

  ptune::v1::JobState state() const { return state_; }
  const std::string& state_reason() const { return state_reason_; }
  const std::string& worker_id() const { return worker_id_; }
  uint32_t attempt() const { return attempt_; }
  uint64_t step() const { return steps_.empty() ? 0 : steps_.back().step; }
  uint64_t total_steps() const { return total_steps_; }
  uint64_t last_seq() const { return last_seq_; }
  bool has_tsloss() const { return has_tsloss_; }

  const std::vector<StepPoint>& steps() const { return steps_; }
  // Per "<split>/<metric>", e.g. "validation/accuracy", in step order.
  const std::map<std::string, std::vector<MetricPoint>>& evals() const { return evals_; }
  const std::vector<TopologyPoint>& topology() const { return topology_; }
  // The most recent snapshot that carried a diagram, if any.
  const std::optional<ptune::v1::TopologySnapshot>& latest_diagram() const { return diagram_; }
  const std::vector<ptune::v1::ArtifactInfo>& artifacts() const { return artifacts_; }

  // The metric shown as "the" eval metric: validation accuracy when reported, else the
  // first validation metric, else the first of any split; empty when none yet.
  std::string PrimaryEvalSeries() const;
  // Training speed over the current attempt from the events' timestamps; 0 when unknown.
  double StepsPerSecond() const;
  // Seconds left at the current speed; nullopt when unknown or the job is not running.
  std::optional<double> EtaSeconds() const;

 private:
  void AddStep(const ptune::v1::JobEvent& event);
  void AddState(const ptune::v1::StateChange& change);

  ptune::v1::JobState state_ = ptune::v1::JOB_STATE_UNSPECIFIED;
  std::string state_reason_;
  std::string worker_id_;
  uint32_t attempt_ = 0;
  uint64_t total_steps_ = 0;
  uint64_t last_seq_ = 0;
  bool has_tsloss_ = false;
  std::vector<StepPoint> steps_;
  std::map<std::string, std::vector<MetricPoint>> evals_;
  std::vector<TopologyPoint> topology_;
  std::optional<ptune::v1::TopologySnapshot> diagram_;
  std::vector<ptune::v1::ArtifactInfo> artifacts_;
  // (seconds since epoch, step) of the first and latest step record of this attempt.
  std::optional<std::pair<double, uint64_t>> rate_start_;
  std::optional<std::pair<double, uint64_t>> rate_end_;
  double step_seconds_sum_ = 0;
  uint64_t step_seconds_count_ = 0;
};

}  // namespace ptune::client

#endif  // PTUNE_CLIENT_VIEW_JOB_PROGRESS_H_

#ifndef PTUNE_WORKER_ENGINE_JOB_RUNNER_H_
#define PTUNE_WORKER_ENGINE_JOB_RUNNER_H_

// Runs one tuning job end to end: resolve the backbone, load the data, build the prompt
// method, train with evaluation and checkpoints, write the artifacts. Torch-free header so
// the worker agent and ptune-train include it without the torch headers.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"
#include "worker/engine/telemetry.h"

namespace ptune::engine {

class BackboneCache;  // worker/engine/backbones/: frozen models shared across jobs.

struct JobRunOptions {
  // Checkpoints (checkpoints/step-N.ckpt) and artifacts go here; created if missing.
  std::string output_dir;
  // Bytes of a checkpoint written by an earlier run of the same spec ("" = fresh start).
  // Training continues at the checkpoint's step + 1.
  std::string resume_checkpoint;
  // Receives the job's telemetry. Not owned; may be null.
  TelemetrySink* sink = nullptr;
  // Polled at step boundaries (cancel / SIGTERM). When it returns true the job writes a
  // checkpoint of the last finished step and returns with `stopped` = true. Also polled
  // between the units of setup work (model load, data, each chunk of verbalizers,
  // tokenizing): a stop there returns `stopped` = true with no checkpoint written.
  std::function<bool()> should_stop;
  // Called with the bytes of every checkpoint written (every train.checkpoint_every
  // steps, at the end, and when stopped), after the file is on disk.
  std::function<void(uint64_t step, const std::string& bytes)> on_checkpoint;
  // The device the worker pins this job to: "cpu", "cuda:N", or "" to let the spec's
  // resources.device decide (worker/engine/device_choice.h).
  std::string device;
  // Optional cache of frozen backbones shared across jobs. Not owned; may be null.
  BackboneCache* backbones = nullptr;
  // Without a cache: where named models live (ModelSpec.source "NAME" is
  // <models_dir>/NAME; ptune-train --models-dir). A cache has its own (its Options).
  std::string models_dir;
  // Bound on the job's estimated working memory besides the backbone (the tokenized
  // training split, label embeddings, evaluation outputs), checked before they are
  // allocated; 0 = no bound. A job over it fails with RESOURCE_EXHAUSTED naming the
  // estimate and this limit.
  uint64_t memory_limit_bytes = 0;
};

struct JobRunResult {
  // True when should_stop ended the job early.
  bool stopped = false;
  // The last finished optimizer step (continues the resumed checkpoint's numbering).
  uint64_t last_step = 0;
  // "validation_accuracy", "validation_macro_f1", "test_accuracy", ... of the final
  // evaluation (regression: *_pearson, *_spearman, *_mse), plus "train_loss".
  std::map<std::string, double> final_metrics;
  // Files written, relative to output_dir.
  std::vector<std::string> artifact_paths;
};

// Runs `spec`, which must be effective (ApplySpecDefaults already applied: by the
// scheduler at submit, by ptune-train after loading; FAILED_PRECONDITION otherwise) and
// valid (ValidateJobSpec is checked inside). Errors a user can act on come back as a Status, never as an exception:
// INVALID_ARGUMENT for a bad spec or data file (naming the field, file and line),
// NOT_FOUND for a missing model or dataset, FAILED_PRECONDITION for a checkpoint of a
// different spec, INTERNAL for NaN/Inf loss (with the step) and other torch failures,
// RESOURCE_EXHAUSTED for out-of-memory and for a job over memory_limit_bytes.
absl::StatusOr<JobRunResult> RunJob(const ptune::v1::JobSpec& spec, const JobRunOptions& options);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_JOB_RUNNER_H_

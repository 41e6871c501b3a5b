#include "worker/engine/job_runner.h"

#include <torch/torch.h>

#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/spec_defaults.h"
#include "common/spec_validation.h"
#include "worker/engine/artifacts.h"
#include "worker/engine/backbone_resolver.h"
#include "worker/engine/backbones/file_bytes.h"
#include "worker/engine/data/dataset.h"
#include "worker/engine/device_choice.h"
#include "worker/engine/methods/method_factory.h"
#include "worker/engine/trainer.h"

namespace ptune::engine {
namespace {

absl::StatusOr<std::shared_ptr<PromptMethodImpl>> CreateMethod(const ptune::v1::JobSpec& spec,
                                                               BackboneImpl& backbone,
                                                               const Tokenizer& tokenizer) {
  std::vector<int64_t> text_ids;
  if (spec.prompt().init() == ptune::v1::PROMPT_INIT_TEXT) {
    text_ids = tokenizer.Encode(spec.prompt().init_text());
  }
  return CreatePromptMethod(spec, backbone, text_ids);
}

void EmitTo(TelemetrySink* sink, ptune::v1::JobEvent event) {
  if (sink == nullptr) return;
  StampNow(&event);
  sink->Emit(std::move(event));
}

void Log(TelemetrySink* sink, const std::string& message) {
  ptune::v1::JobEvent event;
  event.mutable_log()->set_level(ptune::v1::LogLine::LEVEL_INFO);
  event.mutable_log()->set_message(message);
  EmitTo(sink, std::move(event));
}

// Writes checkpoints/step-NNNNNNNN.ckpt and checkpoints/latest.ckpt, reports it and hands
// the bytes to the caller.
absl::Status StoreCheckpoint(const JobRunOptions& options, uint64_t step,
                             const std::string& bytes) {
  const std::string dir = options.output_dir + "/checkpoints";
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  const std::string name = absl::StrFormat("%s/step-%08d.ckpt", dir, step);
  if (absl::Status s = WriteFileBytes(name, bytes); !s.ok()) return s;
  if (absl::Status s = WriteFileBytes(dir + "/latest.ckpt", bytes); !s.ok()) return s;
  ptune::v1::JobEvent event;
  event.mutable_checkpoint()->set_step(step);
  event.mutable_checkpoint()->set_size_bytes(bytes.size());
  EmitTo(options.sink, std::move(event));
  if (options.on_checkpoint) options.on_checkpoint(step, bytes);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> SaveArtifacts(const ptune::v1::JobSpec& spec,
                                                       Trainer& trainer,
                                                       const std::map<std::string, double>& metrics,
                                                       const JobRunOptions& options) {
  ArtifactInputs inputs;
  inputs.spec = &spec;
  inputs.method_name = trainer.method().method_name();
  inputs.trainable = trainer.TrainableTensors();
  inputs.visible_prompt = trainer.method().VisiblePrompt().detach();
  inputs.labels = trainer.data().labels;
  inputs.verbalizers = trainer.data().verbalizers;
  inputs.metrics = metrics;
  auto written = WriteArtifacts(options.output_dir, inputs);
  if (!written.ok()) return written.status();
  for (const std::string& name : *written) {
    ptune::v1::JobEvent event;
    auto* info = event.mutable_artifact()->mutable_artifact();
    info->set_name(name);
    info->set_size_bytes(std::filesystem::file_size(options.output_dir + "/" + name));
    EmitTo(options.sink, std::move(event));
  }
  return written;
}

absl::StatusOr<JobRunResult> Run(const ptune::v1::JobSpec& spec, const JobRunOptions& options) {
  auto device = ChooseDevice(spec.resources(), options.device);
  if (!device.ok()) return device.status();
  // Kernels and allocations that name no device index go to the pinned GPU, too.
  c10::OptionalDeviceGuard device_guard;
  if (device->is_cuda()) device_guard.reset_device(*device);
  auto model = AcquireBackbone(spec.model(), *device, options.backbones);
  if (!model.ok()) return model.status();
  auto data = LoadDataSplits(spec.data());
  if (!data.ok()) return data.status();
  Log(options.sink, absl::StrCat("data: ", data->description, "; device: ", device->str()));
  torch::manual_seed(spec.seed());
  auto method = CreateMethod(spec, *model->backbone, *model->tokenizer);
  if (!method.ok()) return method.status();
  TrainerOptions trainer_options{spec, *device, options.sink, options.should_stop,
                                 [&options](uint64_t step, const std::string& bytes) {
                                   return StoreCheckpoint(options, step, bytes);
                                 }};
  auto trainer = Trainer::Create(
      trainer_options, TrainerParts{model->backbone, model->tokenizer, *method, *std::move(data)});
  if (!trainer.ok()) return trainer.status();
  if (!options.resume_checkpoint.empty()) {
    if (absl::Status s = (*trainer)->Restore(options.resume_checkpoint); !s.ok()) return s;
    Log(options.sink, absl::StrCat("resumed at step ", (*trainer)->step()));
  }
  auto outcome = (*trainer)->Train();
  if (!outcome.ok()) return outcome.status();
  JobRunResult result{outcome->stopped, outcome->last_step, outcome->final_metrics, {}};
  if (outcome->stopped) return result;
  auto written = SaveArtifacts(spec, **trainer, outcome->final_metrics, options);
  if (!written.ok()) return written.status();
  result.artifact_paths = *std::move(written);
  return result;
}

}  // namespace

absl::StatusOr<JobRunResult> RunJob(const ptune::v1::JobSpec& raw_spec,
                                    const JobRunOptions& options) {
  ptune::v1::JobSpec spec = raw_spec;
  ApplySpecDefaults(&spec);
  if (absl::Status s = ValidateJobSpec(spec); !s.ok()) return s;
  if (options.output_dir.empty()) {
    return absl::InvalidArgumentError("output_dir: RunJob needs an output directory");
  }
  try {
    return Run(spec, options);
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    if (what.find("out of memory") != std::string::npos) {
      return absl::ResourceExhaustedError(absl::StrCat("out of memory: ", what));
    }
    return absl::InternalError(absl::StrCat("training failed: ", what));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("training failed: ", e.what()));
  }
}

}  // namespace ptune::engine

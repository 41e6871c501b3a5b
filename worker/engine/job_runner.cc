#include "worker/engine/job_runner.h"

#include <torch/torch.h>

#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/file_io.h"
#include "common/spec_defaults.h"
#include "common/spec_validation.h"
#include "worker/engine/backbone_resolver.h"
#include "worker/engine/data/dataset.h"
#include "worker/engine/device_choice.h"
#include "worker/engine/formats/artifacts.h"
#include "worker/engine/hf/hf_model.h"
#include "worker/engine/methods/method_factory.h"
#include "worker/engine/training/trainer.h"

namespace ptune::engine {
namespace {

absl::StatusOr<std::shared_ptr<PromptMethodImpl>> CreateMethod(const ptune::v1::JobSpec& spec,
                                                               const LoadedBackbone& model) {
  std::vector<int64_t> text_ids;
  if (spec.prompt().init() == ptune::v1::PROMPT_INIT_TEXT && model.tokenizer != nullptr) {
    text_ids = model.tokenizer->Encode(spec.prompt().init_text());
  }
  return CreatePromptMethod(spec, EmbeddingTableOf(model), text_ids);
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
  if (absl::Status s = WriteFileAtomically(name, bytes); !s.ok()) return s;
  if (absl::Status s = WriteFileAtomically(dir + "/latest.ckpt", bytes); !s.ok()) return s;
  ptune::v1::JobEvent event;
  event.mutable_checkpoint()->set_step(step);
  event.mutable_checkpoint()->set_size_bytes(bytes.size());
  EmitTo(options.sink, std::move(event));
  if (options.on_checkpoint) options.on_checkpoint(step, bytes);
  return absl::OkStatus();
}

// What PEFT's adapter_config.json records about an HF base model.
PeftBaseModel PeftBaseOf(const LoadedBackbone& backbone) {
  PeftBaseModel base;
  const auto* model = dynamic_cast<const hf::HfModel*>(backbone.language_model.get());
  if (model == nullptr) return base;
  base.task_type = model->is_encoder_decoder() ? "SEQ_2_SEQ_LM" : "CAUSAL_LM";
  base.num_layers = model->config().num_layers;
  base.num_attention_heads = model->config().num_heads;
  return base;
}

absl::StatusOr<std::vector<std::string>> SaveArtifacts(const ptune::v1::JobSpec& spec,
                                                       const LoadedBackbone& backbone,
                                                       Trainer& trainer,
                                                       const std::map<std::string, double>& metrics,
                                                       const JobRunOptions& options) {
  ArtifactInputs inputs;
  inputs.spec = &spec;
  inputs.method_name = trainer.model().method().method_name();
  inputs.trainable = trainer.TrainableTensors();
  inputs.visible_prompt = trainer.model().method().VisiblePrompt().detach();
  inputs.labels = trainer.data().labels;
  inputs.verbalizers = trainer.data().verbalizers;
  inputs.metrics = metrics;
  inputs.peft = PeftBaseOf(backbone);
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

// The working memory a job allocates besides the backbone, estimated from the sizes
// setup knows before allocating it: the tokenized training split (ids + mask), the label
// embeddings, and an evaluation's logits and probabilities.
absl::Status CheckMemoryLimit(const ptune::v1::JobSpec& spec, const DataSplits& data,
                              int64_t output_size, uint64_t limit) {
  if (limit == 0) return absl::OkStatus();
  const double labels = data.regression ? 1.0 : static_cast<double>(data.labels.size());
  const double tokens =
      static_cast<double>(data.train.size()) * static_cast<double>(spec.data().max_seq_len());
  const double evaluated = static_cast<double>(std::max(data.validation.size(), data.test.size()));
  const double bytes =
      tokens * (8 + 4) + labels * static_cast<double>(output_size) * 4 + evaluated * labels * 4 * 2;
  if (bytes <= static_cast<double>(limit)) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrFormat(
      "the job needs about %.1f MiB of working memory (%d labels x %d embedding size, "
      "%d training examples x %d tokens, %d evaluation examples x %d labels), over this "
      "worker's per-job limit of %.1f MiB (ptune-worker --job-memory-limit-mb)",
      bytes / (1 << 20), static_cast<int64_t>(labels), output_size, data.train.size(),
      spec.data().max_seq_len(), static_cast<int64_t>(evaluated), static_cast<int64_t>(labels),
      static_cast<double>(limit) / (1 << 20)));
}

// Setup checks this between its units of work; a stop there is CANCELLED inside the
// engine and `stopped` to the caller.
absl::Status StopRequested(const JobRunOptions& options, const char* before) {
  if (!options.should_stop || !options.should_stop()) return absl::OkStatus();
  return absl::CancelledError(absl::StrCat("stopped before ", before));
}

absl::StatusOr<JobRunResult> Run(const ptune::v1::JobSpec& spec, const JobRunOptions& options) {
  auto device = ChooseDevice(spec.resources(), options.device);
  if (!device.ok()) return device.status();
  // Kernels and allocations that name no device index go to the pinned GPU, too.
  c10::OptionalDeviceGuard device_guard;
  if (device->is_cuda()) device_guard.reset_device(*device);
  if (absl::Status s = StopRequested(options, "loading the model"); !s.ok()) return s;
  auto model = AcquireBackbone(spec.model(), *device, options.backbones, options.models_dir);
  if (!model.ok()) return model.status();
  if (absl::Status s = StopRequested(options, "loading the data"); !s.ok()) return s;
  auto data = LoadDataSplits(spec.data());
  if (!data.ok()) return data.status();
  Log(options.sink, absl::StrCat("data: ", data->description, "; device: ", device->str()));
  if (absl::Status s =
          CheckMemoryLimit(spec, *data, model->backbone ? model->backbone->output_size() : 0,
                           options.memory_limit_bytes);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = StopRequested(options, "building the prompt method"); !s.ok()) return s;
  torch::manual_seed(spec.seed());
  auto method = CreateMethod(spec, *model);
  if (!method.ok()) return method.status();
  auto prompted = CreatePromptedModel(spec, *model, *method, *data, *device, options.should_stop);
  if (!prompted.ok()) return prompted.status();
  TrainerOptions trainer_options{spec, options.sink, options.should_stop,
                                 [&options](uint64_t step, const std::string& bytes) {
                                   return StoreCheckpoint(options, step, bytes);
                                 }};
  if (absl::Status s = StopRequested(options, "tokenizing the training split"); !s.ok()) return s;
  auto trainer = Trainer::Create(trainer_options, *std::move(prompted), *std::move(data));
  if (!trainer.ok()) return trainer.status();
  if (!options.resume_checkpoint.empty()) {
    if (absl::Status s = (*trainer)->Restore(options.resume_checkpoint); !s.ok()) return s;
    Log(options.sink, absl::StrCat("resumed at step ", (*trainer)->step()));
  }
  auto outcome = (*trainer)->Train();
  if (!outcome.ok()) return outcome.status();
  JobRunResult result{outcome->stopped, outcome->last_step, outcome->final_metrics, {}};
  if (outcome->stopped) return result;
  auto written = SaveArtifacts(spec, *model, **trainer, outcome->final_metrics, options);
  if (!written.ok()) return written.status();
  result.artifact_paths = *std::move(written);
  return result;
}

}  // namespace

absl::StatusOr<JobRunResult> RunJob(const ptune::v1::JobSpec& raw_spec,
                                    const JobRunOptions& options) {
  // The scheduler (or ptune-train) decided the effective spec; run exactly that.
  const ptune::v1::JobSpec& spec = raw_spec;
  if (absl::Status s = CheckDefaultsApplied(spec); !s.ok()) return s;
  if (absl::Status s = ValidateJobSpec(spec); !s.ok()) return s;
  if (options.output_dir.empty()) {
    return absl::InvalidArgumentError("output_dir: RunJob needs an output directory");
  }
  try {
    absl::StatusOr<JobRunResult> result = Run(spec, options);
    if (absl::IsCancelled(result.status())) {
      Log(options.sink, absl::StrCat("setup ", result.status().message()));
      return JobRunResult{/*stopped=*/true, /*last_step=*/0, {}, {}};
    }
    return result;
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

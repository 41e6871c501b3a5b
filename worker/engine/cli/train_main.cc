// ptune-train: runs one tuning job locally, without the service, and applies trained
// prompts (eval / predict). See docs/training.md.
#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "common/file_io.h"
#include "common/spec_defaults.h"
#include "common/spec_loader.h"
#include "common/version.h"
#include "nlohmann/json.hpp"
#include "worker/engine/cli/console_sink.h"
#include "worker/engine/cli/inference.h"
#include "worker/engine/cli/lm_commands.h"
#include "worker/engine/data/dataset.h"
#include "worker/engine/job_runner.h"
#include "worker/engine/runtime.h"

namespace {

// Set by SIGINT/SIGTERM; the job checkpoints and stops at the next step boundary. A
// signal handler can only reach process-wide state, hence the one global.
std::atomic<bool> g_stop_requested{false};

void RequestStop(int) { g_stop_requested = true; }

int Fail(const absl::Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

struct TrainArgs {
  std::string spec_path, out_dir = "ptune-out", resume, models_dir;
};

int RunTrain(const TrainArgs& args) {
  auto spec = ptune::LoadJobSpecFile(args.spec_path);
  if (!spec.ok()) return Fail(spec.status());
  // No scheduler here to decide the effective spec: apply the defaults as it would.
  ptune::ApplySpecDefaults(&*spec);
  ptune::engine::JobRunOptions options;
  options.output_dir = args.out_dir;
  options.models_dir = args.models_dir;
  if (!args.resume.empty()) {
    std::string path = args.resume;
    if (std::filesystem::is_directory(path)) path += "/checkpoints/latest.ckpt";
    auto bytes = ptune::ReadFile(path);
    if (!bytes.ok()) return Fail(bytes.status());
    options.resume_checkpoint = *std::move(bytes);
  }
  ptune::engine::ConsoleSink sink(&std::cerr, ptune::engine::ConsoleSink::WantsProgressBar());
  options.sink = &sink;
  options.should_stop = [] { return g_stop_requested.load(); };
  std::signal(SIGINT, RequestStop);
  std::signal(SIGTERM, RequestStop);
  auto result = ptune::engine::RunJob(*spec, options);
  if (!result.ok()) return Fail(result.status());
  if (result->stopped) {
    std::cerr << "stopped at step " << result->last_step << "; resume with --resume "
              << args.out_dir << "\n";
    return 130;
  }
  std::cout << nlohmann::json(result->final_metrics).dump(2) << "\n";
  return 0;
}

struct ApplyArgs {
  std::string artifacts, split = "test", data_file;
  std::vector<std::string> texts;
};

int RunEval(const ApplyArgs& args) {
  auto loaded = ptune::engine::LoadTrainedPrompt(args.artifacts, nullptr);
  if (!loaded.ok()) return Fail(loaded.status());
  ptune::v1::DataSpec data = loaded->spec.data();
  if (!args.data_file.empty()) {
    data.set_dataset("");
    data.set_train_file(args.data_file);
    data.set_validation_file(args.data_file);
    data.set_test_file(args.data_file);
    data.clear_labels();
    for (const std::string& l : loaded->model->labels()) data.add_labels(l);
  }
  auto splits = ptune::engine::LoadDataSplits(data);
  if (!splits.ok()) return Fail(splits.status());
  const auto& examples = args.split == "validation" ? splits->validation
                         : args.split == "train"    ? splits->train
                                                    : splits->test;
  const auto eval = loaded->model->Evaluate(examples, loaded->spec.train().batch_size());
  nlohmann::json out(eval.metrics);
  out["examples"] = examples.size();
  std::cout << out.dump(2) << "\n";
  return 0;
}

int RunPredict(const ApplyArgs& args) {
  auto loaded = ptune::engine::LoadTrainedPrompt(args.artifacts, nullptr);
  if (!loaded.ok()) return Fail(loaded.status());
  const auto examples = ptune::engine::TextsToExamples(args.texts);
  const auto eval = loaded->model->Evaluate(examples, loaded->spec.train().batch_size());
  const auto& labels = loaded->model->labels();
  for (size_t i = 0; i < examples.size(); ++i) {
    nlohmann::json line = {{"text", args.texts[i]}};
    if (eval.predicted.empty()) {
      line["prediction"] = eval.scores[i];
    } else {
      line["label"] = labels[eval.predicted[i]];
      for (size_t c = 0; c < labels.size(); ++c) {
        line["probabilities"][labels[c]] = eval.probabilities[i][c].item<double>();
      }
    }
    std::cout << line.dump() << "\n";
  }
  return 0;
}

int RunForwardCommand(const ptune::engine::ForwardArgs& args) {
  if (absl::Status s = ptune::engine::RunForward(args); !s.ok()) return Fail(s);
  std::cerr << "wrote " << args.out_path << "\n";
  return 0;
}

int RunGenerateCommand(const ptune::engine::GenerateArgs& args) {
  auto text = ptune::engine::RunGenerate(args);
  if (!text.ok()) return Fail(text.status());
  std::cout << *text << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ptune-train: run a soft-prompt-tuning job locally (no scheduler needed)."};
  app.set_version_flag("--version", ptune::Version());
  TrainArgs train;
  ApplyArgs apply;
  int threads = 0;
  app.add_option("--spec", train.spec_path, "Job spec, YAML or protobuf JSON (job.yaml|job.json)")
      ->check(CLI::ExistingFile);
  app.add_option("--out", train.out_dir, "Output directory for checkpoints and artifacts")
      ->capture_default_str();
  app.add_option("--resume", train.resume,
                 "Resume from a checkpoint file or an earlier output directory");
  app.add_option("--threads", threads, "Intra-op threads (0: every core)")->capture_default_str();
  CLI::App* eval = app.add_subcommand("eval", "Evaluate a trained prompt on a dataset split");
  eval->add_option("--artifacts", apply.artifacts, "Output directory of a finished job")
      ->required();
  eval->add_option("--split", apply.split, "train, validation or test")
      ->check(CLI::IsMember({"train", "validation", "test"}))
      ->capture_default_str();
  eval->add_option("--data", apply.data_file, "Evaluate on this file instead (same fields)");
  CLI::App* predict = app.add_subcommand("predict", "Classify texts with a trained prompt");
  predict->add_option("--artifacts", apply.artifacts, "Output directory of a finished job")
      ->required();
  predict->add_option("texts", apply.texts, "Texts (a TAB separates a sentence pair)")->required();
  ptune::engine::ForwardArgs forward_args;
  CLI::App* forward = app.add_subcommand(
      "forward", "One forward pass of an HF model over token ids (parity checks, debugging)");
  forward->add_option("--model", forward_args.model_dir, "HF model directory")->required();
  forward
      ->add_option("--inputs", forward_args.inputs_path,
                   "safetensors with int64 input_ids, attention_mask (+ decoder_input_ids)")
      ->required()
      ->check(CLI::ExistingFile);
  forward->add_option("--out", forward_args.out_path, "safetensors to write float32 logits to")
      ->required();
  ptune::engine::GenerateArgs generate_args;
  CLI::App* generate = app.add_subcommand("generate", "Generate text, optionally behind a prompt");
  generate->add_option("--model", generate_args.model_dir, "HF model directory")->required();
  generate->add_option("--prompt", generate_args.prompt_dir,
                       "Output directory of a finished job on this model (its soft prompt)");
  generate->add_option("--text", generate_args.text, "Text to continue (empty: start from BOS)");
  generate->add_option("--max-new-tokens", generate_args.max_new_tokens, "Tokens to generate")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  generate->add_option("--temperature", generate_args.temperature, "0 = greedy; > 0 samples")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  generate->add_option("--top-p", generate_args.top_p, "Nucleus sampling mass (sampling only)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  generate->add_option("--seed", generate_args.seed, "Sampling seed")->capture_default_str();
  app.add_option("--models-dir", train.models_dir,
                 "Directory of named models: model.source NAME is DIR/NAME");
  CLI11_PARSE(app, argc, argv);
  forward_args.models_dir = generate_args.models_dir = train.models_dir;

  ptune::engine::InitRuntime(threads);
  std::cerr << "ptune-train " << ptune::Version() << " (" << ptune::engine::RuntimeSummary()
            << ")\n";
  if (*eval) return RunEval(apply);
  if (*predict) return RunPredict(apply);
  if (*forward) return RunForwardCommand(forward_args);
  if (*generate) return RunGenerateCommand(generate_args);
  if (train.spec_path.empty()) {
    std::cerr << "error: --spec is required (or use the eval / predict subcommands)\n";
    return 2;
  }
  return RunTrain(train);
}

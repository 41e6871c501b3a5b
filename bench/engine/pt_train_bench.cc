// PT training throughput and accuracy on USE-Lite (not a test: prints figures).
//
//   pt_train_bench [--steps N] [--threads T] [--accuracy SPEC.yaml]
//
// Throughput: steps/s and tokens/s of vanilla prompt tuning, batch 32, prompt lengths
// 20 and 100, fp32 and bf16 autocast, max_seq_len 48, on uci-sentiment (median step
// time over N steps after 2 warm-up steps). Accuracy: runs SPEC (default
// examples/pt-sentiment.yaml) to the end and prints its validation/test accuracy next
// to the frozen-encoder linear probe anchor (~86.8%, DESIGN §4).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "common/spec_loader.h"
#include "worker/engine/job_runner.h"
#include "worker/engine/runtime.h"

namespace {

class StepTimes : public ptune::engine::TelemetrySink {
 public:
  void Emit(ptune::v1::JobEvent event) override {
    if (event.has_step()) records.push_back(event.step());
  }
  std::vector<ptune::v1::StepRecord> records;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

int Throughput(int prompt_length, bool bf16, int steps) {
  ptune::v1::JobSpec spec;
  spec.mutable_data()->set_dataset("uci-sentiment");
  spec.mutable_data()->set_max_seq_len(48);
  spec.mutable_prompt()->set_length(prompt_length);
  spec.mutable_train()->set_steps(steps + 2);
  spec.mutable_train()->set_batch_size(32);
  spec.mutable_train()->set_eval_every(100000);
  spec.mutable_train()->set_checkpoint_every(100000);
  spec.mutable_train()->set_precision(bf16 ? ptune::v1::PRECISION_BF16 : ptune::v1::PRECISION_FP32);
  spec.mutable_resources()->set_device(ptune::v1::DEVICE_KIND_CPU);
  StepTimes sink;
  ptune::engine::JobRunOptions options;
  options.output_dir = std::filesystem::temp_directory_path() / "ptune_bench";
  options.sink = &sink;
  auto result = ptune::engine::RunJob(spec, options);
  std::filesystem::remove_all(options.output_dir);
  if (!result.ok()) {
    std::cerr << "error: " << result.status() << "\n";
    return 1;
  }
  std::vector<double> seconds, tokens;
  for (size_t i = 2; i < sink.records.size(); ++i) {
    seconds.push_back(sink.records[i].step_seconds());
    tokens.push_back(sink.records[i].tokens_per_second());
  }
  const double step_s = Median(seconds);
  std::cout << absl::StrFormat("| %3d | %-4s | %6.2f | %7.1f | %8.0f | %8.0f |\n", prompt_length,
                               bf16 ? "bf16" : "fp32", 1.0 / step_s, step_s * 1000, Median(tokens),
                               32.0 * (48 + prompt_length) / step_s);
  return 0;
}

int Accuracy(const std::string& spec_path) {
  auto spec = ptune::LoadJobSpecFile(spec_path);
  if (!spec.ok()) {
    std::cerr << "error: " << spec.status() << "\n";
    return 1;
  }
  ptune::engine::JobRunOptions options;
  options.output_dir = std::filesystem::temp_directory_path() / "ptune_bench_accuracy";
  StepTimes sink;
  options.sink = &sink;
  const auto start = std::chrono::steady_clock::now();
  auto result = ptune::engine::RunJob(*spec, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::filesystem::remove_all(options.output_dir);
  if (!result.ok()) {
    std::cerr << "error: " << result.status() << "\n";
    return 1;
  }
  std::cout << absl::StrFormat(
      "%s: %d steps in %.0f s; validation accuracy %.4f, test accuracy %.4f, test macro-F1 "
      "%.4f (anchor: frozen-encoder linear probe ~0.868)\n",
      spec_path, result->last_step, seconds, result->final_metrics["validation_accuracy"],
      result->final_metrics["test_accuracy"], result->final_metrics["test_macro_f1"]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"PT training throughput and accuracy on USE-Lite"};
  int steps = 20, threads = 0;
  std::string accuracy;
  app.add_option("--steps", steps, "Timed steps per configuration");
  app.add_option("--threads", threads, "Intra-op threads (0: every core)");
  app.add_option("--accuracy", accuracy, "Also run this spec to the end and report accuracy");
  CLI11_PARSE(app, argc, argv);
  ptune::engine::InitRuntime(threads);
  std::cout << ptune::engine::RuntimeSummary() << "\n"
            << "| l | precision | steps/s | ms/step | text tok/s | positions/s |\n"
            << "|---|---|---|---|---|---|\n";
  for (int length : {20, 100}) {
    for (bool bf16 : {false, true}) {
      if (int rc = Throughput(length, bf16, steps); rc != 0) return rc;
    }
  }
  return accuracy.empty() ? 0 : Accuracy(accuracy);
}

// CPU step time of one prompt-tuning (PT) step on USE-Lite, ptune's default backbone (not a
// test: prints figures). scripts/bench.sh runs it alternating with
// bench/engine/use_lite_step.py, the same step in plain PyTorch on the same TF.js weights.
//
//   use_lite_step_bench --model DIR [--steps N] [--warmup W] [--threads T]
//                       [--batch B] [--prompt-len P] [--text-len L] [--device D]
//
// The step, identical to the Python side (same seeds, same order of random draws, so both
// print the same losses): a P-row soft prompt (default 20 x 256, the only trainable tensor,
// randn * std of the embedding table, AdamW lr 1e-3 weight decay 0.01) prepended to
// EmbedTokens of B x L random ids (default 16 x 32), mask all ones, Forward of the frozen
// model (the 512-wide L2-normalised sentence embedding), logits = 20 * embedding . c_k for
// two fixed random unit class vectors c_k, cross-entropy against random labels, backward,
// optimizer step. Prints "step_s <seconds> loss <value>" for each of the N timed steps.
#include <chrono>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "worker/engine/backbones/use_lite.h"

int main(int argc, char** argv) {
  CLI::App app{"CPU step time of ptune's PT step on USE-Lite"};
  std::string model_dir;
  int steps = 5, warmup = 1, threads = 2;
  std::string device_name = "cpu";
  int64_t batch = 16, prompt_len = 20, text_len = 32;
  app.add_option("--model", model_dir, "USE-Lite directory (model.json + shards)")->required();
  app.add_option("--steps", steps, "timed steps")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "untimed steps first")->check(CLI::NonNegativeNumber);
  app.add_option("--threads", threads, "torch intra-op threads")->check(CLI::PositiveNumber);
  app.add_option("--batch", batch, "sequences per step")->check(CLI::PositiveNumber);
  app.add_option("--prompt-len", prompt_len, "soft prompt rows")->check(CLI::PositiveNumber);
  app.add_option("--text-len", text_len, "text ids per sequence")->check(CLI::PositiveNumber);
  app.add_option("--device", device_name, "cpu, or cuda[:n] (that path is untested: no GPU here)");
  CLI11_PARSE(app, argc, argv);
  const torch::Device device(device_name);

  torch::set_num_threads(threads);
  auto model = ptune::engine::LoadUseLite(model_dir);
  if (!model.ok()) {
    std::cerr << "error: " << model.status() << "\n";
    return 1;
  }
  (*model)->to(device);
  torch::manual_seed(1);
  const torch::Tensor table = (*model)->EmbeddingTable();
  torch::Tensor prompt = (torch::randn({prompt_len, table.size(1)}) * table.std().item<float>())
                             .to(device)
                             .requires_grad_(true);
  torch::optim::AdamW optimizer({prompt}, torch::optim::AdamWOptions(1e-3).weight_decay(0.01));
  // Random draws on the CPU generator (the Python side's stream), then moved.
  const torch::Tensor ids =
      torch::randint(3, table.size(0), {batch, text_len}, torch::kLong).to(device);
  const torch::Tensor labels = torch::randint(0, 2, {batch}, torch::kLong).to(device);
  torch::Tensor classes = torch::randn({2, 512});
  classes = (classes / classes.norm(2, 1, /*keepdim=*/true)).to(device);
  const torch::Tensor mask = torch::ones({batch, prompt_len + text_len}, ids.options());

  for (int i = 0; i < warmup + steps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    optimizer.zero_grad();
    const torch::Tensor embeds =
        torch::cat({prompt.unsqueeze(0).expand({batch, -1, -1}), (*model)->EmbedTokens(ids)}, 1);
    const torch::Tensor logits = 20 * torch::matmul((*model)->Forward(embeds, mask), classes.t());
    torch::Tensor loss = torch::nn::functional::cross_entropy(logits, labels);
    loss.backward();
    optimizer.step();
    const float loss_value = loss.item<float>();  // on CUDA this waits for the step
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (i >= warmup) {
      std::cout << absl::StrFormat("step_s %.6f loss %.4f\n", elapsed, loss_value) << std::flush;
    }
  }
  return 0;
}

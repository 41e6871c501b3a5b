// CPU step time of one prompt-tuning (PT) step on an HF-format model through ptune's
// backbones (not a test: prints figures). scripts/bench-lm-step.sh runs it alternating with
// bench/engine/hf_lm_step.py, HF transformers' same step, and prints the ratio.
//
//   lm_step_bench --model DIR [--steps N] [--warmup W] [--threads T]
//                 [--batch B] [--prompt-len P] [--text-len L] [--device D]
//
// The step, identical to the Python side: a P-row soft prompt (default 20; d wide, the only
// trainable tensor, AdamW lr 1e-3 weight decay 0.01) prepended to EmbedTokens of a fixed
// batch of B x L random ids (default 8 x 64), mask all ones, Forward of the frozen fp32 model,
// cross-entropy, backward, optimizer step. Decoder-only: next-token loss on the text (the logit of
// the last prompt row predicts the first id, as HF's labels = [-100] x 20 + ids do). T5: the 84
// rows feed the encoder, decoder_input_ids are 16 random labels shifted right, loss on the labels.
// Prints "step_s <seconds> loss <value>" for each of the N timed steps after W untimed ones,
// and /proc/loadavg at the start and end.
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "worker/engine/hf/load.h"

namespace {

constexpr int64_t kLabelLen = 16;

// The step's sizes (the Python side takes the same flags).
struct StepShape {
  int64_t batch = 8, text_len = 64, prompt_len = 20;
};

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

// The loss of one PT step; the graph reaches `prompt` only.
torch::Tensor PromptLoss(ptune::engine::hf::HfModel& model, const StepShape& shape,
                         const torch::Tensor& prompt, const torch::Tensor& ids,
                         const torch::Tensor& labels) {
  const int64_t batch = shape.batch, prompt_len = shape.prompt_len, text_len = shape.text_len;
  ptune::engine::LanguageModelInputs inputs;
  inputs.embeds =
      torch::cat({prompt.unsqueeze(0).expand({batch, -1, -1}), model.EmbedTokens(ids)}, 1);
  inputs.mask = torch::ones({batch, prompt_len + text_len}, ids.options());
  if (model.is_encoder_decoder()) {
    inputs.decoder_input_ids =
        torch::cat({torch::full({batch, 1}, model.decoder_start_token_id(), labels.options()),
                    labels.narrow(1, 0, kLabelLen - 1)},
                   1);
    torch::Tensor logits = model.Forward(inputs);
    return torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}),
                                                labels.reshape({-1}));
  }
  // Positions prompt_len - 1 .. T - 2 predict ids 0 .. text_len - 1.
  torch::Tensor logits = model.Forward(inputs).narrow(1, prompt_len - 1, text_len);
  return torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}),
                                              ids.reshape({-1}));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"CPU step time of ptune's PT step on an HF-format model"};
  std::string model_dir;
  int steps = 5, warmup = 1, threads = 2;
  std::string device_name = "cpu";
  StepShape shape;
  app.add_option("--model", model_dir, "HF model directory")->required();
  app.add_option("--steps", steps, "timed steps")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "untimed steps first")->check(CLI::NonNegativeNumber);
  app.add_option("--threads", threads, "torch intra-op threads")->check(CLI::PositiveNumber);
  app.add_option("--batch", shape.batch, "sequences per step")->check(CLI::PositiveNumber);
  app.add_option("--prompt-len", shape.prompt_len, "soft prompt rows")->check(CLI::PositiveNumber);
  app.add_option("--text-len", shape.text_len, "text ids per sequence")->check(CLI::PositiveNumber);
  app.add_option("--device", device_name, "cpu, or cuda[:n] (that path is untested: no GPU here)");
  CLI11_PARSE(app, argc, argv);
  const torch::Device device(device_name);

  torch::set_num_threads(threads);
  std::cout << "loadavg_start " << LoadAverage() << "\n";
  auto model = ptune::engine::hf::LoadHfModel(model_dir);
  if (!model.ok()) {
    std::cerr << "error: " << model.status() << "\n";
    return 1;
  }
  (*model)->to(device);
  torch::manual_seed(1);
  torch::Tensor table = (*model)->EmbeddingTable();
  // Random draws on the CPU generator (the Python side's stream), then moved.
  torch::Tensor prompt =
      (torch::randn({shape.prompt_len, (*model)->hidden_size()}) * table.std().item<float>())
          .to(device)
          .requires_grad_(true);
  torch::optim::AdamW optimizer({prompt}, torch::optim::AdamWOptions(1e-3).weight_decay(0.01));
  const int64_t vocab = (*model)->vocab_size();
  torch::Tensor ids =
      torch::randint(3, vocab, {shape.batch, shape.text_len}, torch::kLong).to(device);
  torch::Tensor labels =
      torch::randint(3, vocab, {shape.batch, kLabelLen}, torch::kLong).to(device);

  for (int i = 0; i < warmup + steps; ++i) {
    auto start = std::chrono::steady_clock::now();
    optimizer.zero_grad();
    torch::Tensor loss = PromptLoss(**model, shape, prompt, ids, labels);
    loss.backward();
    optimizer.step();
    const float loss_value = loss.item<float>();  // on CUDA this waits for the step
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (i >= warmup) {
      std::cout << absl::StrFormat("step_s %.6f loss %.4f\n", elapsed, loss_value) << std::flush;
    }
  }
  std::cout << "loadavg_end " << LoadAverage() << "\n";
  return 0;
}

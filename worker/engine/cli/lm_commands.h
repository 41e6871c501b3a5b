#ifndef PTUNE_WORKER_ENGINE_CLI_LM_COMMANDS_H_
#define PTUNE_WORKER_ENGINE_CLI_LM_COMMANDS_H_

// `ptune-train forward` and `ptune-train generate`: one forward pass of an HF model over
// token ids from a safetensors file (parity checks, debugging), and text generation,
// optionally behind a trained soft prompt. Torch-free header (train_main.cc includes it).

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace ptune::engine {

struct ForwardArgs {
  std::string model_dir;  // an HF model directory (or a name under models_dir)
  std::string models_dir;
  // int64 input_ids, attention_mask (+ decoder_input_ids, decoder_attention_mask)
  std::string inputs_path;
  std::string out_path;  // float32 logits
};

// Writes OUT with "logits" (float32, B x T x V or B x S x V). Other tensors in IN are
// ignored; attention_mask and decoder_attention_mask default to all ones. INVALID_ARGUMENT naming
// the file and tensor for a missing input_ids, decoder_input_ids of an encoder-decoder model, a
// wrong dtype or shape, ids outside the vocabulary; errors of the model loader.
absl::Status RunForward(const ForwardArgs& args);

struct GenerateArgs {
  std::string model_dir, models_dir;
  std::string prompt_dir;  // a finished job's output directory ("" = no soft prompt)
  std::string text;        // "" starts from BOS (decoder-only)
  int64_t max_new_tokens = 64;
  double temperature = 0.0;  // 0 = greedy
  double top_p = 1.0;
  uint64_t seed = 0;
};

// The generated text (the new tokens only, decoded without special tokens).
absl::StatusOr<std::string> RunGenerate(const GenerateArgs& args);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_CLI_LM_COMMANDS_H_

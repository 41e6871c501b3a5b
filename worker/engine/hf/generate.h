#ifndef PTUNE_WORKER_ENGINE_HF_GENERATE_H_
#define PTUNE_WORKER_ENGINE_HF_GENERATE_H_

// Text generation from an HF-format backbone, optionally behind a soft prompt: greedy
// (temperature 0, the default, what HF's generate does with do_sample=False) or sampling
// with temperature and top-p from a seeded generator (same seed, same tokens). No KV
// cache: each step re-runs the model over the whole sequence, which is what the small
// models tests and demos use can afford; see docs/models.md. Torch header.

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/engine/hf/hf_model.h"

namespace ptune::engine::hf {

struct GenerateOptions {
  int64_t max_new_tokens = 64;
  double temperature = 0.0;  // 0: greedy (argmax)
  double top_p = 1.0;        // sampling only: keep the smallest set of tokens with mass >= top_p
  uint64_t seed = 0;         // sampling only
  bool stop_at_eos = true;   // stop after emitting config().eos_token_id
};

// The new token ids (eos included when it ends the run). Decoder-only: continues
// [prompt; input_ids], starting from bos_token_id when input_ids is empty. T5: encodes
// [prompt; input_ids] once and decodes from decoder_start_token_id. `prompt` is l x d or
// undefined. INVALID_ARGUMENT for bad options, ids outside the vocabulary, a prompt of
// the wrong width, a sequence longer than max_positions(), or an empty input with no BOS.
absl::StatusOr<std::vector<int64_t>> Generate(HfModel& model, const std::vector<int64_t>& input_ids,
                                              const torch::Tensor& prompt,
                                              const GenerateOptions& options);

}  // namespace ptune::engine::hf

#endif  // PTUNE_WORKER_ENGINE_HF_GENERATE_H_

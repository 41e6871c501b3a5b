#include "worker/engine/hf/generate.h"

#include <ATen/CPUGeneratorImpl.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "worker/engine/hf/t5.h"

namespace ptune::engine::hf {
namespace {

absl::Status CheckInputs(const HfModel& model, const std::vector<int64_t>& ids,
                         const torch::Tensor& prompt, const GenerateOptions& o) {
  if (o.max_new_tokens < 1) return absl::InvalidArgumentError("max_new_tokens must be >= 1");
  if (o.temperature < 0) return absl::InvalidArgumentError("temperature must be >= 0");
  if (!(o.top_p > 0 && o.top_p <= 1)) return absl::InvalidArgumentError("top_p must be in (0, 1]");
  for (int64_t id : ids) {
    if (id < 0 || id >= model.vocab_size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("token id ", id, " is outside the vocabulary of ", model.vocab_size()));
    }
  }
  if (prompt.defined() && (prompt.dim() != 2 || prompt.size(1) != model.hidden_size())) {
    return absl::InvalidArgumentError(absl::StrCat("the soft prompt must be l x ",
                                                   model.hidden_size(), ", got ",
                                                   prompt.sizes().vec().size(), " dims"));
  }
  const int64_t prompt_rows = prompt.defined() ? prompt.size(0) : 0;
  const int64_t longest = prompt_rows + static_cast<int64_t>(ids.size()) +
                          (model.is_encoder_decoder() ? 0 : o.max_new_tokens);
  if (longest > model.max_positions()) {
    return absl::InvalidArgumentError(
        absl::StrCat("prompt rows + input ids + new tokens = ", longest, " exceed the model's ",
                     model.max_positions(), " positions"));
  }
  return absl::OkStatus();
}

// Greedy or temperature/top-p choice from one row of logits.
int64_t NextToken(const torch::Tensor& logits, const GenerateOptions& o, at::Generator& gen) {
  if (o.temperature == 0) return logits.argmax().item<int64_t>();
  torch::Tensor probs = torch::softmax(logits.to(torch::kCPU, torch::kFloat32) / o.temperature, -1);
  if (o.top_p < 1) {
    auto [sorted, order] = probs.sort(/*dim=*/-1, /*descending=*/true);
    // Drop a token when the mass of the tokens before it already reaches top_p.
    const torch::Tensor drop = (sorted.cumsum(-1) - sorted) >= o.top_p;
    probs = probs.scatter(-1, order, sorted.masked_fill(drop, 0));
  }
  return torch::multinomial(probs, 1, /*replacement=*/false, gen).item<int64_t>();
}

torch::Tensor WithPrompt(HfModel& model, const torch::Tensor& prompt, const torch::Tensor& ids) {
  const torch::Tensor embeds = model.EmbedTokens(ids.unsqueeze(0));
  if (!prompt.defined()) return embeds;
  return torch::cat({prompt.to(embeds.options()).unsqueeze(0), embeds}, 1);
}

}  // namespace

absl::StatusOr<std::vector<int64_t>> Generate(HfModel& model, const std::vector<int64_t>& input_ids,
                                              const torch::Tensor& prompt,
                                              const GenerateOptions& options) {
  const HfConfig& c = model.config();
  std::vector<int64_t> ids = input_ids;
  if (ids.empty() && !model.is_encoder_decoder()) {
    if (!c.bos_token_id.has_value()) {
      return absl::InvalidArgumentError(c.source +
                                        ": no bos_token_id to start an empty input from");
    }
    ids.push_back(*c.bos_token_id);
  }
  if (absl::Status s = CheckInputs(model, ids, prompt, options); !s.ok()) return s;
  try {
    torch::NoGradGuard no_grad;
    at::Generator gen = at::detail::createCPUGenerator(options.seed);
    const torch::Device device = model.EmbeddingTable().device();
    const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(device);
    torch::Tensor encoded, encoder_mask;
    auto* t5 = dynamic_cast<T5Model*>(&model);
    if (t5 != nullptr) {
      const torch::Tensor embeds = WithPrompt(model, prompt, torch::tensor(ids, long_opts));
      encoder_mask = torch::ones({1, embeds.size(1)}, long_opts);
      encoded = t5->Encode(embeds, encoder_mask);
    }
    std::vector<int64_t> sequence =
        t5 != nullptr ? std::vector<int64_t>{c.decoder_start_token_id} : ids;
    std::vector<int64_t> produced;
    while (static_cast<int64_t>(produced.size()) < options.max_new_tokens) {
      const torch::Tensor seq = torch::tensor(sequence, long_opts);
      torch::Tensor logits;
      if (t5 != nullptr) {
        logits = t5->Decode(encoded, encoder_mask, seq.unsqueeze(0), torch::Tensor()).logits;
      } else {
        const torch::Tensor embeds = WithPrompt(model, prompt, seq);
        logits = model.Forward({embeds, torch::ones({1, embeds.size(1)}, long_opts), {}, {}});
      }
      const int64_t next = NextToken(logits[0][-1], options, gen);
      produced.push_back(next);
      sequence.push_back(next);
      if (options.stop_at_eos && c.eos_token_id.has_value() && next == *c.eos_token_id) break;
    }
    return produced;
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("generation failed: ", e.what_without_backtrace()));
  }
}

}  // namespace ptune::engine::hf

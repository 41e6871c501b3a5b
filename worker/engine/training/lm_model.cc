#include "worker/engine/training/lm_model.h"

#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "worker/engine/backbones/language_model.h"
#include "worker/engine/data/lm_encoding.h"
#include "worker/engine/training/torch_compat.h"

namespace ptune::engine {
namespace {

class LanguageModelTask : public PromptedModel {
 public:
  LanguageModelTask(Common common, std::shared_ptr<LanguageModelImpl> lm, LmEncoding encoding,
                    std::vector<std::vector<int64_t>> verbalizer_ids)
      : PromptedModel(std::move(common)), lm_(std::move(lm)), encoding_(std::move(encoding)) {
    if (task() == TaskKind::kCausalLm) return;
    if (!lm_->is_encoder_decoder()) {
      std::vector<int64_t> first;
      for (const auto& ids : verbalizer_ids) first.push_back(ids.front());
      label_tokens_ = torch::tensor(first, torch::kLong).to(device());
      return;
    }
    // One decoder row per label: [start] ids (inputs) and ids eos (targets).
    int64_t longest = 1;
    for (const auto& ids : verbalizer_ids) longest = std::max<int64_t>(longest, ids.size() + 1);
    const int64_t c = static_cast<int64_t>(verbalizer_ids.size());
    label_inputs_ = torch::full({c, longest}, tokenizer().pad_id(), torch::kLong);
    label_targets_ = torch::full({c, longest}, kIgnoreLabel, torch::kLong);
    for (int64_t i = 0; i < c; ++i) {
      std::vector<int64_t> goal = verbalizer_ids[i];
      if (tokenizer().eos_id() >= 0) goal.push_back(tokenizer().eos_id());
      label_inputs_[i][0] = lm_->decoder_start_token_id();
      for (size_t t = 0; t < goal.size(); ++t) {
        label_targets_[i][t] = goal[t];
        if (t + 1 < static_cast<size_t>(longest)) label_inputs_[i][t + 1] = goal[t];
      }
    }
    label_inputs_ = label_inputs_.to(device());
    label_targets_ = label_targets_.to(device());
  }

  EncodedSplit Encode(const std::vector<Example>& examples) const override {
    return task() == TaskKind::kCausalLm ? EncodeCausalLm(examples, tokenizer(), encoding_)
                                         : EncodeLabelWordInputs(examples, tokenizer(), encoding_);
  }

  TaskOutput Run(const Batch& batch) override {
    AutocastGuard autocast(bf16(), device());
    const PromptedInput input = method().Apply(lm_->EmbedTokens(batch.ids), batch.mask);
    const int64_t prompt_rows = input.embeds.size(1) - batch.ids.size(1);
    TaskOutput out;
    if (task() == TaskKind::kCausalLm) {
      LanguageModelInputs lm_inputs = Inputs(input);
      lm_inputs.decoder_input_ids = batch.decoder_ids;
      lm_inputs.decoder_mask = batch.decoder_mask;
      const torch::Tensor logits = lm_->Forward(lm_inputs);
      auto [loss, count] =
          lm_->is_encoder_decoder()
              ? TokenCrossEntropy(logits, batch.token_labels)
              : TokenCrossEntropy(ShiftedText(logits, prompt_rows, batch), batch.token_labels);
      out.loss = loss;
      out.loss_weight = static_cast<double>(count);
      return out;
    }
    out.scores = lm_->is_encoder_decoder() ? SequenceScores(input) : NextTokenScores(input, batch);
    out.loss = torch::nn::functional::cross_entropy(out.scores, batch.labels);
    out.loss_weight = static_cast<double>(batch.ids.size(0));
    return out;
  }

 private:
  LanguageModelInputs Inputs(const PromptedInput& input) const {
    LanguageModelInputs out;
    out.embeds = input.embeds;
    out.mask = input.mask;
    out.gradient_checkpointing = spec().train().gradient_checkpointing();
    return out;
  }

  // Decoder-only logits at the positions that predict the text tokens 0..L-1: position
  // p predicts token p + 1, so the text's token t is predicted at prompt_rows + t - 1 (the
  // last prompt row predicts the first token).
  static torch::Tensor ShiftedText(const torch::Tensor& logits, int64_t prompt_rows,
                                   const Batch& batch) {
    const int64_t length = batch.ids.size(1);
    if (prompt_rows >= 1) return logits.slice(1, prompt_rows - 1, prompt_rows - 1 + length);
    // No prompt rows: token 0 has no predictor; shift by padding one position.
    return torch::cat({torch::zeros_like(logits.slice(1, 0, 1)), logits.slice(1, 0, length - 1)},
                      1);
  }

  // Decoder-only label words: the logits of each label's first token at the last real
  // position.
  torch::Tensor NextTokenScores(const PromptedInput& input, const Batch& batch) {
    const torch::Tensor logits = lm_->Forward(Inputs(input));
    const torch::Tensor last = input.mask.sum(1).to(torch::kLong) - 1;  // prompt rows included
    const torch::Tensor rows = torch::arange(logits.size(0), last.options());
    const torch::Tensor at_last = logits.index({rows, last});  // B x V
    return at_last.index_select(1, label_tokens_).to(torch::kFloat32);
  }

  // T5 label words: mean log-probability of each label's target tokens, B x C.
  torch::Tensor SequenceScores(const PromptedInput& input) {
    const int64_t b = input.embeds.size(0), c = label_inputs_.size(0);
    LanguageModelInputs lm_inputs = Inputs(input);
    lm_inputs.embeds = input.embeds.repeat_interleave(c, 0);
    lm_inputs.mask = input.mask.repeat_interleave(c, 0);
    lm_inputs.decoder_input_ids = label_inputs_.repeat({b, 1});
    const torch::Tensor targets = label_targets_.repeat({b, 1});
    lm_inputs.decoder_mask = targets.ne(kIgnoreLabel).to(torch::kFloat32);
    const torch::Tensor logp = torch::log_softmax(lm_->Forward(lm_inputs).to(torch::kFloat32), -1);
    const torch::Tensor valid = targets.ne(kIgnoreLabel);
    const torch::Tensor picked =
        logp.gather(2, targets.clamp_min(0).unsqueeze(-1)).squeeze(-1) * valid;
    return (picked.sum(1) / valid.sum(1)).view({b, c});
  }

  std::shared_ptr<LanguageModelImpl> lm_;  // frozen, shared
  LmEncoding encoding_;
  torch::Tensor label_tokens_;                  // decoder-only: C first-token ids
  torch::Tensor label_inputs_, label_targets_;  // encoder-decoder: C x S rows
};

}  // namespace

std::pair<torch::Tensor, int64_t> TokenCrossEntropy(const torch::Tensor& logits,
                                                    const torch::Tensor& labels) {
  const int64_t vocab = logits.size(-1);
  const int64_t count = labels.ne(kIgnoreLabel).sum().item<int64_t>();
  const torch::Tensor sum = torch::nn::functional::cross_entropy(
      logits.reshape({-1, vocab}).to(torch::kFloat32), labels.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions()
          .ignore_index(kIgnoreLabel)
          .reduction(torch::kSum));
  return {sum / static_cast<double>(std::max<int64_t>(count, 1)), count};
}

absl::StatusOr<std::unique_ptr<PromptedModel>> CreateLanguageModelTask(
    const ptune::v1::JobSpec& spec, const LoadedBackbone& backbone,
    std::shared_ptr<PromptMethodImpl> method, const DataSplits& data, torch::Device device) {
  const bool causal = spec.data().task() == ptune::v1::TASK_TYPE_CAUSAL_LM;
  if (data.regression) {
    return absl::InvalidArgumentError(
        "data.task: regression needs a sentence-encoder backbone (use-lite), not a language "
        "model");
  }
  if (!causal && spec.model().head() == ptune::v1::HEAD_LINEAR) {
    return absl::InvalidArgumentError(
        "model.head: language models classify by label words; use the verbalizer head");
  }
  const Tokenizer& tokenizer = *backbone.tokenizer;
  const LanguageModelImpl& lm = *backbone.language_model;
  std::vector<std::vector<int64_t>> verbalizer_ids;
  std::set<int64_t> first_tokens;
  for (size_t c = 0; !causal && c < data.verbalizers.size(); ++c) {
    verbalizer_ids.push_back(tokenizer.Encode(data.verbalizers[c]));
    if (verbalizer_ids.back().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("data.verbalizers: the verbalizer of label \"",
                                                     data.labels[c], "\" has no tokens"));
    }
    if (!lm.is_encoder_decoder() && !first_tokens.insert(verbalizer_ids.back()[0]).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "data.verbalizers: the verbalizer of label \"", data.labels[c],
          "\" starts with the same token as another label's; decoder-only models score the "
          "first token, so give each label a verbalizer with a distinct first token"));
    }
  }
  LmEncoding encoding;
  encoding.encoder_decoder = lm.is_encoder_decoder();
  encoding.max_len = spec.data().max_seq_len();
  encoding.decoder_start_token = lm.decoder_start_token_id();
  encoding.template_text = spec.data().template_text();
  PromptedModel::Common common{spec,
                               causal ? TaskKind::kCausalLm : TaskKind::kClassification,
                               std::move(method),
                               backbone.tokenizer,
                               data.labels,
                               device};
  return std::unique_ptr<PromptedModel>(new LanguageModelTask(
      std::move(common), backbone.language_model, std::move(encoding), std::move(verbalizer_ids)));
}

}  // namespace ptune::engine

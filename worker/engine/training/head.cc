#include "worker/engine/training/head.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "worker/engine/backbones/encode.h"

namespace ptune::engine {

absl::StatusOr<std::shared_ptr<HeadImpl>> HeadImpl::Create(const HeadOptions& options,
                                                           BackboneImpl& backbone,
                                                           const Tokenizer& tokenizer) {
  auto head = std::make_shared<HeadImpl>(options);
  if (options.linear) {
    if (options.num_outputs < 1) {
      return absl::InvalidArgumentError("data.labels: the linear head needs at least one output");
    }
    head->linear_ = head->register_module(
        "linear", torch::nn::Linear(backbone.output_size(), options.num_outputs));
    head->linear_->to(backbone.EmbeddingTable().device());
    return head;
  }
  if (!(options.temperature > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("model.temperature: must be > 0 (got ", options.temperature, ")"));
  }
  std::vector<std::vector<int64_t>> ids;
  ids.reserve(options.verbalizers.size());
  for (size_t c = 0; c < options.verbalizers.size(); ++c) {
    ids.push_back(tokenizer.Encode(options.verbalizers[c]));
    if (ids.back().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("data.verbalizers: the verbalizer of label ",
                                                     c, " is empty after tokenization"));
    }
  }
  // One batch of every verbalizer would hold labels x tokens x hidden activations at
  // once (20,000 labels took a worker past 20 GB); chunks bound that, and a cancel is
  // honoured between them.
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> chunks;
  for (size_t begin = 0; begin < ids.size(); begin += kVerbalizerChunk) {
    if (options.should_stop && options.should_stop()) {
      return absl::CancelledError(absl::StrCat("stopped while embedding the verbalizers (", begin,
                                               " of ", ids.size(), " done)"));
    }
    const size_t end = std::min(ids.size(), begin + kVerbalizerChunk);
    const std::vector<std::vector<int64_t>> chunk(ids.begin() + begin, ids.begin() + end);
    chunks.push_back(EncodeTokenIds(backbone, chunk, tokenizer.pad_id()).to(torch::kFloat32));
  }
  const torch::Tensor embedded =
      chunks.empty() ? EncodeTokenIds(backbone, ids, tokenizer.pad_id()) : torch::cat(chunks, 0);
  head->label_embeddings_ = head->register_buffer(
      "label_embeddings", torch::nn::functional::normalize(
                              embedded, torch::nn::functional::NormalizeFuncOptions().dim(1)));
  return head;
}

torch::Tensor HeadImpl::Forward(const torch::Tensor& pooled) {
  if (options_.linear) {
    torch::Tensor out = linear_->forward(pooled.to(torch::kFloat32));
    return options_.num_outputs == 1 ? out.squeeze(1) : out;
  }
  const torch::Tensor unit = torch::nn::functional::normalize(
      pooled.to(torch::kFloat32), torch::nn::functional::NormalizeFuncOptions().dim(1));
  return options_.temperature * torch::mm(unit, label_embeddings_.t());
}

std::vector<torch::Tensor> HeadImpl::Trainable() {
  if (!options_.linear) return {};
  return {linear_->weight, linear_->bias};
}

}  // namespace ptune::engine

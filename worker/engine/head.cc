#include "worker/engine/head.h"

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
  for (size_t c = 0; c < options.verbalizers.size(); ++c) {
    if (tokenizer.Encode(options.verbalizers[c]).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("data.verbalizers: the verbalizer of label ",
                                                     c, " is empty after tokenization"));
    }
  }
  torch::NoGradGuard no_grad;
  const torch::Tensor embedded =
      EncodeTexts(backbone, tokenizer, options.verbalizers).to(torch::kFloat32);
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

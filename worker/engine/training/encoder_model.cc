#include "worker/engine/training/encoder_model.h"

#include "worker/engine/backbones/backbone.h"
#include "worker/engine/training/head.h"
#include "worker/engine/training/torch_compat.h"

namespace ptune::engine {
namespace {

// Learning rate of the optional linear head's parameter group. The spec has no field for
// it: the prompt's rate (0.3 by default) is far too high for a dense layer, and 1e-3 is
// the usual AdamW rate for a linear probe.
constexpr double kHeadLearningRate = 1e-3;

class EncoderModel : public PromptedModel {
 public:
  EncoderModel(Common common, std::shared_ptr<BackboneImpl> backbone,
               std::shared_ptr<HeadImpl> head)
      : PromptedModel(std::move(common)), backbone_(std::move(backbone)), head_(std::move(head)) {
    head_->to(device());
  }

  EncodedSplit Encode(const std::vector<Example>& examples) const override {
    return EncodeExamples(examples, tokenizer(), spec().data().max_seq_len());
  }

  TaskOutput Run(const Batch& batch) override {
    torch::Tensor scores;
    {
      AutocastGuard autocast(bf16(), device());
      const PromptedInput input = method().Apply(backbone_->EmbedTokens(batch.ids), batch.mask);
      scores = head_->Forward(backbone_->Forward(input.embeds, input.mask)).to(torch::kFloat32);
    }
    TaskOutput out;
    out.scores = scores;
    out.loss = task() == TaskKind::kRegression
                   ? torch::mse_loss(scores, batch.targets)
                   : torch::nn::functional::cross_entropy(scores, batch.labels);
    out.loss_weight = static_cast<double>(batch.ids.size(0));
    return out;
  }

 protected:
  NamedTensors HeadTensors() override {
    NamedTensors out;
    for (const auto& item : head_->named_parameters()) {
      out.emplace_back("head." + item.key(), item.value());
    }
    return out;
  }
  std::vector<ParamGroup> HeadGroups() override {
    if (!head_->linear()) return {};
    return {ParamGroup{"head", head_->Trainable(), kHeadLearningRate}};
  }

 private:
  std::shared_ptr<BackboneImpl> backbone_;  // frozen, shared
  std::shared_ptr<HeadImpl> head_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<PromptedModel>> CreateEncoderModel(
    const ptune::v1::JobSpec& spec, const LoadedBackbone& backbone,
    std::shared_ptr<PromptMethodImpl> method, const DataSplits& data, torch::Device device,
    const std::function<bool()>& should_stop) {
  HeadOptions head_options;
  head_options.linear = data.regression || spec.model().head() == ptune::v1::HEAD_LINEAR;
  head_options.temperature = spec.model().temperature();
  head_options.verbalizers = data.verbalizers;
  head_options.num_outputs = data.regression ? 1 : static_cast<int64_t>(data.labels.size());
  head_options.should_stop = should_stop;
  auto head = HeadImpl::Create(head_options, *backbone.backbone, *backbone.tokenizer);
  if (!head.ok()) return head.status();
  return std::unique_ptr<PromptedModel>(new EncoderModel(
      PromptedModel::Common{spec,
                            data.regression ? TaskKind::kRegression : TaskKind::kClassification,
                            std::move(method), backbone.tokenizer, data.labels, device},
      backbone.backbone, *std::move(head)));
}

}  // namespace ptune::engine

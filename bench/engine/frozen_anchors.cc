#include "bench/engine/frozen_anchors.h"

#include <torch/torch.h>

#include <chrono>

#include "common/spec_defaults.h"
#include "common/spec_validation.h"
#include "worker/engine/backbone_resolver.h"
#include "worker/engine/data/batcher.h"
#include "worker/engine/data/dataset.h"
#include "worker/engine/training/head.h"
#include "worker/engine/training/optim.h"

namespace ptune::bench {
namespace {

using engine::BackboneImpl;

// Full-batch Adam on a convex problem: enough steps at a decaying rate to converge on
// 2,400 x 512 unit-norm features (the training accuracy stops moving well before).
constexpr int kProbeSteps = 1500;
constexpr double kProbeLearningRate = 0.02;
constexpr double kL2Grid[] = {0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2};

struct Embedded {
  torch::Tensor pooled;  // N x output_size
  torch::Tensor labels;  // N
};

Embedded Embed(BackboneImpl& backbone, const engine::Tokenizer& tokenizer,
               const std::vector<engine::Example>& examples, int64_t max_seq_len) {
  torch::NoGradGuard no_grad;
  const engine::EncodedSplit split = engine::EncodeExamples(examples, tokenizer, max_seq_len);
  std::vector<torch::Tensor> pooled;
  for (int64_t begin = 0; begin < split.size(); begin += 64) {
    const engine::Batch batch =
        engine::SliceBatch(split, begin, std::min(split.size(), begin + 64));
    pooled.push_back(backbone.Forward(backbone.EmbedTokens(batch.ids), batch.mask));
  }
  return {torch::cat(pooled, 0), split.labels};
}

double Accuracy(const torch::Tensor& logits, const torch::Tensor& labels) {
  return logits.argmax(1).eq(labels).to(torch::kFloat64).mean().item<double>();
}

ProbeFit FitProbe(double l2, const Embedded& train, const Embedded& validation,
                  const Embedded& test, BackboneImpl& backbone, const engine::Tokenizer& tokenizer,
                  int64_t classes) {
  torch::manual_seed(0);
  engine::HeadOptions options;
  options.linear = true;
  options.num_outputs = classes;
  std::shared_ptr<engine::HeadImpl> head = *engine::HeadImpl::Create(options, backbone, tokenizer);
  ptune::v1::TrainSpec train_spec;
  train_spec.set_optimizer(ptune::v1::OPTIMIZER_ADAM);
  train_spec.set_weight_decay(static_cast<float>(l2));
  auto optimizer = engine::MakeOptimizer(
      {engine::ParamGroup{"head", head->Trainable(), kProbeLearningRate}}, train_spec);
  for (int step = 1; step <= kProbeSteps; ++step) {
    engine::ApplyLearningRates(
        *optimizer, {kProbeLearningRate},
        engine::LrMultiplier(step, kProbeSteps, 0, ptune::v1::LR_SCHEDULE_LINEAR));
    optimizer->zero_grad();
    torch::nn::functional::cross_entropy(head->Forward(train.pooled), train.labels).backward();
    optimizer->step();
  }
  torch::NoGradGuard no_grad;
  return ProbeFit{l2, Accuracy(head->Forward(train.pooled), train.labels),
                  Accuracy(head->Forward(validation.pooled), validation.labels),
                  Accuracy(head->Forward(test.pooled), test.labels)};
}

}  // namespace

absl::StatusOr<FrozenAnchors> MeasureFrozenAnchors(ptune::v1::JobSpec spec, int64_t max_seq_len) {
  ApplySpecDefaults(&spec);
  if (max_seq_len > 0) spec.mutable_data()->set_max_seq_len(static_cast<uint32_t>(max_seq_len));
  if (absl::Status s = ValidateJobSpec(spec); !s.ok()) return s;
  auto model = engine::AcquireBackbone(spec.model(), torch::kCPU, nullptr);
  if (!model.ok()) return model.status();
  auto data = engine::LoadDataSplits(spec.data());
  if (!data.ok()) return data.status();
  BackboneImpl& backbone = *model->backbone;
  const engine::Tokenizer& tokenizer = *model->tokenizer;
  FrozenAnchors out;
  out.max_seq_len = spec.data().max_seq_len();
  const auto start = std::chrono::steady_clock::now();
  const Embedded train = Embed(backbone, tokenizer, data->train, out.max_seq_len);
  const Embedded validation = Embed(backbone, tokenizer, data->validation, out.max_seq_len);
  const Embedded test = Embed(backbone, tokenizer, data->test, out.max_seq_len);
  out.embed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  engine::HeadOptions verbalizer;
  verbalizer.temperature = spec.model().temperature();
  verbalizer.verbalizers = data->verbalizers;
  auto head = engine::HeadImpl::Create(verbalizer, backbone, tokenizer);
  if (!head.ok()) return head.status();
  {
    torch::NoGradGuard no_grad;
    out.zero_shot_validation = Accuracy((*head)->Forward(validation.pooled), validation.labels);
    out.zero_shot_test = Accuracy((*head)->Forward(test.pooled), test.labels);
  }
  const auto classes = static_cast<int64_t>(data->labels.size());
  for (double l2 : kL2Grid) {
    out.probes.push_back(FitProbe(l2, train, validation, test, backbone, tokenizer, classes));
    if (out.probes.back().validation_accuracy > out.probes[out.best].validation_accuracy) {
      out.best = out.probes.size() - 1;
    }
  }
  return out;
}

}  // namespace ptune::bench

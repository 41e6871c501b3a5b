#include "worker/engine/data/batcher.h"

#include <algorithm>

namespace ptune::engine {
namespace {

std::vector<int64_t> EncodeOne(const Example& example, const Tokenizer& tokenizer,
                               int64_t max_seq_len) {
  std::vector<int64_t> a = tokenizer.Encode(example.text);
  if (!example.text_pair.empty()) {
    std::vector<int64_t> b = tokenizer.Encode(example.text_pair);
    while (static_cast<int64_t>(a.size() + b.size()) > max_seq_len) {
      (a.size() >= b.size() ? a : b).pop_back();
    }
    a.insert(a.end(), b.begin(), b.end());
  }
  if (static_cast<int64_t>(a.size()) > max_seq_len) a.resize(max_seq_len);
  if (a.empty()) a.push_back(tokenizer.unk_id());
  return a;
}

// splitmix64: decorrelates the per-epoch seeds derived from (seed, epoch).
uint64_t MixSeed(uint64_t seed, uint64_t epoch) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (epoch + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

EncodedSplit EncodeExamples(const std::vector<Example>& examples, const Tokenizer& tokenizer,
                            int64_t max_seq_len) {
  const int64_t n = static_cast<int64_t>(examples.size());
  EncodedSplit out;
  out.ids = torch::full({n, max_seq_len}, tokenizer.pad_id(), torch::kLong);
  out.mask = torch::zeros({n, max_seq_len}, torch::kFloat32);
  out.labels = torch::empty({n}, torch::kLong);
  out.targets = torch::empty({n}, torch::kFloat32);
  auto ids = out.ids.accessor<int64_t, 2>();
  auto mask = out.mask.accessor<float, 2>();
  auto labels = out.labels.accessor<int64_t, 1>();
  auto targets = out.targets.accessor<float, 1>();
  for (int64_t i = 0; i < n; ++i) {
    const std::vector<int64_t> tokens = EncodeOne(examples[i], tokenizer, max_seq_len);
    for (size_t t = 0; t < tokens.size(); ++t) {
      ids[i][t] = tokens[t];
      mask[i][t] = 1.0f;
    }
    labels[i] = examples[i].label;
    targets[i] = static_cast<float>(examples[i].target);
  }
  return out;
}

namespace {

// The batch whose rows `rows` picks from every tensor of `split` (undefined stays undefined).
template <typename Rows>
Batch BatchOfRows(const EncodedSplit& split, const Rows& rows) {
  const auto pick = [&rows](const torch::Tensor& t) { return t.defined() ? rows(t) : t; };
  Batch batch{pick(split.ids),
              pick(split.mask),
              pick(split.labels),
              pick(split.targets),
              0,
              pick(split.token_labels),
              pick(split.decoder_ids),
              pick(split.decoder_mask)};
  batch.tokens = batch.mask.sum().item<int64_t>();
  return batch;
}

}  // namespace

Batch SliceBatch(const EncodedSplit& split, int64_t begin, int64_t end) {
  return BatchOfRows(split,
                     [begin, end](const torch::Tensor& t) { return t.slice(0, begin, end); });
}

Batch GatherBatch(const EncodedSplit& split, const std::vector<int64_t>& indices) {
  const torch::Tensor index = torch::tensor(indices, torch::kLong);
  return BatchOfRows(split, [&index](const torch::Tensor& t) { return t.index_select(0, index); });
}

BatchSchedule::BatchSchedule(int64_t split_size, int64_t batch_size, uint64_t seed)
    : split_size_(split_size), batch_size_(batch_size), seed_(seed) {}

std::vector<int64_t> BatchSchedule::Indices(uint64_t step) {
  std::vector<int64_t> indices;
  indices.reserve(batch_size_);
  const uint64_t n = static_cast<uint64_t>(split_size_);
  for (uint64_t p = step * batch_size_; p < (step + 1) * batch_size_; ++p) {
    const uint64_t epoch = p / n;
    if (epoch != cached_epoch_) {
      order_ = SeededPermutation(split_size_, MixSeed(seed_, epoch));
      cached_epoch_ = epoch;
    }
    indices.push_back(static_cast<int64_t>(order_[p % n]));
  }
  return indices;
}

}  // namespace ptune::engine

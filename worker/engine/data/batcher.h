#ifndef PTUNE_WORKER_ENGINE_DATA_BATCHER_H_
#define PTUNE_WORKER_ENGINE_DATA_BATCHER_H_

// Tokenized, padded examples and the deterministic order in which training draws them.
// Torch header.

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "worker/engine/backbones/tokenizer.h"
#include "worker/engine/data/dataset.h"

namespace ptune::engine {

// A split tokenized once, padded to exactly `max_seq_len` tokens (CPU tensors).
struct EncodedSplit {
  torch::Tensor ids;      // N x L int64, pad_id() in padded positions
  torch::Tensor mask;     // N x L float32, 1 = token, 0 = pad
  torch::Tensor labels;   // N int64 (classification; -1 for regression)
  torch::Tensor targets;  // N float32 (regression; 0 for classification)
  // Language-model tasks only (undefined otherwise; see data/lm_encoding.h):
  torch::Tensor token_labels;  // N x L (decoder-only) or N x S (decoder) int64, -100 = no loss
  torch::Tensor decoder_ids;   // N x S int64 decoder inputs (encoder-decoder causal LM)
  torch::Tensor decoder_mask;  // N x S float32
  int64_t size() const { return ids.defined() ? ids.size(0) : 0; }
};

struct Batch {
  torch::Tensor ids, mask, labels, targets;
  int64_t tokens = 0;                                     // non-pad tokens in the batch
  torch::Tensor token_labels, decoder_ids, decoder_mask;  // as EncodedSplit's
};

// Tokenizes every example: single sentences become Encode(text) truncated to L; pairs
// become Encode(text) ++ Encode(text_pair), truncating the longer side first until the
// pair fits in L (BERT's longest-first rule; USE-Lite has no separator token). Texts that
// tokenize to nothing keep one unk_id() token so no row is fully masked.
EncodedSplit EncodeExamples(const std::vector<Example>& examples, const Tokenizer& tokenizer,
                            int64_t max_seq_len);

// Rows [begin, end) of a split (evaluation batches, in order).
Batch SliceBatch(const EncodedSplit& split, int64_t begin, int64_t end);

// The training order: an endless stream of epochs, each a SeededPermutation of the split
// seeded by (seed, epoch). Step s (0-based) takes stream positions [s*B, (s+1)*B), which
// may cross an epoch boundary. The order is a pure function of (seed, step), so a resumed
// job draws exactly the batches an uninterrupted one would.
class BatchSchedule {
 public:
  BatchSchedule(int64_t split_size, int64_t batch_size, uint64_t seed);
  // Row indices of step `step`'s batch.
  std::vector<int64_t> Indices(uint64_t step);
  int64_t batch_size() const { return batch_size_; }

 private:
  int64_t split_size_;
  int64_t batch_size_;
  uint64_t seed_;
  uint64_t cached_epoch_ = ~0ULL;  // epoch whose permutation is in order_
  std::vector<size_t> order_;
};

// Gathers `indices` of `split` into a batch.
Batch GatherBatch(const EncodedSplit& split, const std::vector<int64_t>& indices);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_DATA_BATCHER_H_

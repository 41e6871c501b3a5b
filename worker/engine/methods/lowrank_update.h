#ifndef PTUNE_WORKER_ENGINE_METHODS_LOWRANK_UPDATE_H_
#define PTUNE_WORKER_ENGINE_METHODS_LOWRANK_UPDATE_H_

// DePT's position-wise low-rank update of the input embeddings (docs/methods.md, "DePT"):
// E' = E + s (A B), A: L x r, B: r x d, s = alpha / sqrt(r). Shared by DePT and EPT.
// Torch header.

#include <torch/torch.h>

#include <cstdint>

namespace ptune::engine {

struct LowRankUpdateOptions {
  int64_t max_seq_len = 0;  // L: every batch must be padded to exactly this length
  int64_t hidden_size = 0;  // d
  int64_t rank = 0;         // r >= 1
  double alpha = 8.0;       // s = alpha / sqrt(r)
};

// Parameters "A" (L x r, kaiming-uniform with a = sqrt(5), fan-in r as in DePT's code)
// and "B" (r x d, zeros), so E' = E at initialisation.
class LowRankUpdateImpl : public torch::nn::Module {
 public:
  explicit LowRankUpdateImpl(const LowRankUpdateOptions& options);

  // A B, L x d (unscaled): EPT's "low-rank knowledge" K.
  torch::Tensor Product() const;
  // E + s A B for embeds B x L x d; throws c10::Error when the length is not L.
  torch::Tensor Update(const torch::Tensor& embeds) const;

  double scale() const { return scale_; }
  const LowRankUpdateOptions& options() const { return options_; }
  const torch::Tensor& a() const { return a_; }
  const torch::Tensor& b() const { return b_; }

 private:
  LowRankUpdateOptions options_;
  double scale_ = 0.0;
  torch::Tensor a_;
  torch::Tensor b_;
};
TORCH_MODULE(LowRankUpdate);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_METHODS_LOWRANK_UPDATE_H_

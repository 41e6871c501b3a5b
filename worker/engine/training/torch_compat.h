#ifndef PTUNE_WORKER_ENGINE_TRAINING_TORCH_COMPAT_H_
#define PTUNE_WORKER_ENGINE_TRAINING_TORCH_COMPAT_H_

// The few LibTorch calls whose spelling differs between LibTorch 1.13 (Debian, CPU) and
// 2.x (a GPU machine's Python torch). Everything else in the engine uses API common to
// both. Torch header.

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

namespace ptune::engine {

// Enables bf16 autocast for `device` while alive (no-op when `enabled` is false), and
// clears the autocast weight cache when the outermost guard ends, as torch.autocast does.
class AutocastGuard {
 public:
  AutocastGuard(bool enabled, const torch::Device& device)
      : enabled_(enabled), cuda_(device.is_cuda()) {
    if (!enabled_) return;
#if TORCH_VERSION_MAJOR >= 2 && TORCH_VERSION_MINOR >= 4
    const c10::DeviceType type = cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
    previous_enabled_ = at::autocast::is_autocast_enabled(type);
    previous_dtype_ = at::autocast::get_autocast_dtype(type);
    at::autocast::set_autocast_dtype(type, at::kBFloat16);
    at::autocast::set_autocast_enabled(type, true);
#else
    previous_enabled_ = cuda_ ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
    previous_dtype_ =
        cuda_ ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
    if (cuda_) {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    } else {
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
#endif
    at::autocast::increment_nesting();
  }

  ~AutocastGuard() {
    if (!enabled_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if TORCH_VERSION_MAJOR >= 2 && TORCH_VERSION_MINOR >= 4
    const c10::DeviceType type = cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
    at::autocast::set_autocast_enabled(type, previous_enabled_);
    at::autocast::set_autocast_dtype(type, previous_dtype_);
#else
    if (cuda_) {
      at::autocast::set_enabled(previous_enabled_);
      at::autocast::set_autocast_gpu_dtype(previous_dtype_);
    } else {
      at::autocast::set_cpu_enabled(previous_enabled_);
      at::autocast::set_autocast_cpu_dtype(previous_dtype_);
    }
#endif
  }

  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool enabled_;
  bool cuda_;
  bool previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kBFloat16;
};

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_TRAINING_TORCH_COMPAT_H_

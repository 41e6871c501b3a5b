#include "worker/engine/runtime.h"

#include <torch/torch.h>

#include <thread>

#include "absl/strings/str_cat.h"

namespace ptune::engine {

void InitRuntime(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  torch::set_num_threads(threads);
}

std::string RuntimeSummary() {
  return absl::StrCat("LibTorch ", TORCH_VERSION, ", ", torch::get_num_threads(),
                      " intra-op threads, CUDA devices: ",
                      torch::cuda::is_available() ? torch::cuda::device_count() : 0);
}

}  // namespace ptune::engine

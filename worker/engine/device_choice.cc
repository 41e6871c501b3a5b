#include "worker/engine/device_choice.h"

#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace ptune::engine {
namespace {

// The pin as a device, or an error naming it; "" gives nullopt.
absl::StatusOr<std::optional<torch::Device>> ParsePin(const std::string& pinned) {
  if (pinned.empty()) return std::nullopt;
  if (pinned == "cpu") return torch::Device(torch::kCPU);
  absl::string_view rest = pinned;
  int index = -1;
  if (absl::ConsumePrefix(&rest, "cuda:") && absl::SimpleAtoi(rest, &index) && index >= 0 &&
      index < 256) {
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("device: expected \"cpu\" or \"cuda:<index>\" (got \"", pinned, "\")"));
}

int CudaDeviceCount() {
  return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
}

}  // namespace

absl::StatusOr<torch::Device> ChooseDevice(const ptune::v1::ResourceSpec& resources,
                                           const std::string& pinned) {
  auto pin = ParsePin(pinned);
  if (!pin.ok()) return pin.status();
  if (resources.device() == ptune::v1::DEVICE_KIND_CPU) return torch::Device(torch::kCPU);
  const int cuda_devices = CudaDeviceCount();
  const bool needs_cuda = resources.device() == ptune::v1::DEVICE_KIND_CUDA;
  if (!pin->has_value()) {
    if (needs_cuda && cuda_devices == 0) {
      return absl::FailedPreconditionError(
          "resources.device: CUDA requested but no CUDA device is available");
    }
    return cuda_devices > 0 ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  }
  const torch::Device device = **pin;
  if (device.is_cpu()) {
    if (!needs_cuda) return device;
    return absl::FailedPreconditionError(
        "resources.device: CUDA requested but this worker slot runs on the CPU");
  }
  if (device.index() >= cuda_devices) {
    return absl::FailedPreconditionError(absl::StrCat("device: ", device.str(),
                                                      " does not exist (this process sees ",
                                                      cuda_devices, " CUDA devices)"));
  }
  return device;
}

}  // namespace ptune::engine

#ifndef PTUNE_WORKER_ENGINE_DEVICE_CHOICE_H_
#define PTUNE_WORKER_ENGINE_DEVICE_CHOICE_H_

// Which device a job trains on. The spec says what the job needs (resources.device:
// AUTO, CPU or CUDA); the worker may pin the job to one of its devices (one job per GPU:
// the agent gives each job slot its own "cuda:N"). Torch header.

#include <torch/torch.h>

#include <string>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"

namespace ptune::engine {

// `pinned` is "" (no pin: CUDA device 0 when available and allowed, else the CPU), "cpu",
// or "cuda:N". A CPU job always runs on the CPU, whatever the pin. Errors:
// INVALID_ARGUMENT for a pin that is not one of those forms; FAILED_PRECONDITION when
// the job needs CUDA and the pin is the CPU or none is available, or when the pinned
// CUDA device does not exist (the message gives the number of devices).
absl::StatusOr<torch::Device> ChooseDevice(const ptune::v1::ResourceSpec& resources,
                                           const std::string& pinned);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_DEVICE_CHOICE_H_

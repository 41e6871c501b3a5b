#ifndef PTUNE_WORKER_AGENT_DEVICES_H_
#define PTUNE_WORKER_AGENT_DEVICES_H_

// The devices this worker offers. Torch-free, and so is devices.cc: the CUDA driver API
// (libcuda.so.1, loaded at run time, so a machine without it needs nothing) counts the
// GPUs and gives their names and memory.

#include <vector>

#include "ptune/v1/job_service.pb.h"

namespace ptune::agent {

// CPU 0 (memory from /proc/meminfo) followed by every CUDA device the driver reports
// (after CUDA_VISIBLE_DEVICES), when `engine_supports_cuda` (false for a CPU-only
// LibTorch build: it could not run a job on them). A CUDA device whose name or memory
// query fails is still listed, with its name as "cuda" and memory 0.
std::vector<v1::Device> DiscoverDevices(bool engine_supports_cuda);

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_DEVICES_H_

#ifndef PTUNE_WORKER_AGENT_DEVICES_H_
#define PTUNE_WORKER_AGENT_DEVICES_H_

// The devices this worker offers. Torch-free header; devices.cc asks LibTorch how many
// CUDA devices it can use and the CUDA driver (loaded at run time, so a CPU-only build
// and machine need nothing) for their names and memory.

#include <vector>

#include "ptune/v1/job_service.pb.h"

namespace ptune::agent {

// CPU 0 (memory from /proc/meminfo) followed by every CUDA device LibTorch can use. A
// CUDA device whose driver query fails is still listed, with its name as "cuda" and
// memory 0.
std::vector<v1::Device> DiscoverDevices();

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_DEVICES_H_

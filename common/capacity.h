#ifndef PTUNE_COMMON_CAPACITY_H_
#define PTUNE_COMMON_CAPACITY_H_

// How many jobs a worker runs at once: the one rule the worker (its job slots) and the
// scheduler (how many jobs it dispatches to a worker) must agree on.
//
// One job per GPU: a worker with CUDA devices has one slot per device, each pinned to
// its own device. A CPU-only worker has `cpu_slots` slots (--max-cpu-jobs, at least 1:
// LibTorch already spreads one job over every core).
//
// Header-only and proto-free so that every process (the engine-only build included) can
// use it without linking the service protos.

#include <algorithm>
#include <cstdint>

namespace ptune {

constexpr uint32_t JobSlots(uint32_t cuda_devices, uint32_t cpu_slots) {
  return cuda_devices > 0 ? cuda_devices : std::max<uint32_t>(1, cpu_slots);
}

// The capacity the scheduler plans with for a registered worker: the max_jobs it
// declared (a worker registers its JobSlots), or, for a worker that declared none,
// JobSlots with one CPU slot.
constexpr uint32_t WorkerCapacity(uint32_t declared_max_jobs, uint32_t cuda_devices) {
  return declared_max_jobs > 0 ? declared_max_jobs : JobSlots(cuda_devices, 1);
}

}  // namespace ptune

#endif  // PTUNE_COMMON_CAPACITY_H_

#ifndef PTUNE_WORKER_AGENT_SLOT_POOL_H_
#define PTUNE_WORKER_AGENT_SLOT_POOL_H_

// The job slots of a worker (common/capacity.h): one per CUDA device, slot n pinned to
// the n-th CUDA device ("cuda:<its index>"), or a number of CPU slots ("cpu") on a
// machine without GPUs. A slot runs one job at a time; the lowest free slot is handed
// out first, so a freed GPU is reused before an idle one is woken.
//
// Not thread-safe: the owner serialises calls.

#include <optional>
#include <string>
#include <vector>

#include "ptune/v1/job_service.pb.h"

namespace ptune::agent {

class SlotPool {
 public:
  struct Slot {
    int index = -1;
    std::string device;  // "cpu" or "cuda:<index>"
  };

  // `devices`: what the worker registers (DiscoverDevices()); `cpu_slots`: slots when
  // none is a CUDA device.
  SlotPool(const std::vector<v1::Device>& devices, uint32_t cpu_slots);

  // The lowest free slot, now busy; nullopt when every slot is busy.
  std::optional<Slot> Acquire();
  // Frees a slot Acquire() returned. Releasing a free or unknown slot is a no-op.
  void Release(int index);

  int size() const { return static_cast<int>(devices_.size()); }
  int busy() const;

 private:
  std::vector<std::string> devices_;  // by slot index
  std::vector<bool> busy_;
};

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_SLOT_POOL_H_

#include "worker/agent/slot_pool.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/capacity.h"

namespace ptune::agent {

SlotPool::SlotPool(const std::vector<v1::Device>& devices, uint32_t cpu_slots) {
  for (const v1::Device& d : devices) {
    if (d.kind() == v1::DEVICE_KIND_CUDA) devices_.push_back(absl::StrCat("cuda:", d.index()));
  }
  const uint32_t slots = JobSlots(static_cast<uint32_t>(devices_.size()), cpu_slots);
  if (devices_.empty()) devices_.assign(slots, "cpu");
  busy_.assign(devices_.size(), false);
}

std::optional<SlotPool::Slot> SlotPool::Acquire() {
  for (size_t i = 0; i < busy_.size(); ++i) {
    if (busy_[i]) continue;
    busy_[i] = true;
    return Slot{static_cast<int>(i), devices_[i]};
  }
  return std::nullopt;
}

void SlotPool::Release(int index) {
  if (index >= 0 && index < size()) busy_[index] = false;
}

int SlotPool::busy() const {
  return static_cast<int>(std::count(busy_.begin(), busy_.end(), true));
}

}  // namespace ptune::agent

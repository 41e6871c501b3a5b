#include "worker/agent/slot_pool.h"

#include <gtest/gtest.h>

#include <vector>

#include "common/capacity.h"

namespace ptune::agent {
namespace {

std::vector<v1::Device> Devices(int gpus, uint32_t first_gpu_index = 0) {
  std::vector<v1::Device> devices(1);
  devices[0].set_kind(v1::DEVICE_KIND_CPU);
  for (int i = 0; i < gpus; ++i) {
    v1::Device& gpu = devices.emplace_back();
    gpu.set_kind(v1::DEVICE_KIND_CUDA);
    gpu.set_index(first_gpu_index + i);
  }
  return devices;
}

TEST(SlotPool, OneSlotPerGpuEachPinnedToItsDeviceWhateverTheCpuSlots) {
  SlotPool pool(Devices(2, /*first_gpu_index=*/4), /*cpu_slots=*/8);
  EXPECT_EQ(pool.size(), 2);
  auto a = pool.Acquire();
  auto b = pool.Acquire();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->device, "cuda:4");
  EXPECT_EQ(b->device, "cuda:5");
  EXPECT_FALSE(pool.Acquire()) << "one job per GPU";
  EXPECT_EQ(pool.busy(), 2);
}

TEST(SlotPool, AFreedSlotIsHandedOutAgainWithTheSameDevice) {
  SlotPool pool(Devices(3), 1);
  auto first = pool.Acquire();
  auto second = pool.Acquire();
  auto third = pool.Acquire();
  pool.Release(second->index);
  pool.Release(second->index);  // twice: no-op
  pool.Release(17);             // unknown: no-op
  EXPECT_EQ(pool.busy(), 2);
  auto again = pool.Acquire();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->index, second->index);
  EXPECT_EQ(again->device, "cuda:1");
  EXPECT_FALSE(pool.Acquire());
  (void)first;
  (void)third;
}

TEST(SlotPool, WithoutGpusHasTheCpuSlotsAndAtLeastOne) {
  SlotPool three(Devices(0), 3);
  EXPECT_EQ(three.size(), 3);
  EXPECT_EQ(three.Acquire()->device, "cpu");
  SlotPool none(Devices(0), 0);
  EXPECT_EQ(none.size(), 1);
}

TEST(Capacity, WorkerAndSchedulerAgreeOnTheSlotCount) {
  EXPECT_EQ(JobSlots(0, 0), 1u);
  EXPECT_EQ(JobSlots(0, 4), 4u);
  EXPECT_EQ(JobSlots(2, 4), 2u);
  // The scheduler trusts what a worker registered, and falls back to the rule.
  EXPECT_EQ(WorkerCapacity(JobSlots(2, 4), 2), 2u);
  EXPECT_EQ(WorkerCapacity(0, 3), 3u);
  EXPECT_EQ(WorkerCapacity(0, 0), 1u);
}

}  // namespace
}  // namespace ptune::agent

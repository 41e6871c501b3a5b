#include "worker/engine/device_choice.h"

#include <gtest/gtest.h>

#include <string>

namespace ptune::engine {
namespace {

ptune::v1::ResourceSpec Needs(ptune::v1::DeviceKind kind) {
  ptune::v1::ResourceSpec resources;
  resources.set_device(kind);
  return resources;
}

int CudaDevices() {
  return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
}

TEST(DeviceChoiceTest, CpuJobRunsOnTheCpuWhateverThePin) {
  for (const char* pin : {"", "cpu", "cuda:0", "cuda:7"}) {
    auto device = ChooseDevice(Needs(ptune::v1::DEVICE_KIND_CPU), pin);
    ASSERT_TRUE(device.ok()) << pin << ": " << device.status();
    EXPECT_TRUE(device->is_cpu()) << pin;
  }
}

TEST(DeviceChoiceTest, MalformedPinIsRejectedNamingTheField) {
  for (const char* pin :
       {"gpu", "cuda", "cuda:", "cuda:-1", "cuda:x", "cuda:1x", "CPU", "cuda:999"}) {
    auto device = ChooseDevice(Needs(ptune::v1::DEVICE_KIND_AUTO), pin);
    ASSERT_FALSE(device.ok()) << pin;
    EXPECT_EQ(device.status().code(), absl::StatusCode::kInvalidArgument) << pin;
    EXPECT_NE(device.status().message().find("device:"), std::string::npos) << device.status();
  }
}

TEST(DeviceChoiceTest, AutoWithoutPinPrefersTheFirstGpu) {
  auto device = ChooseDevice(Needs(ptune::v1::DEVICE_KIND_AUTO), "");
  ASSERT_TRUE(device.ok()) << device.status();
  if (CudaDevices() > 0) {
    EXPECT_EQ(*device, torch::Device(torch::kCUDA, 0));
  } else {
    EXPECT_TRUE(device->is_cpu());
  }
}

TEST(DeviceChoiceTest, AutoJobFollowsACpuPin) {
  auto device = ChooseDevice(Needs(ptune::v1::DEVICE_KIND_AUTO), "cpu");
  ASSERT_TRUE(device.ok()) << device.status();
  EXPECT_TRUE(device->is_cpu());
}

TEST(DeviceChoiceTest, CudaJobOnACpuSlotFails) {
  auto device = ChooseDevice(Needs(ptune::v1::DEVICE_KIND_CUDA), "cpu");
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(device.status().message().find("resources.device"), std::string::npos);
}

TEST(DeviceChoiceTest, CudaJobWithoutPinNeedsAGpu) {
  auto device = ChooseDevice(Needs(ptune::v1::DEVICE_KIND_CUDA), "");
  if (CudaDevices() > 0) {
    ASSERT_TRUE(device.ok()) << device.status();
    EXPECT_EQ(*device, torch::Device(torch::kCUDA, 0));
  } else {
    ASSERT_FALSE(device.ok());
    EXPECT_EQ(device.status().code(), absl::StatusCode::kFailedPrecondition);
  }
}

TEST(DeviceChoiceTest, PinToAMissingGpuSaysHowManyThereAre) {
  const std::string pin = "cuda:" + std::to_string(CudaDevices());
  auto device = ChooseDevice(Needs(ptune::v1::DEVICE_KIND_AUTO), pin);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(device.status().message().find(std::to_string(CudaDevices()) + " CUDA devices"),
            std::string::npos)
      << device.status();
}

TEST(DeviceChoiceTest, PinToEachExistingGpuIsHonoured) {
  for (int i = 0; i < CudaDevices(); ++i) {
    auto device = ChooseDevice(Needs(ptune::v1::DEVICE_KIND_CUDA), "cuda:" + std::to_string(i));
    ASSERT_TRUE(device.ok()) << device.status();
    EXPECT_EQ(*device, torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(i)));
  }
}

}  // namespace
}  // namespace ptune::engine

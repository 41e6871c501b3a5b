#include "worker/agent/devices.h"

#include <dlfcn.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace ptune::agent {
namespace {

// Reads "MemTotal:" / "MemAvailable:" (kB) from /proc/meminfo.
uint64_t MemInfoBytes(const std::string& key) {
  std::ifstream in("/proc/meminfo");
  std::string name;
  uint64_t kb = 0;
  std::string unit;
  while (in >> name >> kb) {
    std::getline(in, unit);
    if (name == key) return kb * 1024;
  }
  return 0;
}

// The few CUDA driver API entry points needed, resolved from libcuda.so.1 at run time.
// Results are CUresult codes (0 = success); contexts and devices are opaque here.
struct CudaDriver {
  using Init = int (*)(unsigned);
  using DeviceGetCount = int (*)(int*);
  using DeviceGet = int (*)(int*, int);
  using GetName = int (*)(char*, int, int);
  using TotalMem = int (*)(size_t*, int);
  using CtxRetain = int (*)(void**, int);
  using CtxRelease = int (*)(int);
  using CtxPush = int (*)(void*);
  using CtxPop = int (*)(void**);
  using MemGetInfo = int (*)(size_t*, size_t*);

  void* lib = nullptr;
  Init init = nullptr;
  DeviceGetCount device_get_count = nullptr;
  DeviceGet device_get = nullptr;
  GetName get_name = nullptr;
  TotalMem total_mem = nullptr;
  CtxRetain ctx_retain = nullptr;
  CtxRelease ctx_release = nullptr;
  CtxPush ctx_push = nullptr;
  CtxPop ctx_pop = nullptr;
  MemGetInfo mem_get_info = nullptr;

  bool Load() {
    lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return false;
    init = reinterpret_cast<Init>(dlsym(lib, "cuInit"));
    device_get_count = reinterpret_cast<DeviceGetCount>(dlsym(lib, "cuDeviceGetCount"));
    device_get = reinterpret_cast<DeviceGet>(dlsym(lib, "cuDeviceGet"));
    get_name = reinterpret_cast<GetName>(dlsym(lib, "cuDeviceGetName"));
    total_mem = reinterpret_cast<TotalMem>(dlsym(lib, "cuDeviceTotalMem_v2"));
    ctx_retain = reinterpret_cast<CtxRetain>(dlsym(lib, "cuDevicePrimaryCtxRetain"));
    ctx_release = reinterpret_cast<CtxRelease>(dlsym(lib, "cuDevicePrimaryCtxRelease_v2"));
    ctx_push = reinterpret_cast<CtxPush>(dlsym(lib, "cuCtxPushCurrent_v2"));
    ctx_pop = reinterpret_cast<CtxPop>(dlsym(lib, "cuCtxPopCurrent_v2"));
    mem_get_info = reinterpret_cast<MemGetInfo>(dlsym(lib, "cuMemGetInfo_v2"));
    return init && device_get_count && device_get && get_name && total_mem && init(0) == 0;
  }

  // Devices this process may use (the driver applies CUDA_VISIBLE_DEVICES).
  int DeviceCount() const {
    int count = 0;
    return device_get_count(&count) == 0 ? count : 0;
  }

  // Free memory needs a context: use the device's primary one, which LibTorch shares.
  uint64_t FreeBytes(int device) const {
    if (!ctx_retain || !ctx_release || !ctx_push || !ctx_pop || !mem_get_info) return 0;
    void* ctx = nullptr;
    if (ctx_retain(&ctx, device) != 0) return 0;
    size_t free = 0, total = 0;
    if (ctx_push(ctx) == 0) {
      if (mem_get_info(&free, &total) != 0) free = 0;
      void* popped = nullptr;
      ctx_pop(&popped);
    }
    ctx_release(device);
    return free;
  }
};

v1::Device CudaDevice(const CudaDriver& driver, int index) {
  v1::Device device;
  device.set_kind(v1::DEVICE_KIND_CUDA);
  device.set_index(index);
  device.set_name("cuda");
  int handle = 0;
  if (driver.device_get(&handle, index) != 0) return device;
  char name[256] = {};
  if (driver.get_name(name, sizeof(name) - 1, handle) == 0) device.set_name(name);
  size_t total = 0;
  if (driver.total_mem(&total, handle) == 0) device.set_total_memory_bytes(total);
  device.set_free_memory_bytes(driver.FreeBytes(handle));
  return device;
}

}  // namespace

std::vector<v1::Device> DiscoverDevices(bool engine_supports_cuda) {
  std::vector<v1::Device> devices;
  v1::Device& cpu = devices.emplace_back();
  cpu.set_kind(v1::DEVICE_KIND_CPU);
  cpu.set_index(0);
  cpu.set_name("cpu");
  cpu.set_total_memory_bytes(MemInfoBytes("MemTotal:"));
  cpu.set_free_memory_bytes(MemInfoBytes("MemAvailable:"));
  if (!engine_supports_cuda) return devices;
  CudaDriver driver;
  if (!driver.Load()) return devices;
  const int cuda_devices = driver.DeviceCount();
  for (int i = 0; i < cuda_devices; ++i) devices.push_back(CudaDevice(driver, i));
  return devices;
}

}  // namespace ptune::agent

#include "kernels/cuda/allocator.h"

#include <cuda_runtime.h>

#include <array>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "kernels/cuda/device.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/stream.h"

namespace amor::kernels::cuda {
namespace {

constexpr int kMaxDevices = 64;

void* raw_alloc(size_t bytes, int device) {
  DeviceGuard guard(device);
  void* p = nullptr;
  if (cudaMalloc(&p, bytes) != cudaSuccess) {
    (void)cudaGetLastError();  // out of memory is not sticky: clear it
    return nullptr;
  }
  return p;
}

void raw_free(void* p, int device) {
  DeviceGuard guard(device);
  (void)cudaFree(p);  // synchronises the device: no queued kernel still uses the block
}

// One cache per device, created on first use and never destroyed (freeing device memory from a
// static destructor races with the CUDA runtime's own teardown).
BlockCache& cache(int device) {
  static std::mutex mutex;
  static std::array<BlockCache*, kMaxDevices> caches{};
  std::lock_guard<std::mutex> lock(mutex);
  if (!caches[size_t(device)]) caches[size_t(device)] = new BlockCache(device, raw_alloc, raw_free);
  return *caches[size_t(device)];
}

void check_device(int device, const char* what) {
  const int count = cuda_device_count();
  if (device < 0 || device >= count || device >= kMaxDevices)
    throw std::invalid_argument(std::string(what) + ": CUDA device " + std::to_string(device) +
                                " does not exist (" + std::to_string(count) +
                                " usable CUDA devices on this machine)");
}

}  // namespace

void* device_alloc(size_t nbytes, int device) {
  check_device(device, "device_alloc");
  void* p = cache(device).allocate(nbytes);
  if (!p)
    throw std::runtime_error("device_alloc: out of memory on cuda:" + std::to_string(device) +
                             " allocating " + std::to_string(nbytes) + " bytes");
  return p;
}

void device_free(void* p, size_t nbytes, int device) {
  if (device < 0 || device >= kMaxDevices) return;
  cache(device).release(p, nbytes);
}

void device_empty_cache(int device) {
  check_device(device, "device_empty_cache");
  synchronize(device);
  cache(device).empty();
}

DeviceAllocatorStats device_allocator_stats(int device) {
  check_device(device, "device_allocator_stats");
  return cache(device).stats();
}

}  // namespace amor::kernels::cuda

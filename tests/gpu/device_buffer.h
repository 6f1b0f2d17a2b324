// Device memory for the gpu tests: a cudaMalloc'd copy of a host vector, and the skip that every
// gpu test starts with.
#pragma once

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cuda/device.h"

// Skips the current test with a clear message when the machine has no usable CUDA device.
#define AMOR_REQUIRE_GPU()                                                                   \
  do {                                                                                       \
    if (::amor::cuda_device_count() == 0)                                                    \
      GTEST_SKIP() << "no CUDA device (or no driver) on this machine; skipping GPU test";    \
  } while (0)

namespace amor::testing {

inline void cuda_check(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorName(e) + ": " +
                             cudaGetErrorString(e));
}

// A device copy of a host vector (or `n` uninitialised elements filled with bytes of `fill`).
template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(const std::vector<T>& host) : n_(host.size()) {
    allocate();
    cuda_check(cudaMemcpy(ptr_, host.data(), bytes(), cudaMemcpyHostToDevice), "cudaMemcpy H2D");
  }
  DeviceBuffer(std::size_t n, unsigned char fill) : n_(n) {
    allocate();
    cuda_check(cudaMemset(ptr_, fill, bytes()), "cudaMemset");
    // The memset runs on the legacy default stream, which does not order amor's non-blocking
    // stream (kernels/cuda/stream.h): finish it before a kernel may write the buffer.
    cuda_check(cudaDeviceSynchronize(), "cudaMemset");
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  T* get() { return ptr_; }
  const T* get() const { return ptr_; }
  // Waits for the device and copies back (a kernel's execution error surfaces here).
  std::vector<T> host() const {
    cuda_check(cudaDeviceSynchronize(), "kernel execution");
    std::vector<T> out(n_);
    cuda_check(cudaMemcpy(out.data(), ptr_, bytes(), cudaMemcpyDeviceToHost), "cudaMemcpy D2H");
    return out;
  }

 private:
  void allocate() { cuda_check(cudaMalloc(&ptr_, bytes() > 0 ? bytes() : 1), "cudaMalloc"); }
  std::size_t bytes() const { return n_ * sizeof(T); }
  std::size_t n_;
  T* ptr_ = nullptr;
};

}  // namespace amor::testing

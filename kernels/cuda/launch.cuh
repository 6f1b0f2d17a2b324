// The GPU side of a kernel family's launch plan (kernel_support.cuh): a `launch` callable that
// opts a kernel into more than 48 KiB of dynamic shared memory when its shape needs it, launches
// it on a stream (by default the current device's amor stream, kernels/cuda/stream.h) and turns a
// launch error into an exception. nvcc only.
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "kernels/cuda/kernel_support.cuh"
#include "kernels/cuda/stream.h"

namespace amor::kernels::cuda {

// Throws std::runtime_error("<what>: <CUDA error>") when e is not cudaSuccess.
inline void throw_on_cuda_error(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  (void)cudaGetLastError();  // clear a non-sticky error so later calls start clean
  throw std::runtime_error(std::string(what) + ": " + cudaGetErrorName(e) + ": " +
                           cudaGetErrorString(e));
}

// Launches asynchronously on `stream`; errors in the kernel's execution surface at the next
// synchronising CUDA call (kernels/cuda/stream.h: synchronize).
class GpuLaunch {
 public:
  explicit GpuLaunch(const char* what)
      : what_(what), stream_(static_cast<cudaStream_t>(current_stream())) {}
  GpuLaunch(const char* what, cudaStream_t stream) : what_(what), stream_(stream) {}

  template <class... Params, class... Args>
  void operator()(const LaunchShape& s, void (*kernel)(Params...), Args... args) const {
    if (s.shared_bytes > kMaxSharedBytes)
      throw std::invalid_argument(std::string(what_) + ": needs " + std::to_string(s.shared_bytes) +
                                  " bytes of shared memory per block");
    if (s.shared_bytes > kDefaultSharedBytes)
      throw_on_cuda_error(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                               int(s.shared_bytes)),
                          what_);
    kernel<<<s.grid, s.block, s.shared_bytes, stream_>>>(args...);
    throw_on_cuda_error(cudaGetLastError(), what_);
  }

 private:
  const char* what_;
  cudaStream_t stream_;
};

}  // namespace amor::kernels::cuda

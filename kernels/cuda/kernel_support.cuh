// What every kernels/cuda device-code header (*.cuh) includes first: the small layer that lets
// the same kernel source compile with nvcc for the GPU and with a C++ compiler for the CPU
// execution harness (tests/cuda_harness/harness.h, which a test includes before any .cuh and which
// defines __global__, threadIdx, __syncthreads, the warp shuffles, ... on the CPU).
//
// Rules for device code here, so that both builds mean the same thing:
//   - dynamic shared memory only through AMOR_DYNAMIC_SHARED (the harness gives every block a
//     fresh, poisoned buffer of exactly the launch's size);
//   - math through the overloads below (expf/exp, ...), never CUDA-only intrinsics (__expf);
//   - warp collectives with an explicit full mask, from every lane of the warp;
//   - no atomics (the kernels are deterministic by construction, and the harness does not
//     emulate them).
// The host side of a kernel family (choosing the launch shape and the template instantiation)
// is a function template in the .cuh taking a `launch(LaunchShape, kernel, args...)` callable,
// so the .cu launcher and the harness tests run exactly the same configuration.
#pragma once

#include <math.h>

#include <cstddef>
#include <cstdint>
#include <limits>

#include "kernels/host_device.h"

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#define AMOR_DEVICE __device__ __forceinline__
// T* name = the block's dynamic shared memory (16-byte aligned).
#define AMOR_DYNAMIC_SHARED(T, name)                                   \
  extern __shared__ __align__(16) unsigned char amor_dynamic_shared_[]; \
  T* name = reinterpret_cast<T*>(amor_dynamic_shared_)
#elif defined(AMOR_CUDA_HARNESS)
#define AMOR_DEVICE inline
#define AMOR_DYNAMIC_SHARED(T, name) \
  T* name = reinterpret_cast<T*>(::amor::cuda_harness::detail::dynamic_shared())
#else
#error "kernels/cuda/*.cuh is device code: compile it with nvcc, or include tests/cuda_harness/harness.h first"
#endif

namespace amor::kernels::cuda {

// Grid, block and dynamic shared memory of one launch.
struct LaunchShape {
  dim3 grid;
  dim3 block;
  std::size_t shared_bytes = 0;
};

// Dynamic shared memory a block may use without cudaFuncSetAttribute.
inline constexpr std::size_t kDefaultSharedBytes = 48 * 1024;
// The most a block may opt into on the oldest target (sm_80).
inline constexpr std::size_t kMaxSharedBytes = 163 * 1024;

inline constexpr int kWarp = 32;
inline constexpr unsigned kFullMask = 0xffffffffu;

AMOR_HOST_DEVICE inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

namespace device {

template <class T>
AMOR_DEVICE T inf() {
  return std::numeric_limits<T>::infinity();
}

AMOR_DEVICE float exp_(float x) { return expf(x); }
AMOR_DEVICE double exp_(double x) { return exp(x); }
AMOR_DEVICE float log_(float x) { return logf(x); }
AMOR_DEVICE double log_(double x) { return log(x); }
AMOR_DEVICE float sqrt_(float x) { return sqrtf(x); }
AMOR_DEVICE double sqrt_(double x) { return sqrt(x); }

template <class T>
AMOR_DEVICE T max_(T a, T b) {
  return a > b ? a : b;
}

// Butterfly reductions over the 32 lanes of a warp: every lane gets the same bits (floating-point
// addition is commutative, so lanes l and l^o compute the same sums at every step).
template <class T>
AMOR_DEVICE T warp_sum(T v) {
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o);
  return v;
}

// NaN-propagating max (as the CPU kernels' row max): a NaN anywhere gives NaN on every lane.
template <class T>
AMOR_DEVICE T warp_max(T v) {
  for (int o = kWarp / 2; o > 0; o >>= 1) {
    const T other = __shfl_xor_sync(kFullMask, v, o);
    v = (other > v || other != other) ? other : v;
  }
  return v;
}

}  // namespace device
}  // namespace amor::kernels::cuda

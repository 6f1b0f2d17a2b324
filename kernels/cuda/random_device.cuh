// Counter-based random fills on the GPU: device code and launch plan. One thread per element,
// each calling the per-element function the CPU fill calls (kernels/cpu/random_math.h), so
// element i of a fill reads the same Philox words on both (the counter scheme of
// kernels/cpu/philox.h). GPU entry points: kernels/cuda/random.h.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/cpu/random_math.h"
#include "kernels/cuda/kernel_support.cuh"

namespace amor::kernels::cuda {

inline constexpr int kRandomThreads = 128;

// The element a thread owns, or -1 past the end.
AMOR_DEVICE int64_t random_index(int64_t n) {
  const int64_t i = int64_t(blockIdx.x) * kRandomThreads + threadIdx.x;
  return i < n ? i : -1;
}

template <class T>
__global__ void fill_uniform_kernel(T* out, int64_t n, uint64_t seed, uint64_t stream,
                                    uint64_t offset, T lo, T width, T top) {
  const int64_t i = random_index(n);
  if (i >= 0) out[i] = cpu::random_math::uniform_element<T>(seed, stream, offset + uint64_t(i), lo, width, top);
}

template <class T>
__global__ void fill_normal_kernel(T* out, int64_t n, uint64_t seed, uint64_t stream,
                                   uint64_t offset, T mean, T std) {
  const int64_t i = random_index(n);
  if (i >= 0) out[i] = cpu::random_math::normal_element<T>(seed, stream, offset + uint64_t(i), mean, std);
}

// A template only so that the header can define it (a __global__ function cannot be inline).
template <class I = int64_t>
__global__ void fill_randint_kernel(I* out, int64_t n, uint64_t seed, uint64_t stream,
                                    uint64_t offset, int64_t lo, uint64_t range) {
  const int64_t i = random_index(n);
  if (i >= 0) out[i] = cpu::random_math::randint_element(seed, stream, offset + uint64_t(i), lo, range);
}

template <class T>
__global__ void fill_bernoulli_kernel(uint8_t* out, const T* p, T p_scalar, int64_t n,
                                      uint64_t seed, uint64_t stream, uint64_t offset) {
  const int64_t i = random_index(n);
  if (i >= 0)
    out[i] = cpu::random_math::bernoulli_element<T>(seed, stream, offset + uint64_t(i), p ? p[i] : p_scalar);
}

template <class T>
__global__ void fill_gamma_kernel(T* out, const T* k, T k_scalar, int64_t n, uint64_t seed,
                                  uint64_t stream, uint64_t offset) {
  const int64_t i = random_index(n);
  if (i >= 0)
    out[i] = cpu::random_math::gamma_element<T>(seed, stream, offset + uint64_t(i), k ? k[i] : k_scalar);
}

inline LaunchShape random_shape(int64_t n) {
  if (ceil_div(n, kRandomThreads) > int64_t{0x7fffffff})
    throw std::invalid_argument("cuda random fill: too many elements for one grid");
  return {dim3(unsigned(ceil_div(n, kRandomThreads))), dim3(kRandomThreads), 0};
}

template <class T, class Launch>
void run_fill_uniform(T* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, T lo,
                      T hi, Launch&& launch) {
  if (n <= 0) return;
  // As the CPU fill: lo + width·u can round up to hi, so cap at the largest T below hi.
  const T top = lo < hi ? std::nextafter(hi, lo) : lo;
  launch(random_shape(n), fill_uniform_kernel<T>, out, n, seed, stream, offset, lo, T(hi - lo), top);
}

template <class T, class Launch>
void run_fill_normal(T* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, T mean,
                     T std, Launch&& launch) {
  if (n <= 0) return;
  launch(random_shape(n), fill_normal_kernel<T>, out, n, seed, stream, offset, mean, std);
}

template <class Launch>
bool run_fill_randint(int64_t* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset,
                      int64_t lo, int64_t hi, Launch&& launch) {
  if (hi <= lo) return false;
  if (n <= 0) return true;
  launch(random_shape(n), fill_randint_kernel<int64_t>, out, n, seed, stream, offset, lo,
         uint64_t(hi) - uint64_t(lo));
  return true;
}

template <class T, class Launch>
void run_fill_bernoulli(uint8_t* out, const T* p, T p_scalar, int64_t n, uint64_t seed,
                        uint64_t stream, uint64_t offset, Launch&& launch) {
  if (n <= 0) return;
  launch(random_shape(n), fill_bernoulli_kernel<T>, out, p, p_scalar, n, seed, stream, offset);
}

template <class T, class Launch>
void run_fill_gamma(T* out, const T* k, T k_scalar, int64_t n, uint64_t seed, uint64_t stream,
                    uint64_t offset, Launch&& launch) {
  if (n <= 0) return;
  launch(random_shape(n), fill_gamma_kernel<T>, out, k, k_scalar, n, seed, stream, offset);
}

}  // namespace amor::kernels::cuda

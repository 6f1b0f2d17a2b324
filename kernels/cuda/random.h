// Counter-based random fills on a CUDA device: the GPU twins of kernels/cpu/random.h (same
// parameters, counter scheme and per-element math, kernels/cpu/random_math.h). Element i of a
// fill with (seed, stream, offset) reads the same Philox words as on the CPU: uniform,
// bernoulli and randint give the same bits as the CPU fills; normal and gamma agree to the last
// ulp or so of CUDA's log/cos/pow (gamma's rejection step may, very rarely, then accept a
// different proposal for an element). All pointers are device pointers; the kernels run
// asynchronously on the current device's amor stream (kernels/cuda/stream.h), a launch error throws std::runtime_error.
// (fill_randperm, a serial shuffle, has no GPU twin.) Device code:
// kernels/cuda/random_device.cuh. Plain C++ header.
#pragma once

#include <cstdint>

namespace amor::kernels::cuda {

template <class T>
void fill_uniform(T* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, T lo, T hi);

template <class T>
void fill_normal(T* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, T mean,
                 T std);

bool fill_randint(int64_t* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset,
                  int64_t lo, int64_t hi);

template <class T>
void fill_bernoulli(uint8_t* out, const T* p, T p_scalar, int64_t n, uint64_t seed,
                    uint64_t stream, uint64_t offset);

template <class T>
void fill_gamma(T* out, const T* k, T k_scalar, int64_t n, uint64_t seed, uint64_t stream,
                uint64_t offset);

}  // namespace amor::kernels::cuda

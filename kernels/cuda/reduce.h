// Axis reductions on a CUDA device: the GPU twins of kernels/cpu/reduce.h (layout [outer, n,
// inner] -> [outer, inner], same contract: mean of n == 0 is NaN, var divides by
// max(0, n - correction), max/min report the first extreme index and propagate NaN (n == 0: NaN
// and -1), logsumexp of an all -inf slice is -inf). Fixed-order reductions, no atomics: the same
// bits run to run (but not the CPU's pairwise order: they agree to rounding). All pointers are
// device pointers; the kernels run asynchronously on the current device's amor stream (kernels/cuda/stream.h), a launch error throws
// std::runtime_error. (sum_all, which returns a host value, has no GPU twin: sum_axis with
// outer = inner = 1 computes it on the device.) Device code: kernels/cuda/reduce_device.cuh.
// Plain C++ header.
#pragma once

#include <cstdint>

namespace amor::kernels::cuda {

template <class T>
void sum_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner);

template <class T>
void mean_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner);

template <class T>
void var_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner, int64_t correction);

template <class T>
void max_axis(const T* x, T* out, int64_t* argidx, int64_t outer, int64_t n, int64_t inner);

template <class T>
void min_axis(const T* x, T* out, int64_t* argidx, int64_t outer, int64_t n, int64_t inner);

template <class T>
void logsumexp_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner);

}  // namespace amor::kernels::cuda

// Softmax and log-softmax on a CUDA device: the GPU twins of kernels/cpu/softmax.h (layout
// [outer, n, inner], same contract: an all -inf slice gives softmax 0 and log-softmax -inf; y may
// alias x, dx may alias dy). All pointers are device pointers; the kernels run asynchronously on
// the current device's amor stream (kernels/cuda/stream.h), a launch error throws std::runtime_error.
// Device code: kernels/cuda/softmax_device.cuh. Plain C++ header.
#pragma once

#include <cstdint>

namespace amor::kernels::cuda {

template <class T>
void softmax_fwd(const T* x, T* y, int64_t outer, int64_t n, int64_t inner);

template <class T>
void softmax_bwd(const T* y, const T* dy, T* dx, int64_t outer, int64_t n, int64_t inner);

template <class T>
void log_softmax_fwd(const T* x, T* y, int64_t outer, int64_t n, int64_t inner);

template <class T>
void log_softmax_bwd(const T* y, const T* dy, T* dx, int64_t outer, int64_t n, int64_t inner);

}  // namespace amor::kernels::cuda

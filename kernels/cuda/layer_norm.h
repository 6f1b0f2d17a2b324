// Fused LayerNorm on a CUDA device: the GPU twins of kernels/cpu/layer_norm.h (same parameters
// and contract; y may alias x, dx may alias dy or x). All pointers are device pointers; the
// kernels run asynchronously on the current device's amor stream (kernels/cuda/stream.h), a launch error throws std::runtime_error.
// The parameter gradients are summed in a fixed order without atomics (deterministic).
// Device code: kernels/cuda/layer_norm_device.cuh. Plain C++ header.
#pragma once

#include <cstdint>

namespace amor::kernels::cuda {

template <class T>
void layer_norm_fwd(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t rows,
                    int64_t C, T eps);

template <class T>
void layer_norm_bwd(const T* dy, const T* x, const T* w, const T* mean, const T* rstd, T* dx, T* dw,
                    T* db, int64_t rows, int64_t C);

}  // namespace amor::kernels::cuda

// The fused affine coupling on a CUDA device: the GPU twins of kernels/cpu/affine_coupling.h
// (same parameters and per-element math, kernels/cpu/affine_coupling_math.h). All pointers are
// device pointers; the kernels run asynchronously on the current device's amor stream (kernels/cuda/stream.h), a launch error throws
// std::runtime_error. Device code: kernels/cuda/flow_transforms_device.cuh. Plain C++ header.
#pragma once

#include <cstdint>

namespace amor::kernels::cuda {

template <class T>
void affine_coupling_fwd(const T* x, int64_t ldx, const T* r, int64_t ldr, const T* t, int64_t ldt,
                         T* y, T* logdet, int64_t n, int64_t k, bool inverse);

template <class T>
void affine_coupling_bwd(const T* gy, const T* glogdet, const T* x, int64_t ldx, const T* r,
                         int64_t ldr, const T* t, int64_t ldt, T* dx, T* dr, T* dt, int64_t n,
                         int64_t k, bool inverse);

}  // namespace amor::kernels::cuda

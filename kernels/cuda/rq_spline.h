// The rational-quadratic spline on a CUDA device: the GPU twins of kernels/cpu/rq_spline.h (same
// parameters, semantics and per-element code; computed in double for float32 data too). All
// pointers are device pointers; the kernels run asynchronously on the current device's amor stream (kernels/cuda/stream.h), a launch
// error throws std::runtime_error, an invalid config std::invalid_argument.
// Device code: kernels/cuda/flow_transforms_device.cuh. Plain C++ header.
#pragma once

#include <cstdint>

#include "kernels/cpu/rq_spline.h"

namespace amor::kernels::cuda {

using cpu::RQSplineConfig;

template <class T>
void rq_spline_fwd(const RQSplineConfig& config, bool inverse, const T* x, const T* params,
                   int64_t count, T* y, T* logabsdet);

template <class T>
void rq_spline_bwd(const RQSplineConfig& config, bool inverse, const T* x, const T* params,
                   const T* gy, const T* glogabsdet, int64_t count, T* gx, T* gparams);

}  // namespace amor::kernels::cuda

// Fused masked multi-head attention on a CUDA device: the GPU twins of kernels/cpu/attention.h,
// with the same parameters, layout and numerical contract (fully masked rows: out = 0,
// lse = +inf, zero gradients; masked weights exactly 0). All pointers are device pointers. The
// kernels run asynchronously on the current device's amor stream (kernels/cuda/stream.h); a launch error throws std::runtime_error.
// The backward uses no atomics: results are deterministic run to run.
//
// Limits: head dim D <= 128, B·H < 2^31, T <= 65535·16 (std::invalid_argument otherwise).
// Device code and launch plan: kernels/cuda/attention_device.cuh. Plain C++ header.
#pragma once

#include "kernels/cpu/attention.h"

namespace amor::kernels::cuda {

using cpu::AttentionParams;
using cpu::AttentionStrides;

template <class T>
void attention_fwd(const AttentionParams& p, const T* q, const T* k, const T* v, T* out, T* lse);

template <class T>
void attention_bwd(const AttentionParams& p, const T* q, const T* k, const T* v, const T* out,
                   const T* lse, const T* dout, T* dq, T* dk, T* dv);

}  // namespace amor::kernels::cuda

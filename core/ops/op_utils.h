// Helpers shared by the op implementations in core/ops/ (not part of the public API).
#pragma once

#include <initializer_list>

#include "core/tensor.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cuda/elementwise.h"

namespace amor::ops {

// Loop geometry for `out` (any strides) and inputs that broadcast to out's shape.
inline kernels::cpu::LoopGeometry loop_geometry(const Tensor& out,
                                                std::initializer_list<const Tensor*> inputs) {
  kernels::cpu::LoopGeometry g;
  const Shape& s = out.shape();
  // Fast path: contiguous operands of out's shape (or single elements) make one flat loop.
  if (out.is_contiguous()) {
    const int64_t n = s.numel();
    bool flat = true;
    for (const Tensor* t : inputs) flat = flat && (t->numel() == 1 || (t->shape() == s && t->is_contiguous()));
    if (flat) {
      g.ndim = 1;
      g.noperands = 1 + static_cast<int>(inputs.size());
      g.shape[0] = n;
      g.stride[0][0] = 1;
      int o = 1;
      for (const Tensor* t : inputs) g.stride[o++][0] = t->numel() == 1 && n != 1 ? 0 : 1;
      return g;
    }
  }
  g.ndim = s.size();
  g.noperands = 1 + static_cast<int>(inputs.size());
  for (int d = 0; d < g.ndim; ++d) {
    g.shape[d] = s[d];
    g.stride[0][d] = out.strides()[d];
  }
  int o = 1;
  for (const Tensor* t : inputs) {
    const Shape& ts = t->shape();
    const Strides& st = t->strides();
    int lead = g.ndim - ts.size();
    for (int d = 0; d < g.ndim; ++d) {
      int td = d - lead;
      g.stride[o][d] = (td < 0 || ts[td] == 1) ? 0 : st[td];
    }
    ++o;
  }
  g.coalesce();
  return g;
}

// The same geometry for the CUDA elementwise kernels (kernels/cuda/elementwise.h).
inline kernels::cuda::StridedGeometry strided_geometry(const Tensor& out,
                                                       std::initializer_list<const Tensor*> inputs) {
  const kernels::cpu::LoopGeometry g = loop_geometry(out, inputs);
  kernels::cuda::StridedGeometry s;
  s.ndim = g.ndim;
  s.noperands = g.noperands;
  for (int d = 0; d < g.ndim; ++d) {
    s.shape[d] = g.shape[d];
    for (int o = 0; o < g.noperands; ++o) s.stride[o][d] = g.stride[o][d];
  }
  return s;
}

// ---- devices ------------------------------------------------------------------------------------
// Every op runs where its tensors are: CPU tensors on the kernels/cpu kernels, CUDA tensors on
// their kernels/cuda twins. The CUDA branch of an op is written inside AMOR_CUDA_ONLY(op, ...):
// compiled when amor is built with CUDA (AMOR_HAS_CUDA), replaced by a DeviceError naming the op
// otherwise (a CUDA tensor cannot exist then, but a borrowed storage could claim one).
#ifdef AMOR_HAS_CUDA
#define AMOR_CUDA_ONLY(op, ...) \
  do {                          \
    __VA_ARGS__;                \
  } while (0)
#else
#define AMOR_CUDA_ONLY(op, ...) ::amor::ops::throw_no_cuda(op)
#endif

[[noreturn]] void throw_no_cuda(const char* op);

// Checks, for an op about to create a tensor on `d`, that `d` can hold one: DeviceError naming
// the op when d is a CUDA device and this build has no CUDA backend, the machine no device, or
// fewer devices than d's index. Nothing for the CPU.
void check_device_usable(const char* op, Device d);

// Makes t's CUDA device the one kernels launch on (kernels/cuda/stream.h); returns true for a
// CUDA tensor, false (doing nothing) for a CPU one. The CPU path pays one branch.
bool use_device_of(const Tensor& t);

inline void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  AMOR_CHECK(a.device() == b.device(), DeviceError, op, ": tensors on different devices (",
             a.device(), " and ", b.device(), ")");
}

// For the few paths that only exist on the CPU (host-side loops).
inline void check_cpu(const char* op, const Tensor& a) {
  AMOR_CHECK(a.device().is_cpu(), DeviceError, op, ": not implemented for ", a.device(),
             " tensors yet");
}

// Checks that every defined tensor in `ts` is on `first`'s device.
inline void check_same_devices(const char* op, const Tensor& first,
                               std::initializer_list<const Tensor*> ts) {
  for (const Tensor* t : ts)
    if (t->defined()) check_same_device(op, first, *t);
}

inline void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  AMOR_CHECK(a.dtype() == b.dtype(), DTypeError, op, ": dtype mismatch (", a.dtype(), " ",
             a.shape(), " and ", b.dtype(), " ", b.shape(), ")");
}

inline void check_floating(const char* op, const Tensor& a) {
  AMOR_CHECK(is_floating(a.dtype()), DTypeError, op, ": expected a floating tensor, got ",
             a.dtype(), " ", a.shape());
}

// Refuses in-place writes into tensors that take part in autodiff while grad mode is on.
void check_inplace_allowed(const char* op, const Tensor& t);

}  // namespace amor::ops

// The strided-loop kernel family behind kernels/cuda/elementwise.h: device code and launch plan.
//
// One thread per output element in a grid-stride loop: element i (row-major over the geometry's
// shape) is decomposed into per-axis indices, and each operand is addressed through its own
// strides (0 along broadcast axes), so one kernel serves contiguous, broadcast, transposed and
// sliced operands alike. A geometry coalesced to one axis (the contiguous case) skips the
// decomposition. Every element is written by exactly one thread: no atomics, no shared memory,
// the same bits for any launch shape.
#pragma once

#include <stdexcept>

#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/kernel_support.cuh"

namespace amor::kernels::cuda {

inline constexpr int kElementwiseThreads = 256;
inline constexpr int64_t kElementwiseMaxBlocks = 65535;  // the grid-stride loop covers the rest

namespace device {

// Element offsets of the first N operands at linear index i.
template <int N>
AMOR_DEVICE void element_offsets(const StridedGeometry& g, int64_t i, int64_t* off) {
  if (g.ndim == 1) {
    for (int o = 0; o < N; ++o) off[o] = i * g.stride[o][0];
    return;
  }
  for (int o = 0; o < N; ++o) off[o] = 0;
  for (int d = g.ndim - 1; d >= 0; --d) {
    const int64_t s = g.shape[d];
    const int64_t idx = i % s;
    i /= s;
    for (int o = 0; o < N; ++o) off[o] += idx * g.stride[o][d];
  }
}

AMOR_DEVICE int64_t first_element() { return int64_t(blockIdx.x) * blockDim.x + threadIdx.x; }
AMOR_DEVICE int64_t element_step() { return int64_t(gridDim.x) * blockDim.x; }

}  // namespace device

template <class To, class F>
__global__ void map0_kernel(StridedGeometry g, int64_t n, To* out, F f) {
  for (int64_t i = device::first_element(); i < n; i += device::element_step()) {
    int64_t off[1];
    device::element_offsets<1>(g, i, off);
    out[off[0]] = f();
  }
}

template <class To, class Ta, class F>
__global__ void map1_kernel(StridedGeometry g, int64_t n, To* out, const Ta* a, F f) {
  for (int64_t i = device::first_element(); i < n; i += device::element_step()) {
    int64_t off[2];
    device::element_offsets<2>(g, i, off);
    out[off[0]] = f(a[off[1]]);
  }
}

template <class To, class Ta, class Tb, class F>
__global__ void map2_kernel(StridedGeometry g, int64_t n, To* out, const Ta* a, const Tb* b, F f) {
  for (int64_t i = device::first_element(); i < n; i += device::element_step()) {
    int64_t off[3];
    device::element_offsets<3>(g, i, off);
    out[off[0]] = f(a[off[1]], b[off[2]]);
  }
}

template <class To, class Ta, class Tb, class Tc, class F>
__global__ void map3_kernel(StridedGeometry g, int64_t n, To* out, const Ta* a, const Tb* b,
                            const Tc* c, F f) {
  for (int64_t i = device::first_element(); i < n; i += device::element_step()) {
    int64_t off[4];
    device::element_offsets<4>(g, i, off);
    out[off[0]] = f(a[off[1]], b[off[2]], c[off[3]]);
  }
}

// Elements of the geometry, after checking it (a negative size or too many axes/operands is a
// bug in the caller).
inline int64_t elementwise_count(const StridedGeometry& g, int operands) {
  if (g.ndim < 1 || g.ndim > kElementwiseMaxDims || g.noperands < operands ||
      operands > kElementwiseMaxOperands)
    throw std::invalid_argument("cuda elementwise: invalid geometry");
  int64_t n = 1;
  for (int d = 0; d < g.ndim; ++d) {
    if (g.shape[d] < 0) throw std::invalid_argument("cuda elementwise: negative size");
    n *= g.shape[d];
  }
  return n;
}

inline LaunchShape elementwise_shape(int64_t n) {
  const int64_t blocks = ceil_div(n, kElementwiseThreads);
  return LaunchShape{dim3(unsigned(blocks < kElementwiseMaxBlocks ? blocks : kElementwiseMaxBlocks)),
                     dim3(kElementwiseThreads), 0};
}

// out = f() / f(a) / f(a, b) / f(a, b, c) over the geometry (operand 0 = out, then the inputs).
template <class To, class F, class Launch>
void run_map0(const StridedGeometry& g, To* out, F f, Launch&& launch) {
  const int64_t n = elementwise_count(g, 1);
  if (n > 0) launch(elementwise_shape(n), map0_kernel<To, F>, g, n, out, f);
}

template <class To, class Ta, class F, class Launch>
void run_map1(const StridedGeometry& g, To* out, const Ta* a, F f, Launch&& launch) {
  const int64_t n = elementwise_count(g, 2);
  if (n > 0) launch(elementwise_shape(n), map1_kernel<To, Ta, F>, g, n, out, a, f);
}

template <class To, class Ta, class Tb, class F, class Launch>
void run_map2(const StridedGeometry& g, To* out, const Ta* a, const Tb* b, F f, Launch&& launch) {
  const int64_t n = elementwise_count(g, 3);
  if (n > 0) launch(elementwise_shape(n), map2_kernel<To, Ta, Tb, F>, g, n, out, a, b, f);
}

template <class To, class Ta, class Tb, class Tc, class F, class Launch>
void run_map3(const StridedGeometry& g, To* out, const Ta* a, const Tb* b, const Tc* c, F f,
              Launch&& launch) {
  const int64_t n = elementwise_count(g, 4);
  if (n > 0) launch(elementwise_shape(n), map3_kernel<To, Ta, Tb, Tc, F>, g, n, out, a, b, c, f);
}

// A functor that returns a constant (fill).
template <class T>
struct Constant {
  T value;
  AMOR_DEVICE T operator()() const { return value; }
};

}  // namespace amor::kernels::cuda

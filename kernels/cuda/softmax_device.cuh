// Softmax and log-softmax along one axis of [outer, n, inner], forward and backward: device code
// and launch plan (contract: kernels/cpu/softmax.h — a slice that is entirely -inf gives softmax
// 0 and log-softmax -inf, NaN propagates; GPU entry points: kernels/cuda/softmax.h).
//   inner == 1: one warp per contiguous row, the max and the sums as warp reductions.
//   inner > 1:  one thread per (outer, inner) column, looping over n (coalesced over inner).
// Every pass reads an element before the same thread writes it, and the reductions finish all
// reads of a row first, so y may alias x and dx may alias dy.
#pragma once

#include <stdexcept>

#include "kernels/cuda/kernel_support.cuh"

namespace amor::kernels::cuda {

enum class SoftmaxOp { kSoftmaxFwd, kSoftmaxBwd, kLogSoftmaxFwd, kLogSoftmaxBwd };

inline constexpr int kSoftmaxRowWarps = 4;     // rows per block (inner == 1)
inline constexpr int kSoftmaxColumnThreads = 128;

namespace device {

template <class T>
AMOR_DEVICE T nan_max(T acc, T v) {
  return (v > acc || v != v) ? v : acc;
}

// 1/s, 0 for s == 0 (an all -inf slice), NaN stays NaN.
template <class T>
AMOR_DEVICE T safe_inverse(T s) {
  return s > T(0) ? T(1) / s : (s == T(0) ? T(0) : s);
}

template <class T>
AMOR_DEVICE T safe_shift(T m) {
  return m == -inf<T>() ? T(0) : m;
}

// One slice of n elements at stride `stride`, processed by `lanes` cooperating threads (a warp,
// lane = its index) or by one thread (lanes = 1). `reduce` combines the lanes' partials.
template <SoftmaxOp Op, class T, class Sum, class Max>
AMOR_DEVICE void softmax_slice(const T* a, const T* g, T* out, int64_t n, int64_t stride,
                               int lane, int lanes, Sum&& reduce_sum, Max&& reduce_max) {
  if constexpr (Op == SoftmaxOp::kSoftmaxFwd || Op == SoftmaxOp::kLogSoftmaxFwd) {
    T m = -inf<T>();
    for (int64_t i = lane; i < n; i += lanes) m = nan_max(m, a[i * stride]);
    const T shift = safe_shift(reduce_max(m));
    T s = T(0);
    for (int64_t i = lane; i < n; i += lanes) s += exp_(a[i * stride] - shift);
    s = reduce_sum(s);
    if constexpr (Op == SoftmaxOp::kSoftmaxFwd) {
      const T inv = safe_inverse(s);
      for (int64_t i = lane; i < n; i += lanes) out[i * stride] = exp_(a[i * stride] - shift) * inv;
    } else {
      const T lse = s == T(0) ? -inf<T>() : shift + log_(s);
      for (int64_t i = lane; i < n; i += lanes)
        out[i * stride] = lse == -inf<T>() ? -inf<T>() : a[i * stride] - lse;
    }
  } else if constexpr (Op == SoftmaxOp::kSoftmaxBwd) {  // a = y, g = dy
    T dot = T(0);
    for (int64_t i = lane; i < n; i += lanes) dot += a[i * stride] * g[i * stride];
    dot = reduce_sum(dot);
    for (int64_t i = lane; i < n; i += lanes) out[i * stride] = a[i * stride] * (g[i * stride] - dot);
  } else {  // kLogSoftmaxBwd: a = log-probabilities y, g = dy
    T total = T(0);
    for (int64_t i = lane; i < n; i += lanes) total += g[i * stride];
    total = reduce_sum(total);
    for (int64_t i = lane; i < n; i += lanes)
      out[i * stride] = g[i * stride] - exp_(a[i * stride]) * total;
  }
}

}  // namespace device

template <SoftmaxOp Op, class T>
__global__ void softmax_rows_kernel(const T* a, const T* g, T* out, int64_t outer, int64_t n) {
  using namespace device;
  const int warp = int(threadIdx.x) / kWarp, lane = int(threadIdx.x) % kWarp;
  const int64_t r = int64_t(blockIdx.x) * kSoftmaxRowWarps + warp;
  if (r >= outer) return;  // the whole warp
  softmax_slice<Op>(a + r * n, g ? g + r * n : nullptr, out + r * n, n, 1, lane, kWarp,
                    [](T v) { return warp_sum(v); }, [](T v) { return warp_max(v); });
}

template <SoftmaxOp Op, class T>
__global__ void softmax_columns_kernel(const T* a, const T* g, T* out, int64_t outer, int64_t n,
                                       int64_t inner) {
  const int64_t col = int64_t(blockIdx.x) * kSoftmaxColumnThreads + threadIdx.x;
  if (col >= outer * inner) return;
  const int64_t o = col / inner, j = col % inner, base = o * n * inner + j;
  device::softmax_slice<Op>(a + base, g ? g + base : nullptr, out + base, n, inner, 0, 1,
                            [](T v) { return v; }, [](T v) { return v; });
}

// a: x (forward) or y (backward); g: dy (backward) or null.
template <SoftmaxOp Op, class T, class Launch>
void run_softmax(const T* a, const T* g, T* out, int64_t outer, int64_t n, int64_t inner,
                 Launch&& launch) {
  if (outer < 0 || n < 0 || inner < 0) throw std::invalid_argument("cuda softmax: negative shape");
  if (outer == 0 || n == 0 || inner == 0) return;
  if (inner == 1) {
    if (ceil_div(outer, kSoftmaxRowWarps) > int64_t{0x7fffffff})
      throw std::invalid_argument("cuda softmax: too many rows for one grid");
    launch(LaunchShape{dim3(unsigned(ceil_div(outer, kSoftmaxRowWarps))),
                       dim3(kSoftmaxRowWarps * kWarp), 0},
           softmax_rows_kernel<Op, T>, a, g, out, outer, n);
  } else {
    if (ceil_div(outer * inner, kSoftmaxColumnThreads) > int64_t{0x7fffffff})
      throw std::invalid_argument("cuda softmax: too many columns for one grid");
    launch(LaunchShape{dim3(unsigned(ceil_div(outer * inner, kSoftmaxColumnThreads))),
                       dim3(kSoftmaxColumnThreads), 0},
           softmax_columns_kernel<Op, T>, a, g, out, outer, n, inner);
  }
}

}  // namespace amor::kernels::cuda

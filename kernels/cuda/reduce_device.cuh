// Axis reductions of [outer, n, inner] to [outer, inner]: device code and launch plan (contract:
// kernels/cpu/reduce.h — sum, mean, two-pass var with a correction, max/min with the first
// extreme index and NaN propagation, logsumexp; GPU entry points: kernels/cuda/reduce.h).
//   inner == 1: a group of threads per row — a warp (4 rows per block) for rows up to
//               kReduceWarpRowMax elements, else a block of 256 threads per row — with fixed-order
//               warp and block reductions (no atomics: the same bits run to run).
//   inner > 1:  one thread per (outer, inner) column walking n (coalesced over inner).
// One pass per statistic (var and logsumexp read the row twice). Not tuned for a single
// very long row (one block does it all) or few very long columns; a two-stage reduction would be.
#pragma once

#include <stdexcept>

#include "kernels/cuda/kernel_support.cuh"

namespace amor::kernels::cuda {

enum class ReduceOp { kSum, kMean, kVar, kMax, kMin, kLogSumExp };

inline constexpr int64_t kReduceWarpRowMax = 1024;  // longer rows get a whole block
inline constexpr int kReduceBlockRowThreads = 256;
inline constexpr int kReduceColumnThreads = 128;

namespace device {

// The index a lane without elements carries: it loses to every real element.
inline constexpr int64_t kNoElement = int64_t(1) << 62;

// Whether (a, ia) beats (b, ib) as the first extreme (kMax: largest): strictly better, a NaN
// over a number, and on ties (±0 and two NaNs included) the smaller index, so the result is the
// element the CPU scan finds first.
template <bool kMax, class T>
AMOR_DEVICE bool first_extreme(T a, int64_t ia, T b, int64_t ib) {
  if (ia == kNoElement) return false;
  if (ib == kNoElement) return true;
  const bool a_nan = a != a, b_nan = b != b;
  if (a_nan != b_nan) return a_nan;
  if (!a_nan && (kMax ? a > b : a < b)) return true;
  if (!a_nan && (kMax ? a < b : a > b)) return false;
  return ia < ib;
}

// Reduction over the kThreads threads of a row group: a warp (kThreads == 32) or the whole block.
// Every thread of the group returns the same bits. scratch: kThreads / 32 values of shared
// memory (unused for a warp).
template <int kThreads, class T, class Op>
AMOR_DEVICE T group_reduce(T v, Op op, T* scratch) {
  for (int o = kWarp / 2; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(kFullMask, v, o));
  if constexpr (kThreads == kWarp) {
    return v;
  } else {
    const int warp = int(threadIdx.x) / kWarp, lane = int(threadIdx.x) % kWarp;
    __syncthreads();  // the previous reduction's reads of scratch are done
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    T r = scratch[0];
    for (int w = 1; w < kThreads / kWarp; ++w) r = op(r, scratch[w]);
    return r;
  }
}

// The same for (value, index) pairs under first_extreme.
template <int kThreads, bool kMax, class T>
AMOR_DEVICE void group_reduce_arg(T& v, int64_t& at, T* vscratch, int64_t* iscratch) {
  for (int o = kWarp / 2; o > 0; o >>= 1) {
    const T ov = __shfl_xor_sync(kFullMask, v, o);
    const int64_t oi = __shfl_xor_sync(kFullMask, at, o);
    if (first_extreme<kMax>(ov, oi, v, at)) v = ov, at = oi;
  }
  if constexpr (kThreads != kWarp) {
    const int warp = int(threadIdx.x) / kWarp, lane = int(threadIdx.x) % kWarp;
    __syncthreads();
    if (lane == 0) vscratch[warp] = v, iscratch[warp] = at;
    __syncthreads();
    v = vscratch[0], at = iscratch[0];
    for (int w = 1; w < kThreads / kWarp; ++w)
      if (first_extreme<kMax>(vscratch[w], iscratch[w], v, at)) v = vscratch[w], at = iscratch[w];
  }
}

// Strided slice of n elements (stride 1 for rows, inner for columns), reduced by `lanes`
// cooperating threads (lane = this thread's index among them); reduce_sum / reduce_max combine
// the lanes' partials (identity for one thread). Writes out (and argidx for max/min).
template <ReduceOp Op, class T, class Sum, class Max, class Arg>
AMOR_DEVICE void reduce_slice(const T* x, int64_t n, int64_t stride, int lane, int lanes,
                              int64_t correction, T* out, int64_t* argidx, Sum&& reduce_sum,
                              Max&& reduce_max, Arg&& reduce_arg) {
  if constexpr (Op == ReduceOp::kSum || Op == ReduceOp::kMean || Op == ReduceOp::kVar) {
    T s = T(0);
    for (int64_t i = lane; i < n; i += lanes) s += x[i * stride];
    s = reduce_sum(s);
    if constexpr (Op == ReduceOp::kSum) {
      if (lane == 0) *out = s;
    } else if constexpr (Op == ReduceOp::kMean) {
      if (lane == 0) *out = s / T(n);  // n == 0: NaN
    } else {
      const T mean = s * (T(1) / T(n));
      T ss = T(0);
      for (int64_t i = lane; i < n; i += lanes) {
        const T d = x[i * stride] - mean;
        ss += d * d;
      }
      ss = reduce_sum(ss);
      if (lane == 0) *out = ss / T(n - correction > 0 ? n - correction : 0);
    }
  } else if constexpr (Op == ReduceOp::kMax || Op == ReduceOp::kMin) {
    constexpr bool kMax = Op == ReduceOp::kMax;
    T best = std::numeric_limits<T>::quiet_NaN();
    int64_t at = kNoElement;
    for (int64_t i = lane; i < n; i += lanes) {
      const T v = x[i * stride];
      if (first_extreme<kMax>(v, i, best, at)) best = v, at = i;
    }
    reduce_arg(best, at);
    if (lane == 0) {  // n == 0: NaN and -1
      *out = at == kNoElement ? std::numeric_limits<T>::quiet_NaN() : best;
      if (argidx) *argidx = at == kNoElement ? -1 : at;
    }
  } else {  // kLogSumExp
    T m = -inf<T>();
    for (int64_t i = lane; i < n; i += lanes) {
      const T v = x[i * stride];
      m = (v > m || v != v) ? v : m;
    }
    m = reduce_max(m);
    const T shift = m == -inf<T>() ? T(0) : m;
    T s = T(0);
    for (int64_t i = lane; i < n; i += lanes) s += exp_(x[i * stride] - shift);
    s = reduce_sum(s);
    if (lane == 0) *out = (m == -inf<T>() || m == inf<T>()) ? m : m + log_(s);
  }
}

}  // namespace device

template <ReduceOp Op, int kThreads, class T>
__global__ void reduce_rows_kernel(const T* x, T* out, int64_t* argidx, int64_t outer, int64_t n,
                                   int64_t correction) {
  using namespace device;
  constexpr int kRowsPerBlock = kThreads == kWarp ? 4 : 1;
  T* vscratch = nullptr;  // [kThreads / 32], block groups only
  int64_t* iscratch = nullptr;
  if constexpr (kThreads != kWarp) {
    AMOR_DYNAMIC_SHARED(int64_t, smem);
    iscratch = smem;
    vscratch = reinterpret_cast<T*>(smem + kThreads / kWarp);
  }
  const int group = int(threadIdx.x) / kThreads, lane = int(threadIdx.x) % kThreads;
  const int64_t r = int64_t(blockIdx.x) * kRowsPerBlock + group;
  if (r >= outer) return;  // a whole warp (warp groups only: block groups fill their block)
  reduce_slice<Op>(
      x + r * n, n, 1, lane, kThreads, correction, out + r, argidx ? argidx + r : nullptr,
      [&](T v) { return group_reduce<kThreads>(v, [](T a, T b) { return a + b; }, vscratch); },
      [&](T v) {
        return group_reduce<kThreads>(
            v, [](T a, T b) { return (b > a || b != b) ? b : a; }, vscratch);
      },
      [&](T& v, int64_t& at) {
        group_reduce_arg<kThreads, Op == ReduceOp::kMax>(v, at, vscratch, iscratch);
      });
}

template <ReduceOp Op, class T>
__global__ void reduce_columns_kernel(const T* x, T* out, int64_t* argidx, int64_t outer,
                                      int64_t n, int64_t inner, int64_t correction) {
  const int64_t col = int64_t(blockIdx.x) * kReduceColumnThreads + threadIdx.x;
  if (col >= outer * inner) return;
  const int64_t o = col / inner, j = col % inner;
  device::reduce_slice<Op>(
      x + o * n * inner + j, n, inner, 0, 1, correction, out + col,
      argidx ? argidx + col : nullptr, [](T v) { return v; }, [](T v) { return v; },
      [](T&, int64_t&) {});
}

// correction: var only; argidx: max/min only (may be null).
template <ReduceOp Op, class T, class Launch>
void run_reduce(const T* x, T* out, int64_t* argidx, int64_t outer, int64_t n, int64_t inner,
                int64_t correction, Launch&& launch) {
  if (outer < 0 || n < 0 || inner < 0) throw std::invalid_argument("cuda reduce: negative shape");
  if (outer == 0 || inner == 0) return;
  if (inner == 1) {
    if (n <= kReduceWarpRowMax) {
      if (ceil_div(outer, 4) > int64_t{0x7fffffff})
        throw std::invalid_argument("cuda reduce: too many rows for one grid");
      launch(LaunchShape{dim3(unsigned(ceil_div(outer, 4))), dim3(4 * kWarp), 0},
             reduce_rows_kernel<Op, kWarp, T>, x, out, argidx, outer, n, correction);
    } else {
      if (outer > int64_t{0x7fffffff})
        throw std::invalid_argument("cuda reduce: too many rows for one grid");
      constexpr std::size_t kScratch = (kReduceBlockRowThreads / kWarp) * (sizeof(int64_t) + sizeof(T));
      launch(LaunchShape{dim3(unsigned(outer)), dim3(kReduceBlockRowThreads), kScratch},
             reduce_rows_kernel<Op, kReduceBlockRowThreads, T>, x, out, argidx, outer, n,
             correction);
    }
    return;
  }
  if (ceil_div(outer * inner, kReduceColumnThreads) > int64_t{0x7fffffff})
    throw std::invalid_argument("cuda reduce: too many columns for one grid");
  launch(LaunchShape{dim3(unsigned(ceil_div(outer * inner, kReduceColumnThreads))),
                     dim3(kReduceColumnThreads), 0},
         reduce_columns_kernel<Op, T>, x, out, argidx, outer, n, inner, correction);
}

}  // namespace amor::kernels::cuda

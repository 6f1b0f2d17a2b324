// Indexing, cumsum and searchsorted kernels: device code and launch plans (contracts:
// kernels/cuda/index.h). Element kernels use one thread per output element; the accumulating
// kernels one thread per (outer, inner) column walking the indexed axis in order (the CPU's
// order, no atomics); the index check is a single block reducing the first bad position through
// shared memory.
#pragma once

#include <stdexcept>

#include "kernels/cuda/kernel_support.cuh"

namespace amor::kernels::cuda {

inline constexpr int kIndexThreads = 256;
inline constexpr int kIndexCheckThreads = 256;
inline constexpr int64_t kIndexMaxBlocks = 65535;  // grid-stride loops cover the rest

namespace device {

AMOR_DEVICE int64_t grid_first() { return int64_t(blockIdx.x) * blockDim.x + threadIdx.x; }
AMOR_DEVICE int64_t grid_step() { return int64_t(gridDim.x) * blockDim.x; }

// a < b with NaN the largest value (kernels/cpu/searchsorted.cpp).
template <class T>
AMOR_DEVICE bool less_nan_last(T a, T b) {
  return a < b || (b != b && a == a);
}

}  // namespace device

// *first_bad = the smallest p with idx[p] outside [0, n), or -1. One block.
// (A template only so that the header may define it in every translation unit.)
template <class I>
__global__ void first_bad_index_kernel(const I* idx, int64_t count, int64_t n, int64_t* first_bad) {
  AMOR_DYNAMIC_SHARED(int64_t, best);  // [kIndexCheckThreads]
  constexpr int64_t kNone = int64_t(1) << 62;
  int64_t mine = kNone;
  for (int64_t p = threadIdx.x; p < count; p += blockDim.x)
    if ((idx[p] < 0 || idx[p] >= n) && p < mine) mine = p;
  best[threadIdx.x] = mine;
  __syncthreads();
  for (int half = int(blockDim.x) / 2; half > 0; half /= 2) {
    if (int(threadIdx.x) < half && best[threadIdx.x + half] < best[threadIdx.x])
      best[threadIdx.x] = best[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) *first_bad = best[0] == kNone ? -1 : best[0];
}

template <class T>
__global__ void index_select_kernel(const T* x, const int64_t* idx, T* out, int64_t outer,
                                    int64_t n_in, int64_t inner, int64_t n_idx) {
  const int64_t total = outer * n_idx * inner;
  for (int64_t e = device::grid_first(); e < total; e += device::grid_step()) {
    const int64_t i = e % inner, t = e / inner, j = t % n_idx, o = t / n_idx;
    out[e] = x[(o * n_in + idx[j]) * inner + i];
  }
}

template <class T>
__global__ void gather_kernel(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t n_in,
                              int64_t inner, int64_t n_idx) {
  const int64_t total = outer * n_idx * inner;
  for (int64_t e = device::grid_first(); e < total; e += device::grid_step()) {
    const int64_t i = e % inner, o = e / (n_idx * inner);
    out[e] = x[(o * n_in + idx[e]) * inner + i];
  }
}

template <class T>
__global__ void scatter_add_kernel(T* out, const int64_t* idx, const T* src, int64_t outer,
                                   int64_t n_out, int64_t inner, int64_t n_idx) {
  for (int64_t c = device::grid_first(); c < outer * inner; c += device::grid_step()) {
    const int64_t o = c / inner, i = c % inner;
    T* oo = out + o * n_out * inner + i;
    for (int64_t j = 0; j < n_idx; ++j) {
      const int64_t at = (o * n_idx + j) * inner + i;
      oo[idx[at] * inner] += src[at];
    }
  }
}

template <class T>
__global__ void index_add_kernel(T* out, const int64_t* idx, const T* src, int64_t outer,
                                 int64_t n_out, int64_t inner, int64_t n_idx) {
  for (int64_t c = device::grid_first(); c < outer * inner; c += device::grid_step()) {
    const int64_t o = c / inner, i = c % inner;
    for (int64_t j = 0; j < n_idx; ++j)
      out[(o * n_out + idx[j]) * inner + i] += src[(o * n_idx + j) * inner + i];
  }
}

template <class T>
__global__ void cumsum_kernel(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  for (int64_t c = device::grid_first(); c < outer * inner; c += device::grid_step()) {
    const int64_t o = c / inner, i = c % inner;
    const T* xb = x + o * n * inner + i;
    T* yb = y + o * n * inner + i;
    T acc = xb[0];  // y[0] = x[0] exactly (keeps -0), as the CPU scan
    yb[0] = acc;
    for (int64_t k = 1; k < n; ++k) {
      acc += xb[k * inner];
      yb[k * inner] = acc;
    }
  }
}

template <class T>
__global__ void searchsorted_kernel(const T* sorted, int64_t row_stride, int64_t K,
                                    const T* values, int64_t rows, int64_t M, int64_t* out,
                                    bool right) {
  for (int64_t p = device::grid_first(); p < rows * M; p += device::grid_step()) {
    const T* s = sorted + (p / M) * row_stride;
    const T v = values[p];
    int64_t lo = 0, hi = K;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      const bool advance = right ? !device::less_nan_last(v, s[mid]) : device::less_nan_last(s[mid], v);
      if (advance) lo = mid + 1;
      else hi = mid;
    }
    out[p] = lo;
  }
}

inline LaunchShape index_shape(int64_t work) {
  const int64_t blocks = ceil_div(work, kIndexThreads);
  return LaunchShape{dim3(unsigned(blocks < kIndexMaxBlocks ? blocks : kIndexMaxBlocks)),
                     dim3(kIndexThreads), 0};
}

inline void check_index_shape(int64_t outer, int64_t n, int64_t inner, int64_t n_idx) {
  if (outer < 0 || n < 0 || inner < 0 || n_idx < 0)
    throw std::invalid_argument("cuda index: negative shape");
}

// Writes the first bad position of idx[0, count) (or -1) to *first_bad (device memory).
template <class Launch>
void run_first_bad_index(const int64_t* idx, int64_t count, int64_t n, int64_t* first_bad,
                         Launch&& launch) {
  launch(LaunchShape{dim3(1), dim3(kIndexCheckThreads), kIndexCheckThreads * sizeof(int64_t)},
         first_bad_index_kernel<int64_t>, idx, count, n, first_bad);
}

// The plans below assume valid indices (run_first_bad_index first).
template <class T, class Launch>
void run_index_select(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t n_in,
                      int64_t inner, int64_t n_idx, Launch&& launch) {
  check_index_shape(outer, n_in, inner, n_idx);
  if (const int64_t work = outer * n_idx * inner; work > 0)
    launch(index_shape(work), index_select_kernel<T>, x, idx, out, outer, n_in, inner, n_idx);
}

template <class T, class Launch>
void run_gather(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t n_in, int64_t inner,
                int64_t n_idx, Launch&& launch) {
  check_index_shape(outer, n_in, inner, n_idx);
  if (const int64_t work = outer * n_idx * inner; work > 0)
    launch(index_shape(work), gather_kernel<T>, x, idx, out, outer, n_in, inner, n_idx);
}

template <class T, class Launch>
void run_scatter_add(T* out, const int64_t* idx, const T* src, int64_t outer, int64_t n_out,
                     int64_t inner, int64_t n_idx, Launch&& launch) {
  check_index_shape(outer, n_out, inner, n_idx);
  if (outer * inner > 0 && n_idx > 0)
    launch(index_shape(outer * inner), scatter_add_kernel<T>, out, idx, src, outer, n_out, inner,
           n_idx);
}

template <class T, class Launch>
void run_index_add(T* out, const int64_t* idx, const T* src, int64_t outer, int64_t n_out,
                   int64_t inner, int64_t n_idx, Launch&& launch) {
  check_index_shape(outer, n_out, inner, n_idx);
  if (outer * inner > 0 && n_idx > 0)
    launch(index_shape(outer * inner), index_add_kernel<T>, out, idx, src, outer, n_out, inner,
           n_idx);
}

template <class T, class Launch>
void run_cumsum(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, Launch&& launch) {
  check_index_shape(outer, n, inner, 0);
  if (outer * inner > 0 && n > 0)
    launch(index_shape(outer * inner), cumsum_kernel<T>, x, y, outer, n, inner);
}

template <class T, class Launch>
void run_searchsorted(const T* sorted, int64_t row_stride, int64_t K, const T* values,
                      int64_t rows, int64_t M, int64_t* out, bool right, Launch&& launch) {
  if (K < 0 || rows < 0 || M < 0) throw std::invalid_argument("cuda searchsorted: negative shape");
  if (rows * M > 0)
    launch(index_shape(rows * M), searchsorted_kernel<T>, sorted, row_stride, K, values, rows, M,
           out, right);
}

}  // namespace amor::kernels::cuda

// Strided elementwise loops: the one place where broadcasting and non-contiguous layouts are
// walked. The caller (core) describes up to three operands with a shared shape and per-operand
// strides in elements (0 = broadcast along that axis) and passes a functor for the scalar math.
//
// Geometry is coalesced first (adjacent axes merged when every operand is linear across them),
// so a contiguous or simply-broadcast operation runs as one flat loop the compiler vectorises.
// Rows (all axes but the last) are split over OpenMP threads above a size threshold; each
// element is computed independently, so results never depend on the thread count.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace amor::kernels::cpu {

inline constexpr int kLoopMaxDims = 8;
inline constexpr int kLoopMaxOperands = 4;
// Below this many elements a loop runs on the calling thread only.
inline constexpr int64_t kParallelThreshold = 32768;
// One long row (a contiguous operation coalesces to a single axis) is cut into pieces of this
// many elements, fixed by the size alone: each element then lands at the same place of the same
// vectorised loop whatever the number of threads, so the bits do not depend on it.
inline constexpr int64_t kFlatChunk = 8192;

struct LoopGeometry {
  int ndim = 0;
  int noperands = 0;
  int64_t shape[kLoopMaxDims];  // only [0, ndim) is meaningful (left uninitialised: hot path)
  int64_t stride[kLoopMaxOperands][kLoopMaxDims];  // stride[operand][axis], in elements

  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; ++i) n *= shape[i];
    return n;
  }

  // Drops size-1 axes and merges neighbours that every operand walks linearly. Keeps >= 1 axis.
  void coalesce() {
    int out = 0;
    for (int i = 0; i < ndim; ++i) {
      if (shape[i] == 1) continue;
      if (out > 0) {
        bool mergeable = true;
        for (int o = 0; o < noperands; ++o)
          if (stride[o][out - 1] != stride[o][i] * shape[i]) mergeable = false;
        if (mergeable) {
          shape[out - 1] *= shape[i];
          for (int o = 0; o < noperands; ++o) stride[o][out - 1] = stride[o][i];
          continue;
        }
      }
      shape[out] = shape[i];
      for (int o = 0; o < noperands; ++o) stride[o][out] = stride[o][i];
      ++out;
    }
    if (out == 0) {
      shape[0] = 1;
      for (int o = 0; o < noperands; ++o) stride[o][0] = 0;
      out = 1;
    }
    ndim = out;
  }
};

namespace detail {

// Calls row(offsets[], n_inner) for every row of the geometry in [row_begin, row_end), where
// offsets are the element offsets of each operand at the start of the row.
template <class RowFn>
inline void for_rows(const LoopGeometry& g, int64_t row_begin, int64_t row_end, RowFn&& row) {
  const int outer = g.ndim - 1;
  int64_t idx[kLoopMaxDims] = {};
  int64_t rem = row_begin;
  for (int d = outer - 1; d >= 0; --d) {
    idx[d] = rem % g.shape[d];
    rem /= g.shape[d];
  }
  int64_t off[kLoopMaxOperands] = {};
  for (int o = 0; o < g.noperands; ++o)
    for (int d = 0; d < outer; ++d) off[o] += idx[d] * g.stride[o][d];
  const int64_t n = g.shape[outer];
  for (int64_t r = row_begin; r < row_end; ++r) {
    row(off, n);
    for (int d = outer - 1; d >= 0; --d) {  // odometer increment
      ++idx[d];
      for (int o = 0; o < g.noperands; ++o) off[o] += g.stride[o][d];
      if (idx[d] < g.shape[d]) break;
      for (int o = 0; o < g.noperands; ++o) off[o] -= g.stride[o][d] * g.shape[d];
      idx[d] = 0;
    }
  }
}

template <class RowFn>
inline void parallel_rows(const LoopGeometry& g, RowFn&& row) {
  const int64_t n_inner = g.shape[g.ndim - 1];
  const int64_t rows = n_inner == 0 ? 0 : g.numel() / n_inner;
  if (rows == 0) return;
  const int64_t total = rows * n_inner;
  if (total < kParallelThreshold) {
    for_rows(g, 0, rows, row);
    return;
  }
  if (rows == 1) {  // a single row: pieces of kFlatChunk over the threads
    const int last = g.ndim - 1;
    const int64_t chunks = (total + kFlatChunk - 1) / kFlatChunk;
    auto piece = [&](int64_t c) {
      int64_t off[kLoopMaxOperands] = {};
      for (int o = 0; o < g.noperands; ++o) off[o] = c * kFlatChunk * g.stride[o][last];
      row(off, std::min(kFlatChunk, total - c * kFlatChunk));
    };
    if (omp_in_parallel()) {
      for (int64_t c = 0; c < chunks; ++c) piece(c);
      return;
    }
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < chunks; ++c) piece(c);
    return;
  }
  if (omp_in_parallel()) {
    for_rows(g, 0, rows, row);
    return;
  }
#pragma omp parallel
  {
    const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t begin = rows * t / nt, end = rows * (t + 1) / nt;
    if (begin < end) for_rows(g, begin, end, row);
  }
}

}  // namespace detail

// out[i] = f(a[i]); operand 0 = out, 1 = a.
template <class To, class Ta, class F>
void map_unary(const LoopGeometry& g, To* out, const Ta* a, F f) {
  detail::parallel_rows(g, [&](const int64_t* off, int64_t n) {
    To* o = out + off[0];
    const Ta* x = a + off[1];
    const int64_t so = g.stride[0][g.ndim - 1], sa = g.stride[1][g.ndim - 1];
    if (so == 1 && sa == 1) {
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * so] = f(x[i * sa]);
    }
  });
}

// out[i] = f(a[i], b[i]); operands 0 = out, 1 = a, 2 = b.
template <class To, class Ta, class Tb, class F>
void map_binary(const LoopGeometry& g, To* out, const Ta* a, const Tb* b, F f) {
  detail::parallel_rows(g, [&](const int64_t* off, int64_t n) {
    To* o = out + off[0];
    const Ta* x = a + off[1];
    const Tb* y = b + off[2];
    const int last = g.ndim - 1;
    const int64_t so = g.stride[0][last], sa = g.stride[1][last], sb = g.stride[2][last];
    if (so == 1 && sa == 1 && sb == 1) {
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (so == 1 && sa == 1 && sb == 0) {
      const Tb yv = y[0];
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
    } else if (so == 1 && sa == 0 && sb == 1) {
      const Ta xv = x[0];
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * so] = f(x[i * sa], y[i * sb]);
    }
  });
}

// out[i] = f(a[i], b[i], c[i]); operands 0 = out, 1 = a, 2 = b, 3 = c.
template <class To, class Ta, class Tb, class Tc, class F>
void map_ternary(const LoopGeometry& g, To* out, const Ta* a, const Tb* b, const Tc* c, F f) {
  detail::parallel_rows(g, [&](const int64_t* off, int64_t n) {
    To* o = out + off[0];
    const Ta* x = a + off[1];
    const Tb* y = b + off[2];
    const Tc* z = c + off[3];
    const int last = g.ndim - 1;
    const int64_t so = g.stride[0][last], sa = g.stride[1][last], sb = g.stride[2][last],
                  sc = g.stride[3][last];
    if (so == 1 && sa == 1 && sb == 1 && sc == 1) {
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i], z[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * so] = f(x[i * sa], y[i * sb], z[i * sc]);
    }
  });
}

}  // namespace amor::kernels::cpu

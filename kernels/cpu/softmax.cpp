// Softmax family. inner == 1: one task per contiguous row. inner > 1: one task per tile of
// <= kTile columns of an outer slice, with contiguous inner loops over the tile.
// Every pass reads its inputs before writing the same element, so y may alias x and dx may
// alias dy.
#include "kernels/cpu/softmax.h"

#include <cmath>
#include <limits>

#include "kernels/cpu/loops.h"

namespace amor::kernels::cpu {

using detail::for_each_row;
using detail::for_each_tile;
using detail::kTile;

namespace {

// 1/s, or 0 when s == 0 (all inputs -inf), so a fully masked slice normalises to zeros.
template <class T>
T safe_inverse(T s) {
  return s > T(0) ? T(1) / s : (s == T(0) ? T(0) : s);  // NaN stays NaN
}

// log(sum(exp(x))) from the shift and s = sum(exp(x - shift)); -inf for an all -inf slice.
template <class T>
T log_normaliser(T shift, T s) {
  return s == T(0) ? -std::numeric_limits<T>::infinity() : shift + std::log(s);
}

}  // namespace

template <class T>
void softmax_fwd(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  const int64_t work = outer * n * inner;
  if (inner == 1) {
    for_each_row(outer, work, [&](int64_t o) {
      const T* xr = x + o * n;
      T* yr = y + o * n;
      const T shift = detail::safe_shift(detail::row_max(xr, n));
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) yr[i] = detail::shifted_exp(xr[i] - shift);
      const T inv = safe_inverse(detail::pairwise_sum<T>(0, n, [yr](int64_t i) { return yr[i]; }));
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) yr[i] *= inv;
    });
    return;
  }
  for_each_tile(outer, inner, work, [&](int64_t o, int64_t j0, int64_t w) {
    const T* xb = x + o * n * inner + j0;
    T* yb = y + o * n * inner + j0;
    T shift[kTile], inv[kTile];
    detail::tile_max<T>(
        n, w, [xb, inner](int64_t k, int64_t j) { return xb[k * inner + j]; }, shift);
    for (int64_t j = 0; j < w; ++j) shift[j] = detail::safe_shift(shift[j]);
    for (int64_t k = 0; k < n; ++k)
#pragma omp simd
      for (int64_t j = 0; j < w; ++j)
        yb[k * inner + j] = detail::shifted_exp(xb[k * inner + j] - shift[j]);
    detail::sum_rows<T>(
        0, n, w, [yb, inner](int64_t k, int64_t j) { return yb[k * inner + j]; }, inv);
    for (int64_t j = 0; j < w; ++j) inv[j] = safe_inverse(inv[j]);
    for (int64_t k = 0; k < n; ++k)
#pragma omp simd
      for (int64_t j = 0; j < w; ++j) yb[k * inner + j] *= inv[j];
  });
}

template <class T>
void softmax_bwd(const T* y, const T* dy, T* dx, int64_t outer, int64_t n, int64_t inner) {
  const int64_t work = outer * n * inner;
  if (inner == 1) {
    for_each_row(outer, work, [&](int64_t o) {
      const T* yr = y + o * n;
      const T* gr = dy + o * n;
      T* dr = dx + o * n;
      const T dot = detail::pairwise_sum<T>(0, n, [yr, gr](int64_t i) { return yr[i] * gr[i]; });
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) dr[i] = yr[i] * (gr[i] - dot);
    });
    return;
  }
  for_each_tile(outer, inner, work, [&](int64_t o, int64_t j0, int64_t w) {
    const int64_t off = o * n * inner + j0;
    const T* yb = y + off;
    const T* gb = dy + off;
    T* db = dx + off;
    T dot[kTile];
    detail::sum_rows<T>(
        0, n, w,
        [yb, gb, inner](int64_t k, int64_t j) { return yb[k * inner + j] * gb[k * inner + j]; },
        dot);
    for (int64_t k = 0; k < n; ++k)
#pragma omp simd
      for (int64_t j = 0; j < w; ++j)
        db[k * inner + j] = yb[k * inner + j] * (gb[k * inner + j] - dot[j]);
  });
}

template <class T>
void log_softmax_fwd(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  constexpr T ninf = -std::numeric_limits<T>::infinity();
  const int64_t work = outer * n * inner;
  if (inner == 1) {
    for_each_row(outer, work, [&](int64_t o) {
      const T* xr = x + o * n;
      T* yr = y + o * n;
      const T shift = detail::safe_shift(detail::row_max(xr, n));
      const T s = detail::pairwise_sum<T>(
          0, n, [xr, shift](int64_t i) { return detail::shifted_exp(xr[i] - shift); });
      const T lse = log_normaliser(shift, s);
      if (lse == ninf) {
        for (int64_t i = 0; i < n; ++i) yr[i] = ninf;
        return;
      }
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) yr[i] = xr[i] - lse;
    });
    return;
  }
  for_each_tile(outer, inner, work, [&](int64_t o, int64_t j0, int64_t w) {
    const T* xb = x + o * n * inner + j0;
    T* yb = y + o * n * inner + j0;
    const auto at = [xb, inner](int64_t k, int64_t j) { return xb[k * inner + j]; };
    T shift[kTile], lse[kTile];
    detail::tile_max<T>(n, w, at, shift);
    for (int64_t j = 0; j < w; ++j) shift[j] = detail::safe_shift(shift[j]);
    detail::sum_rows<T>(
        0, n, w,
        [&at, &shift](int64_t k, int64_t j) { return detail::shifted_exp(at(k, j) - shift[j]); },
        lse);
    for (int64_t j = 0; j < w; ++j) lse[j] = log_normaliser(shift[j], lse[j]);
    for (int64_t k = 0; k < n; ++k)
#pragma omp simd
      for (int64_t j = 0; j < w; ++j)
        yb[k * inner + j] = lse[j] == ninf ? ninf : xb[k * inner + j] - lse[j];
  });
}

template <class T>
void log_softmax_bwd(const T* y, const T* dy, T* dx, int64_t outer, int64_t n, int64_t inner) {
  const int64_t work = outer * n * inner;
  if (inner == 1) {
    for_each_row(outer, work, [&](int64_t o) {
      const T* yr = y + o * n;
      const T* gr = dy + o * n;
      T* dr = dx + o * n;
      const T total = detail::pairwise_sum<T>(0, n, [gr](int64_t i) { return gr[i]; });
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) dr[i] = gr[i] - detail::shifted_exp(yr[i]) * total;
    });
    return;
  }
  for_each_tile(outer, inner, work, [&](int64_t o, int64_t j0, int64_t w) {
    const int64_t off = o * n * inner + j0;
    const T* yb = y + off;
    const T* gb = dy + off;
    T* db = dx + off;
    T total[kTile];
    detail::sum_rows<T>(
        0, n, w, [gb, inner](int64_t k, int64_t j) { return gb[k * inner + j]; }, total);
    for (int64_t k = 0; k < n; ++k)
#pragma omp simd
      for (int64_t j = 0; j < w; ++j)
        db[k * inner + j] = gb[k * inner + j] - detail::shifted_exp(yb[k * inner + j]) * total[j];
  });
}

#define AMOR_INSTANTIATE(T)                                                        \
  template void softmax_fwd<T>(const T*, T*, int64_t, int64_t, int64_t);           \
  template void softmax_bwd<T>(const T*, const T*, T*, int64_t, int64_t, int64_t); \
  template void log_softmax_fwd<T>(const T*, T*, int64_t, int64_t, int64_t);       \
  template void log_softmax_bwd<T>(const T*, const T*, T*, int64_t, int64_t, int64_t);
AMOR_INSTANTIATE(float)
AMOR_INSTANTIATE(double)
#undef AMOR_INSTANTIATE

}  // namespace amor::kernels::cpu

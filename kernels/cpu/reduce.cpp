// Axis reductions. Two shapes of loop:
//   inner == 1: each output is a contiguous row sum (pairwise, vectorised leaves);
//   inner > 1:  each task owns a tile of <= kTile columns of one outer slice and walks the n
//               rows with contiguous inner loops (sum_rows / tile_max).
#include "kernels/cpu/reduce.h"

#include <cmath>
#include <limits>

#include "kernels/cpu/loops.h"

namespace amor::kernels::cpu {

using detail::for_each_row;
using detail::for_each_tile;
using detail::kTile;

namespace {

// x: [n] contiguous; sum of f(x[i]). Threads over blocks only when asked (outer == 1).
template <class T, class F>
T row_sum(const T* r, int64_t n, const F& f, bool parallel) {
  return detail::contig_sum<T>(
      n, [r, &f](int64_t i) { return f(r[i]); }, parallel);
}

// A function object, not a function: passed by reference into the loops it must inline.
struct Identity {
  template <class T>
  T operator()(T v) const {
    return v;
  }
};

// out[o, j] = sum over k of f(x[o, k, j]) (the building block of sum, mean and var).
template <class T, class F>
void sum_axis_with(const T* x, T* out, int64_t outer, int64_t n, int64_t inner, const F& f) {
  const int64_t work = outer * n * inner;
  if (inner == 1) {
    // One long row: threads over its blocks. Several rows: threads over rows. Same bits.
    if (outer == 1) {
      out[0] = row_sum(x, n, f, true);
      return;
    }
    for_each_row(outer, work, [&](int64_t o) { out[o] = row_sum(x + o * n, n, f, false); });
    return;
  }
  if (outer == 1 && n > 16) {
    // One [n, inner] slice (a bias gradient, say): whole rows at a time, read once each, with
    // the same pairwise tree (so the same bits) as the tiled loop below.
    detail::column_sums<T>(
        n, inner, [x, inner, &f](int64_t k, int64_t j) { return f(x[k * inner + j]); }, out);
    return;
  }
  for_each_tile(outer, inner, work, [&](int64_t o, int64_t j0, int64_t w) {
    const T* base = x + o * n * inner + j0;
    detail::sum_rows<T>(
        0, n, w, [base, inner, &f](int64_t k, int64_t j) { return f(base[k * inner + j]); },
        out + o * inner + j0);
  });
}

// max (kMax) or min with first-extreme argidx and NaN propagation.
template <bool kMax, class T>
void extreme_axis(const T* x, T* out, int64_t* argidx, int64_t outer, int64_t n, int64_t inner) {
  if (n == 0) {
    for (int64_t p = 0; p < outer * inner; ++p) {
      out[p] = std::numeric_limits<T>::quiet_NaN();
      if (argidx) argidx[p] = -1;
    }
    return;
  }
  const int64_t work = outer * n * inner;
  if (inner == 1) {
    // Vectorised value first, then a short scan for its first position (±0 compare equal, so
    // the reported value is the first extreme element itself).
    for_each_row(outer, work, [&](int64_t o) {
      const T* r = x + o * n;
      const T m = detail::row_extreme<kMax>(r, n);
      int64_t k = 0;
      if (m != m)
        while (r[k] == r[k]) ++k;
      else
        while (r[k] != m) ++k;
      out[o] = r[k];
      if (argidx) argidx[o] = k;
    });
    return;
  }
  for_each_tile(outer, inner, work, [&](int64_t o, int64_t j0, int64_t w) {
    const T* base = x + o * n * inner + j0;
    T best[kTile];
    int64_t at[kTile];
    for (int64_t j = 0; j < w; ++j) {
      best[j] = base[j];
      at[j] = 0;
    }
    for (int64_t k = 1; k < n; ++k) {
      const T* row = base + k * inner;
#pragma omp simd
      for (int64_t j = 0; j < w; ++j) {
        const bool take = detail::replaces<kMax>(row[j], best[j]);
        best[j] = take ? row[j] : best[j];
        at[j] = take ? k : at[j];
      }
    }
    for (int64_t j = 0; j < w; ++j) {
      out[o * inner + j0 + j] = best[j];
      if (argidx) argidx[o * inner + j0 + j] = at[j];
    }
  });
}

// log(s) + shift, where s = sum(exp(x - shift)) and m is the (NaN-propagating) max.
template <class T>
T finish_logsumexp(T m, T s) {
  constexpr T inf = std::numeric_limits<T>::infinity();
  if (m == -inf || m == inf) return m;
  return m + std::log(s);
}

}  // namespace

template <class T>
void sum_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner) {
  sum_axis_with(x, out, outer, n, inner, Identity{});
}

template <class T>
void mean_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner) {
  sum_axis(x, out, outer, n, inner);
  const T count = static_cast<T>(n);
  for (int64_t p = 0; p < outer * inner; ++p) out[p] /= count;  // n == 0: 0 / 0 = NaN
}

template <class T>
void var_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner, int64_t correction) {
  const T denom = static_cast<T>(n - correction > 0 ? n - correction : 0);
  const T inv_n = T(1) / static_cast<T>(n);
  const int64_t work = outer * n * inner;
  if (inner == 1) {
    // As in sum_axis_with: one long row threads over its blocks, several rows over rows.
    const auto row_var = [&](const T* r, bool parallel) {
      const T mean = row_sum(r, n, Identity{}, parallel) * inv_n;
      const T ss = row_sum(
          r, n, [mean](T v) { return (v - mean) * (v - mean); }, parallel);
      return ss / denom;
    };
    if (outer == 1) {
      out[0] = row_var(x, true);
      return;
    }
    for_each_row(outer, work, [&](int64_t o) { out[o] = row_var(x + o * n, false); });
    return;
  }
  for_each_tile(outer, inner, work, [&](int64_t o, int64_t j0, int64_t w) {
    const T* base = x + o * n * inner + j0;
    T mean[kTile];
    detail::sum_rows<T>(
        0, n, w, [base, inner](int64_t k, int64_t j) { return base[k * inner + j]; }, mean);
    for (int64_t j = 0; j < w; ++j) mean[j] *= inv_n;
    T* dst = out + o * inner + j0;
    detail::sum_rows<T>(
        0, n, w,
        [base, inner, &mean](int64_t k, int64_t j) {
          const T d = base[k * inner + j] - mean[j];
          return d * d;
        },
        dst);
    for (int64_t j = 0; j < w; ++j) dst[j] /= denom;
  });
}

template <class T>
void max_axis(const T* x, T* out, int64_t* argidx, int64_t outer, int64_t n, int64_t inner) {
  extreme_axis<true>(x, out, argidx, outer, n, inner);
}

template <class T>
void min_axis(const T* x, T* out, int64_t* argidx, int64_t outer, int64_t n, int64_t inner) {
  extreme_axis<false>(x, out, argidx, outer, n, inner);
}

template <class T>
void logsumexp_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner) {
  const int64_t work = outer * n * inner;
  if (inner == 1) {
    for_each_row(outer, work, [&](int64_t o) {
      const T* r = x + o * n;
      const T m = detail::row_max(r, n);
      const T shift = detail::safe_shift(m);
      const T s = detail::pairwise_sum<T>(
          0, n, [r, shift](int64_t i) { return detail::shifted_exp(r[i] - shift); });
      out[o] = finish_logsumexp(m, s);
    });
    return;
  }
  for_each_tile(outer, inner, work, [&](int64_t o, int64_t j0, int64_t w) {
    const T* base = x + o * n * inner + j0;
    const auto at = [base, inner](int64_t k, int64_t j) { return base[k * inner + j]; };
    T m[kTile], shift[kTile], s[kTile];
    detail::tile_max<T>(n, w, at, m);
    for (int64_t j = 0; j < w; ++j) shift[j] = detail::safe_shift(m[j]);
    detail::sum_rows<T>(
        0, n, w,
        [&at, &shift](int64_t k, int64_t j) { return detail::shifted_exp(at(k, j) - shift[j]); },
        s);
    for (int64_t j = 0; j < w; ++j) out[o * inner + j0 + j] = finish_logsumexp(m[j], s[j]);
  });
}

template <class T>
T sum_all(const T* x, int64_t n) {
  return row_sum(x, n, Identity{}, true);
}

#define AMOR_INSTANTIATE(T)                                                     \
  template void sum_axis<T>(const T*, T*, int64_t, int64_t, int64_t);           \
  template void mean_axis<T>(const T*, T*, int64_t, int64_t, int64_t);          \
  template void var_axis<T>(const T*, T*, int64_t, int64_t, int64_t, int64_t);  \
  template void max_axis<T>(const T*, T*, int64_t*, int64_t, int64_t, int64_t); \
  template void min_axis<T>(const T*, T*, int64_t*, int64_t, int64_t, int64_t); \
  template void logsumexp_axis<T>(const T*, T*, int64_t, int64_t, int64_t);     \
  template T sum_all<T>(const T*, int64_t);
AMOR_INSTANTIATE(float)
AMOR_INSTANTIATE(double)
#undef AMOR_INSTANTIATE

}  // namespace amor::kernels::cpu

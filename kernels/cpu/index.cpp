#include "kernels/cpu/index.h"

#include <algorithm>

#include "kernels/cpu/loops.h"

namespace amor::kernels::cpu {

namespace {

// Position of the first idx[p] outside [0, n), or -1.
int64_t first_bad_index(const int64_t* idx, int64_t count, int64_t n) {
  for (int64_t p = 0; p < count; ++p)
    if (idx[p] < 0 || idx[p] >= n) return p;
  return -1;
}

}  // namespace

template <class T>
int64_t index_select(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t n_in,
                     int64_t inner, int64_t n_idx) {
  if (const int64_t bad = first_bad_index(idx, n_idx, n_in); bad >= 0) return bad;
  detail::for_each_row(outer * n_idx, outer * n_idx * inner, [&](int64_t t) {
    const int64_t o = t / n_idx;
    std::copy_n(x + (o * n_in + idx[t % n_idx]) * inner, inner, out + t * inner);
  });
  return -1;
}

template <class T>
int64_t gather(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t n_in, int64_t inner,
               int64_t n_idx) {
  if (const int64_t bad = first_bad_index(idx, outer * n_idx * inner, n_in); bad >= 0) return bad;
  detail::for_each_row(outer * n_idx, outer * n_idx * inner, [&](int64_t t) {
    const T* xo = x + (t / n_idx) * n_in * inner;
    const int64_t* it = idx + t * inner;
    T* ot = out + t * inner;
    for (int64_t i = 0; i < inner; ++i) ot[i] = xo[it[i] * inner + i];
  });
  return -1;
}

template <class T>
int64_t scatter_add(T* out, const int64_t* idx, const T* src, int64_t outer, int64_t n_out,
                    int64_t inner, int64_t n_idx) {
  if (const int64_t bad = first_bad_index(idx, outer * n_idx * inner, n_out); bad >= 0) return bad;
  detail::for_each_tile(outer, inner, outer * n_idx * inner, [&](int64_t o, int64_t j0, int64_t w) {
    T* oo = out + o * n_out * inner + j0;
    for (int64_t j = 0; j < n_idx; ++j) {
      const int64_t* it = idx + (o * n_idx + j) * inner + j0;
      const T* st = src + (o * n_idx + j) * inner + j0;
      for (int64_t i = 0; i < w; ++i) oo[it[i] * inner + i] += st[i];
    }
  });
  return -1;
}

template <class T>
int64_t index_add(T* out, const int64_t* idx, const T* src, int64_t outer, int64_t n_out,
                  int64_t inner, int64_t n_idx) {
  if (const int64_t bad = first_bad_index(idx, n_idx, n_out); bad >= 0) return bad;
  detail::for_each_tile(outer, inner, outer * n_idx * inner, [&](int64_t o, int64_t j0, int64_t w) {
    for (int64_t j = 0; j < n_idx; ++j) {
      T* dst = out + (o * n_out + idx[j]) * inner + j0;
      const T* s = src + (o * n_idx + j) * inner + j0;
#pragma omp simd
      for (int64_t i = 0; i < w; ++i) dst[i] += s[i];
    }
  });
  return -1;
}

#define AMOR_INSTANTIATE_READ(T)                                                            \
  template int64_t index_select<T>(const T*, const int64_t*, T*, int64_t, int64_t, int64_t, \
                                   int64_t);                                                \
  template int64_t gather<T>(const T*, const int64_t*, T*, int64_t, int64_t, int64_t, int64_t);
#define AMOR_INSTANTIATE_ADD(T)                                                            \
  template int64_t scatter_add<T>(T*, const int64_t*, const T*, int64_t, int64_t, int64_t, \
                                  int64_t);                                                \
  template int64_t index_add<T>(T*, const int64_t*, const T*, int64_t, int64_t, int64_t, int64_t);
AMOR_INSTANTIATE_READ(float)
AMOR_INSTANTIATE_READ(double)
AMOR_INSTANTIATE_READ(int64_t)
AMOR_INSTANTIATE_READ(uint8_t)
AMOR_INSTANTIATE_ADD(float)
AMOR_INSTANTIATE_ADD(double)
AMOR_INSTANTIATE_ADD(int64_t)
#undef AMOR_INSTANTIATE_READ
#undef AMOR_INSTANTIATE_ADD

}  // namespace amor::kernels::cpu

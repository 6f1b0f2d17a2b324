#include "kernels/cpu/layer_norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/loops.h"

namespace amor::kernels::cpu {

template <class T>
void layer_norm_fwd(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t rows,
                    int64_t C, T eps) {
  const T inv_c = C > 0 ? T(1) / static_cast<T>(C) : T(0);  // C == 0: mean 0, var 0
  detail::for_each_row(rows, rows * C, [&](int64_t r) {
    const T* xr = x + r * C;
    T* yr = y + r * C;
    const T mu = detail::pairwise_sum<T>(0, C, [xr](int64_t i) { return xr[i]; }) * inv_c;
    const T var = detail::pairwise_sum<T>(0, C,
                                          [xr, mu](int64_t i) {
                                            const T d = xr[i] - mu;
                                            return d * d;
                                          }) *
                  inv_c;
    const T rs = T(1) / std::sqrt(var + eps);
    if (mean) mean[r] = mu;
    if (rstd) rstd[r] = rs;
#pragma omp simd
    for (int64_t i = 0; i < C; ++i) yr[i] = (xr[i] - mu) * rs;
    if (w) {
#pragma omp simd
      for (int64_t i = 0; i < C; ++i) yr[i] *= w[i];
    }
    if (b) {
#pragma omp simd
      for (int64_t i = 0; i < C; ++i) yr[i] += b[i];
    }
  });
}

// In the forward pass this was y = xhat * w + b with xhat = (x - mean) * rstd, where mean and
// rstd depend on every x of the row. With g = dy * w:
//   dxhat = g,  dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),
//   dw += dy * xhat,  db += dy   (summed over rows).
template <class T>
void layer_norm_bwd(const T* dy, const T* x, const T* w, const T* mean, const T* rstd, T* dx, T* dw,
                    T* db, int64_t rows, int64_t C) {
  const int64_t kBlock = kLayerNormRowBlock;
  const bool params = dw != nullptr || db != nullptr;
  const int64_t blocks = (rows + kBlock - 1) / kBlock;
  // part: [blocks, 2, C], the per-block sums of dy * xhat (then of dy), each in row order.
  std::vector<T> part(params ? static_cast<size_t>(blocks * 2 * C) : 0);
  const T inv_c = C > 0 ? T(1) / static_cast<T>(C) : T(0);

#pragma omp parallel for schedule(static) if (rows * C > detail::kParallelWork)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    T* pdw = params ? part.data() + blk * 2 * C : nullptr;
    T* pdb = params ? pdw + C : nullptr;
    if (params) std::fill(pdw, pdw + 2 * C, T(0));
    for (int64_t r = blk * kBlock; r < std::min(rows, (blk + 1) * kBlock); ++r) {
      const T* xr = x + r * C;
      const T* gr = dy + r * C;
      const T mu = mean[r];
      const T rs = rstd[r];
      // Parameter sums first: dx may alias dy or x.
      if (params) {
#pragma omp simd
        for (int64_t i = 0; i < C; ++i) {
          pdw[i] += gr[i] * ((xr[i] - mu) * rs);
          pdb[i] += gr[i];
        }
      }
      if (dx) {
        T* dr = dx + r * C;
        const auto g = [gr, w](int64_t i) { return w ? gr[i] * w[i] : gr[i]; };
        const T g_mean = detail::pairwise_sum<T>(0, C, g) * inv_c;
        const T gx_mean =
            detail::pairwise_sum<T>(0, C, [&](int64_t i) { return g(i) * ((xr[i] - mu) * rs); }) *
            inv_c;
#pragma omp simd
        for (int64_t i = 0; i < C; ++i) dr[i] = rs * (g(i) - g_mean - (xr[i] - mu) * rs * gx_mean);
      }
    }
  }
  if (!params) return;
  // Block partials combined in a fixed (pairwise, block-index) order, column tiles in parallel.
  detail::for_each_tile(1, C, blocks * C, [&](int64_t, int64_t j0, int64_t width) {
    const T* p = part.data() + j0;
    if (dw)
      detail::sum_rows<T>(
          0, blocks, width, [p, C](int64_t k, int64_t j) { return p[k * 2 * C + j]; }, dw + j0);
    if (db)
      detail::sum_rows<T>(
          0, blocks, width, [p, C](int64_t k, int64_t j) { return p[k * 2 * C + C + j]; }, db + j0);
  });
}

#define AMOR_INSTANTIATE(T)                                                                       \
  template void layer_norm_fwd<T>(const T*, const T*, const T*, T*, T*, T*, int64_t, int64_t, T); \
  template void layer_norm_bwd<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*,   \
                                  int64_t, int64_t);
AMOR_INSTANTIATE(float)
AMOR_INSTANTIATE(double)
#undef AMOR_INSTANTIATE

}  // namespace amor::kernels::cpu

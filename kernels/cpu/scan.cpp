#include "kernels/cpu/scan.h"

#include "kernels/cpu/loops.h"

namespace amor::kernels::cpu {

// One task per tile of <= kTile columns of an outer slice; the running sums of the tile are
// carried down the n rows with a contiguous inner loop (scalar when inner == 1).
template <class T>
void cumsum(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  detail::for_each_tile(outer, inner, outer * n * inner, [&](int64_t o, int64_t j0, int64_t w) {
    const int64_t off = o * n * inner + j0;
    const T* xb = x + off;
    T* yb = y + off;
    if (n == 0) return;
    T acc[detail::kTile];
    for (int64_t j = 0; j < w; ++j) yb[j] = acc[j] = xb[j];  // y[0] = x[0] exactly (keeps -0)
    for (int64_t k = 1; k < n; ++k)
#pragma omp simd
      for (int64_t j = 0; j < w; ++j) {
        acc[j] += xb[k * inner + j];
        yb[k * inner + j] = acc[j];
      }
  });
}

template void cumsum<float>(const float*, float*, int64_t, int64_t, int64_t);
template void cumsum<double>(const double*, double*, int64_t, int64_t, int64_t);

}  // namespace amor::kernels::cpu

#include "kernels/cpu/affine_coupling.h"

#include "kernels/cpu/affine_coupling_math.h"
#include "kernels/cpu/loops.h"

namespace amor::kernels::cpu {

namespace acm = affine_coupling_math;

template <class T>
void affine_coupling_fwd(const T* x, int64_t ldx, const T* r, int64_t ldr, const T* t, int64_t ldt,
                         T* y, T* logdet, int64_t n, int64_t k, bool inverse) {
  detail::for_each_row(n, n * k, [&](int64_t i) {
    const T* xi = x + i * ldx;
    const T* ri = r + i * ldr;
    const T* ti = t + i * ldt;
    T* yi = y + i * k;
    T ld = T(0);
    for (int64_t j = 0; j < k; ++j) yi[j] = acm::affine_apply(xi[j], ri[j], ti[j], inverse, &ld);
    logdet[i] = ld;
  });
}

template <class T>
void affine_coupling_bwd(const T* gy, const T* glogdet, const T* x, int64_t ldx, const T* r,
                         int64_t ldr, const T* t, int64_t ldt, T* dx, T* dr, T* dt, int64_t n,
                         int64_t k, bool inverse) {
  detail::for_each_row(n, n * k, [&](int64_t i) {
    const T* xi = x + i * ldx;
    const T* ri = r + i * ldr;
    const T* ti = t + i * ldt;
    const T gl = glogdet ? glogdet[i] : T(0);
    for (int64_t j = 0; j < k; ++j) {
      const T g = gy ? gy[i * k + j] : T(0);
      const acm::AffineGrads<T> d = acm::affine_backward(g, gl, xi[j], ri[j], ti[j], inverse);
      if (dx) dx[i * k + j] = d.dx;
      if (dr) dr[i * k + j] = d.dr;
      if (dt) dt[i * k + j] = d.dt;
    }
  });
}

#define AMOR_INSTANTIATE(T)                                                                          \
  template void affine_coupling_fwd<T>(const T*, int64_t, const T*, int64_t, const T*, int64_t, T*, \
                                       T*, int64_t, int64_t, bool);                                 \
  template void affine_coupling_bwd<T>(const T*, const T*, const T*, int64_t, const T*, int64_t,    \
                                       const T*, int64_t, T*, T*, T*, int64_t, int64_t, bool);
AMOR_INSTANTIATE(float)
AMOR_INSTANTIATE(double)
#undef AMOR_INSTANTIATE

}  // namespace amor::kernels::cpu

#include "kernels/cuda/affine_coupling.h"

#include "kernels/cuda/flow_transforms_device.cuh"
#include "kernels/cuda/launch.cuh"

namespace amor::kernels::cuda {

template <class T>
void affine_coupling_fwd(const T* x, int64_t ldx, const T* r, int64_t ldr, const T* t, int64_t ldt,
                         T* y, T* logdet, int64_t n, int64_t k, bool inverse) {
  run_affine_coupling_fwd(x, ldx, r, ldr, t, ldt, y, logdet, n, k, inverse,
                          GpuLaunch("cuda affine_coupling_fwd"));
}

template <class T>
void affine_coupling_bwd(const T* gy, const T* glogdet, const T* x, int64_t ldx, const T* r,
                         int64_t ldr, const T* t, int64_t ldt, T* dx, T* dr, T* dt, int64_t n,
                         int64_t k, bool inverse) {
  run_affine_coupling_bwd(gy, glogdet, x, ldx, r, ldr, t, ldt, dx, dr, dt, n, k, inverse,
                          GpuLaunch("cuda affine_coupling_bwd"));
}

#define AMOR_INSTANTIATE(T)                                                                          \
  template void affine_coupling_fwd<T>(const T*, int64_t, const T*, int64_t, const T*, int64_t, T*, \
                                       T*, int64_t, int64_t, bool);                                 \
  template void affine_coupling_bwd<T>(const T*, const T*, const T*, int64_t, const T*, int64_t,    \
                                       const T*, int64_t, T*, T*, T*, int64_t, int64_t, bool);
AMOR_INSTANTIATE(float)
AMOR_INSTANTIATE(double)
#undef AMOR_INSTANTIATE

}  // namespace amor::kernels::cuda

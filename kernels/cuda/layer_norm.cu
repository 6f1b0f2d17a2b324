#include "kernels/cuda/layer_norm.h"

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/layer_norm_device.cuh"

namespace amor::kernels::cuda {

template <class T>
void layer_norm_fwd(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t rows,
                    int64_t C, T eps) {
  run_layer_norm_fwd(x, w, b, y, mean, rstd, rows, C, eps, GpuLaunch("cuda layer_norm_fwd"));
}

template <class T>
void layer_norm_bwd(const T* dy, const T* x, const T* w, const T* mean, const T* rstd, T* dx, T* dw,
                    T* db, int64_t rows, int64_t C) {
  run_layer_norm_bwd(dy, x, w, mean, rstd, dx, dw, db, rows, C, GpuLaunch("cuda layer_norm_bwd"));
}

#define AMOR_INSTANTIATE(T)                                                                       \
  template void layer_norm_fwd<T>(const T*, const T*, const T*, T*, T*, T*, int64_t, int64_t, T); \
  template void layer_norm_bwd<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*,   \
                                  int64_t, int64_t);
AMOR_INSTANTIATE(float)
AMOR_INSTANTIATE(double)
#undef AMOR_INSTANTIATE

}  // namespace amor::kernels::cuda

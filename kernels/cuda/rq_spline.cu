#include "kernels/cuda/rq_spline.h"

#include "kernels/cuda/flow_transforms_device.cuh"
#include "kernels/cuda/launch.cuh"

namespace amor::kernels::cuda {

template <class T>
void rq_spline_fwd(const RQSplineConfig& config, bool inverse, const T* x, const T* params,
                   int64_t count, T* y, T* logabsdet) {
  run_rq_spline_fwd(config, inverse, x, params, count, y, logabsdet, GpuLaunch("cuda rq_spline_fwd"));
}

template <class T>
void rq_spline_bwd(const RQSplineConfig& config, bool inverse, const T* x, const T* params,
                   const T* gy, const T* glogabsdet, int64_t count, T* gx, T* gparams) {
  run_rq_spline_bwd(config, inverse, x, params, gy, glogabsdet, count, gx, gparams,
                    GpuLaunch("cuda rq_spline_bwd"));
}

#define AMOR_INSTANTIATE(T)                                                                     \
  template void rq_spline_fwd<T>(const RQSplineConfig&, bool, const T*, const T*, int64_t, T*, \
                                 T*);                                                          \
  template void rq_spline_bwd<T>(const RQSplineConfig&, bool, const T*, const T*, const T*,    \
                                 const T*, int64_t, T*, T*);
AMOR_INSTANTIATE(float)
AMOR_INSTANTIATE(double)
#undef AMOR_INSTANTIATE

}  // namespace amor::kernels::cuda

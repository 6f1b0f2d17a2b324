#include "kernels/cuda/softmax.h"

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/softmax_device.cuh"

namespace amor::kernels::cuda {

template <class T>
void softmax_fwd(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  run_softmax<SoftmaxOp::kSoftmaxFwd, T>(x, nullptr, y, outer, n, inner,
                                         GpuLaunch("cuda softmax_fwd"));
}

template <class T>
void softmax_bwd(const T* y, const T* dy, T* dx, int64_t outer, int64_t n, int64_t inner) {
  run_softmax<SoftmaxOp::kSoftmaxBwd, T>(y, dy, dx, outer, n, inner, GpuLaunch("cuda softmax_bwd"));
}

template <class T>
void log_softmax_fwd(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  run_softmax<SoftmaxOp::kLogSoftmaxFwd, T>(x, nullptr, y, outer, n, inner,
                                            GpuLaunch("cuda log_softmax_fwd"));
}

template <class T>
void log_softmax_bwd(const T* y, const T* dy, T* dx, int64_t outer, int64_t n, int64_t inner) {
  run_softmax<SoftmaxOp::kLogSoftmaxBwd, T>(y, dy, dx, outer, n, inner,
                                            GpuLaunch("cuda log_softmax_bwd"));
}

#define AMOR_INSTANTIATE(T)                                                        \
  template void softmax_fwd<T>(const T*, T*, int64_t, int64_t, int64_t);           \
  template void softmax_bwd<T>(const T*, const T*, T*, int64_t, int64_t, int64_t); \
  template void log_softmax_fwd<T>(const T*, T*, int64_t, int64_t, int64_t);       \
  template void log_softmax_bwd<T>(const T*, const T*, T*, int64_t, int64_t, int64_t);
AMOR_INSTANTIATE(float)
AMOR_INSTANTIATE(double)
#undef AMOR_INSTANTIATE

}  // namespace amor::kernels::cuda

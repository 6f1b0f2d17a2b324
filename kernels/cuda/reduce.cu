#include "kernels/cuda/reduce.h"

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/reduce_device.cuh"

namespace amor::kernels::cuda {

template <class T>
void sum_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner) {
  run_reduce<ReduceOp::kSum, T>(x, out, nullptr, outer, n, inner, 0, GpuLaunch("cuda sum_axis"));
}

template <class T>
void mean_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner) {
  run_reduce<ReduceOp::kMean, T>(x, out, nullptr, outer, n, inner, 0, GpuLaunch("cuda mean_axis"));
}

template <class T>
void var_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner, int64_t correction) {
  run_reduce<ReduceOp::kVar, T>(x, out, nullptr, outer, n, inner, correction,
                                GpuLaunch("cuda var_axis"));
}

template <class T>
void max_axis(const T* x, T* out, int64_t* argidx, int64_t outer, int64_t n, int64_t inner) {
  run_reduce<ReduceOp::kMax, T>(x, out, argidx, outer, n, inner, 0, GpuLaunch("cuda max_axis"));
}

template <class T>
void min_axis(const T* x, T* out, int64_t* argidx, int64_t outer, int64_t n, int64_t inner) {
  run_reduce<ReduceOp::kMin, T>(x, out, argidx, outer, n, inner, 0, GpuLaunch("cuda min_axis"));
}

template <class T>
void logsumexp_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner) {
  run_reduce<ReduceOp::kLogSumExp, T>(x, out, nullptr, outer, n, inner, 0,
                                      GpuLaunch("cuda logsumexp_axis"));
}

#define AMOR_INSTANTIATE(T)                                                              \
  template void sum_axis<T>(const T*, T*, int64_t, int64_t, int64_t);                    \
  template void mean_axis<T>(const T*, T*, int64_t, int64_t, int64_t);                   \
  template void var_axis<T>(const T*, T*, int64_t, int64_t, int64_t, int64_t);           \
  template void max_axis<T>(const T*, T*, int64_t*, int64_t, int64_t, int64_t);          \
  template void min_axis<T>(const T*, T*, int64_t*, int64_t, int64_t, int64_t);          \
  template void logsumexp_axis<T>(const T*, T*, int64_t, int64_t, int64_t);
AMOR_INSTANTIATE(float)
AMOR_INSTANTIATE(double)
#undef AMOR_INSTANTIATE

}  // namespace amor::kernels::cuda

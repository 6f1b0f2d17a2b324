#include "kernels/cuda/attention.h"

#include "kernels/cuda/attention_device.cuh"
#include "kernels/cuda/launch.cuh"

namespace amor::kernels::cuda {

template <class T>
void attention_fwd(const AttentionParams& p, const T* q, const T* k, const T* v, T* out, T* lse) {
  run_attention_fwd(p, q, k, v, out, lse, GpuLaunch("cuda attention_fwd"));
}

template <class T>
void attention_bwd(const AttentionParams& p, const T* q, const T* k, const T* v, const T* out,
                   const T* lse, const T* dout, T* dq, T* dk, T* dv) {
  run_attention_bwd(p, q, k, v, out, lse, dout, dq, dk, dv, GpuLaunch("cuda attention_bwd"));
}

#define AMOR_INSTANTIATE(T)                                                                   \
  template void attention_fwd<T>(const AttentionParams&, const T*, const T*, const T*, T*, T*); \
  template void attention_bwd<T>(const AttentionParams&, const T*, const T*, const T*,         \
                                 const T*, const T*, const T*, T*, T*, T*);
AMOR_INSTANTIATE(float)
AMOR_INSTANTIATE(double)
#undef AMOR_INSTANTIATE

}  // namespace amor::kernels::cuda

#include "kernels/cuda/random.h"

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/random_device.cuh"

namespace amor::kernels::cuda {

template <class T>
void fill_uniform(T* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, T lo, T hi) {
  run_fill_uniform(out, n, seed, stream, offset, lo, hi, GpuLaunch("cuda fill_uniform"));
}

template <class T>
void fill_normal(T* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, T mean,
                 T std) {
  run_fill_normal(out, n, seed, stream, offset, mean, std, GpuLaunch("cuda fill_normal"));
}

bool fill_randint(int64_t* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset,
                  int64_t lo, int64_t hi) {
  return run_fill_randint(out, n, seed, stream, offset, lo, hi, GpuLaunch("cuda fill_randint"));
}

template <class T>
void fill_bernoulli(uint8_t* out, const T* p, T p_scalar, int64_t n, uint64_t seed,
                    uint64_t stream, uint64_t offset) {
  run_fill_bernoulli(out, p, p_scalar, n, seed, stream, offset, GpuLaunch("cuda fill_bernoulli"));
}

template <class T>
void fill_gamma(T* out, const T* k, T k_scalar, int64_t n, uint64_t seed, uint64_t stream,
                uint64_t offset) {
  run_fill_gamma(out, k, k_scalar, n, seed, stream, offset, GpuLaunch("cuda fill_gamma"));
}

#define AMOR_INSTANTIATE(T)                                                                      \
  template void fill_uniform<T>(T*, int64_t, uint64_t, uint64_t, uint64_t, T, T);               \
  template void fill_normal<T>(T*, int64_t, uint64_t, uint64_t, uint64_t, T, T);                \
  template void fill_bernoulli<T>(uint8_t*, const T*, T, int64_t, uint64_t, uint64_t, uint64_t); \
  template void fill_gamma<T>(T*, const T*, T, int64_t, uint64_t, uint64_t, uint64_t);
AMOR_INSTANTIATE(float)
AMOR_INSTANTIATE(double)
#undef AMOR_INSTANTIATE

}  // namespace amor::kernels::cuda

#include "kernels/cpu/random.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/philox.h"
#include "kernels/cpu/random_math.h"

namespace amor::kernels::cpu {

namespace rm = random_math;

template <class T>
void fill_uniform(T* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, T lo, T hi) {
  const T width = hi - lo;
  // lo + width · u can round up to hi: cap at the largest T below hi. (lo >= hi: every x is
  // <= lo already, so capping at lo changes nothing.)
  const T top = lo < hi ? std::nextafter(hi, lo) : lo;
#pragma omp parallel for schedule(static) if (n >= kRandomParallelThreshold)
  for (int64_t i = 0; i < n; ++i)
    out[i] = rm::uniform_element<T>(seed, stream, offset + uint64_t(i), lo, width, top);
}

template <class T>
void fill_normal(T* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, T mean,
                 T std) {
#pragma omp parallel for schedule(static) if (n >= kRandomParallelThreshold)
  for (int64_t i = 0; i < n; ++i)
    out[i] = rm::normal_element<T>(seed, stream, offset + uint64_t(i), mean, std);
}

bool fill_randint(int64_t* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset,
                  int64_t lo, int64_t hi) {
  if (hi <= lo) return false;
  const uint64_t range = uint64_t(hi) - uint64_t(lo);  // in [1, 2^64 - 1]
#pragma omp parallel for schedule(static) if (n >= kRandomParallelThreshold)
  for (int64_t i = 0; i < n; ++i)
    out[i] = rm::randint_element(seed, stream, offset + uint64_t(i), lo, range);
  return true;
}

template <class T>
void fill_bernoulli(uint8_t* out, const T* p, T p_scalar, int64_t n, uint64_t seed,
                    uint64_t stream, uint64_t offset) {
#pragma omp parallel for schedule(static) if (n >= kRandomParallelThreshold)
  for (int64_t i = 0; i < n; ++i)
    out[i] = rm::bernoulli_element<T>(seed, stream, offset + uint64_t(i), p ? p[i] : p_scalar);
}

template <class T>
void fill_gamma(T* out, const T* k, T k_scalar, int64_t n, uint64_t seed, uint64_t stream,
                uint64_t offset) {
#pragma omp parallel for schedule(dynamic, 1024) if (n >= kRandomParallelThreshold)
  for (int64_t i = 0; i < n; ++i)
    out[i] = rm::gamma_element<T>(seed, stream, offset + uint64_t(i), k ? k[i] : k_scalar);
}

void fill_randperm(int64_t* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset) {
  for (int64_t i = 0; i < n; ++i) out[i] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    PhiloxCursor c(seed, stream, offset + uint64_t(i));
    const int64_t j = int64_t(rm::bounded(c, uint64_t(i) + 1));
    std::swap(out[i], out[j]);
  }
}

#define AMOR_RANDOM_INSTANTIATE(T)                                                               \
  template void fill_uniform<T>(T*, int64_t, uint64_t, uint64_t, uint64_t, T, T);               \
  template void fill_normal<T>(T*, int64_t, uint64_t, uint64_t, uint64_t, T, T);                \
  template void fill_bernoulli<T>(uint8_t*, const T*, T, int64_t, uint64_t, uint64_t, uint64_t); \
  template void fill_gamma<T>(T*, const T*, T, int64_t, uint64_t, uint64_t, uint64_t);
AMOR_RANDOM_INSTANTIATE(float)
AMOR_RANDOM_INSTANTIATE(double)
#undef AMOR_RANDOM_INSTANTIATE

}  // namespace amor::kernels::cpu

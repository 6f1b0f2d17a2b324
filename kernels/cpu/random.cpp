#include "kernels/cpu/random.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/cpu/philox.h"

namespace amor::kernels::cpu {

namespace {

__extension__ typedef unsigned __int128 u128;

constexpr double kTwoPi = 6.283185307179586476925286766559;

// U[0, 1) in T's precision from the first word(s) of a block.
template <class T>
inline T block_unit(const Philox4& b) {
  if constexpr (std::is_same_v<T, float>)
    return uint32_to_unit_float(b.v[0]);
  else
    return uint64_to_unit_double(b.v[0], b.v[1]);
}

// One standard normal from the cursor (Box–Muller, the cosine half).
inline float normal_float(PhiloxCursor& c) {
  // u1 in (0, 1]: x · 2^-32 + 2^-33 (as curand does), so log(u1) is finite.
  const float u1 = float(c.next_u32()) * 2.3283064365386963e-10f + 1.16415321826934814e-10f;
  const float u2 = c.next_float();
  return std::sqrt(-2.0f * std::log(u1)) * std::cos(float(kTwoPi) * u2);
}

inline double normal_double(PhiloxCursor& c) {
  const double u1 = 1.0 - c.next_double();  // (0, 1]
  const double u2 = c.next_double();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

// Uniform integer in [0, range) for range >= 1 (Lemire 2019, "Fast random integer generation
// in an interval"): the high half of x · range, rejecting the low half below 2^64 mod range.
inline uint64_t bounded(PhiloxCursor& c, uint64_t range) {
  u128 m = u128(c.next_u64()) * range;
  uint64_t low = uint64_t(m);
  if (low < range) {
    const uint64_t threshold = (0 - range) % range;  // 2^64 mod range
    while (low < threshold) {
      m = u128(c.next_u64()) * range;
      low = uint64_t(m);
    }
  }
  return uint64_t(m >> 64);
}

// Gamma(k, 1) in double (Marsaglia & Tsang 2000, "A simple method for generating gamma
// variables"). Every attempt reads the next words of this element's sequence.
inline double gamma_double(double k, PhiloxCursor& c) {
  if (!(k > 0)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(k)) return k;
  double boost = 1.0;
  if (k < 1.0) {  // Gamma(k) = Gamma(k + 1) · U^(1/k)
    boost = std::pow(1.0 - c.next_double(), 1.0 / k);
    k += 1.0;
  }
  const double d = k - 1.0 / 3.0;
  const double cc = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const double x = normal_double(c);
    double v = 1.0 + cc * x;
    if (v <= 0.0) continue;
    v = v * v * v;
    const double u = c.next_double();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v * boost;
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v * boost;
  }
}

}  // namespace

template <class T>
void fill_uniform(T* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, T lo, T hi) {
  const T width = hi - lo;
  // lo + width · u can round up to hi: cap at the largest T below hi. (lo >= hi: every x is
  // <= lo already, so capping at lo changes nothing.)
  const T top = lo < hi ? std::nextafter(hi, lo) : lo;
#pragma omp parallel for schedule(static) if (n >= kRandomParallelThreshold)
  for (int64_t i = 0; i < n; ++i) {
    const Philox4 b = philox_element_block(seed, stream, offset + uint64_t(i), 0);
    out[i] = std::min(lo + width * block_unit<T>(b), top);
  }
}

template <class T>
void fill_normal(T* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, T mean,
                 T std) {
#pragma omp parallel for schedule(static) if (n >= kRandomParallelThreshold)
  for (int64_t i = 0; i < n; ++i) {
    PhiloxCursor c(seed, stream, offset + uint64_t(i));
    if constexpr (std::is_same_v<T, float>)
      out[i] = mean + std * normal_float(c);
    else
      out[i] = mean + std * normal_double(c);
  }
}

bool fill_randint(int64_t* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset,
                  int64_t lo, int64_t hi) {
  if (hi <= lo) return false;
  const uint64_t range = uint64_t(hi) - uint64_t(lo);  // in [1, 2^64 - 1]
#pragma omp parallel for schedule(static) if (n >= kRandomParallelThreshold)
  for (int64_t i = 0; i < n; ++i) {
    PhiloxCursor c(seed, stream, offset + uint64_t(i));
    out[i] = int64_t(uint64_t(lo) + bounded(c, range));  // wraps mod 2^64, lands in [lo, hi)
  }
  return true;
}

template <class T>
void fill_bernoulli(uint8_t* out, const T* p, T p_scalar, int64_t n, uint64_t seed,
                    uint64_t stream, uint64_t offset) {
#pragma omp parallel for schedule(static) if (n >= kRandomParallelThreshold)
  for (int64_t i = 0; i < n; ++i) {
    const Philox4 b = philox_element_block(seed, stream, offset + uint64_t(i), 0);
    const T pi = p ? p[i] : p_scalar;
    out[i] = block_unit<T>(b) < pi ? 1 : 0;
  }
}

template <class T>
void fill_gamma(T* out, const T* k, T k_scalar, int64_t n, uint64_t seed, uint64_t stream,
                uint64_t offset) {
  constexpr double kTiny = double(std::numeric_limits<T>::min());
#pragma omp parallel for schedule(dynamic, 1024) if (n >= kRandomParallelThreshold)
  for (int64_t i = 0; i < n; ++i) {
    PhiloxCursor c(seed, stream, offset + uint64_t(i));
    const double g = gamma_double(double(k ? k[i] : k_scalar), c);
    out[i] = T(g < kTiny ? kTiny : g);  // NaN compares false and stays NaN
  }
}

void fill_randperm(int64_t* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset) {
  for (int64_t i = 0; i < n; ++i) out[i] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    PhiloxCursor c(seed, stream, offset + uint64_t(i));
    const int64_t j = int64_t(bounded(c, uint64_t(i) + 1));
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

// Per-element math of the random fills (kernels/cpu/random.h), as plain inline functions that the
// CPU fills and the CUDA fills (kernels/cuda/random_device.cuh) both call, so the two draw the
// same words of the same Philox sequences (kernels/cpu/philox.h) and transform them the same
// way. AMOR_HOST_DEVICE, no allocation, only C math functions both libm and CUDA provide.
//
// Bit-for-bit agreement between CPU and GPU: uniform, bernoulli and randint use only integer
// arithmetic and IEEE-exact float operations (the multiply of the affine maps is kept out of
// FMA contraction on the device), so they agree exactly; normal and gamma also go through
// log/cos/sqrt/pow, whose CUDA and glibc versions may differ in the last ulp (and gamma's
// rejection test may then, very rarely, accept a different proposal).
#pragma once

#include <math.h>

#include <cstdint>
#include <limits>

#include "kernels/cpu/philox.h"
#include "kernels/host_device.h"

namespace amor::kernels::cpu::random_math {

__extension__ typedef unsigned __int128 u128;

inline constexpr double kTwoPi = 6.283185307179586476925286766559;

// a·b rounded once and never fused with a following add (nvcc contracts a·b + c into an FMA;
// the CPU build does not), so affine maps of uniforms round identically on both.
AMOR_HOST_DEVICE inline float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
AMOR_HOST_DEVICE inline double mul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}

// U[0, 1) in T's precision from the first word(s) of a block.
AMOR_HOST_DEVICE inline float block_unit(const Philox4& b, float) { return uint32_to_unit_float(b.v[0]); }
AMOR_HOST_DEVICE inline double block_unit(const Philox4& b, double) {
  return uint64_to_unit_double(b.v[0], b.v[1]);
}

// One standard normal from the cursor (Box–Muller, the cosine half).
AMOR_HOST_DEVICE inline float normal_float(PhiloxCursor& c) {
  // u1 in (0, 1]: x · 2^-32 + 2^-33 (as curand does), so log(u1) is finite.
  const float u1 = mul_rn(float(c.next_u32()), 2.3283064365386963e-10f) + 1.16415321826934814e-10f;
  const float u2 = c.next_float();
  return sqrtf(-2.0f * logf(u1)) * cosf(mul_rn(float(kTwoPi), u2));
}

AMOR_HOST_DEVICE inline double normal_double(PhiloxCursor& c) {
  const double u1 = 1.0 - c.next_double();  // (0, 1]
  const double u2 = c.next_double();
  return sqrt(-2.0 * log(u1)) * cos(mul_rn(kTwoPi, u2));
}

// Uniform integer in [0, range) for range >= 1 (Lemire 2019, "Fast random integer generation
// in an interval"): the high half of x · range, rejecting the low half below 2^64 mod range.
AMOR_HOST_DEVICE inline uint64_t bounded(PhiloxCursor& c, uint64_t range) {
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
// variables"). Every attempt reads the next words of this element's sequence. k <= 0 or NaN:
// NaN; k = +inf: +inf.
AMOR_HOST_DEVICE inline double gamma_double(double k, PhiloxCursor& c) {
  if (!(k > 0)) return std::numeric_limits<double>::quiet_NaN();
  if (k == std::numeric_limits<double>::infinity()) return k;
  double boost = 1.0;
  if (k < 1.0) {  // Gamma(k) = Gamma(k + 1) · U^(1/k)
    boost = pow(1.0 - c.next_double(), 1.0 / k);
    k += 1.0;
  }
  const double d = k - 1.0 / 3.0;
  const double cc = 1.0 / sqrt(9.0 * d);
  for (;;) {
    const double x = normal_double(c);
    double v = 1.0 + cc * x;
    if (v <= 0.0) continue;
    v = v * v * v;
    const double u = c.next_double();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v * boost;
    if (log(u) < 0.5 * x2 + d * (1.0 - v + log(v))) return d * v * boost;
  }
}

// ---- one element of each fill (element = offset + i) --------------------------------------------

// lo + width·u capped at top (the largest T below hi, computed by the caller).
template <class T>
AMOR_HOST_DEVICE inline T uniform_element(uint64_t seed, uint64_t stream, uint64_t element, T lo,
                                          T width, T top) {
  const T x = lo + mul_rn(width, block_unit(philox_element_block(seed, stream, element, 0), T(0)));
  return top < x ? top : x;  // std::min(x, top): NaN stays NaN
}

template <class T>
AMOR_HOST_DEVICE inline T normal_element(uint64_t seed, uint64_t stream, uint64_t element, T mean,
                                         T std) {
  PhiloxCursor c(seed, stream, element);
  if constexpr (sizeof(T) == sizeof(float))
    return mean + mul_rn(std, normal_float(c));
  else
    return mean + mul_rn(std, normal_double(c));
}

// lo + a uniform integer below range (wrapping mod 2^64, so it lands in [lo, lo + range)).
AMOR_HOST_DEVICE inline int64_t randint_element(uint64_t seed, uint64_t stream, uint64_t element,
                                                int64_t lo, uint64_t range) {
  PhiloxCursor c(seed, stream, element);
  return int64_t(uint64_t(lo) + bounded(c, range));
}

template <class T>
AMOR_HOST_DEVICE inline uint8_t bernoulli_element(uint64_t seed, uint64_t stream,
                                                  uint64_t element, T p) {
  return block_unit(philox_element_block(seed, stream, element, 0), T(0)) < p ? 1 : 0;
}

// Gamma(k, 1) rounded to T; a result that underflows is clamped to the smallest normal T.
template <class T>
AMOR_HOST_DEVICE inline T gamma_element(uint64_t seed, uint64_t stream, uint64_t element, T k) {
  PhiloxCursor c(seed, stream, element);
  const double tiny = double(std::numeric_limits<T>::min());
  const double g = gamma_double(double(k), c);
  return T(g < tiny ? tiny : g);  // NaN compares false and stays NaN
}

}  // namespace amor::kernels::cpu::random_math

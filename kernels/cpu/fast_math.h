// Vectorisable float32 exp / tanh / sigmoid / log. libm's scalar calls stop `#pragma omp simd` loops
// from vectorising and dominate small-network steps (an MLP layer of 200×50 tanh costs more than
// its GEMM). These are branch-free Cephes-style polynomials accurate to a few ulp, tested against
// libm in tests/kernels/test_fast_math.cpp. float64 paths keep using libm.
#pragma once

#include <bit>
#include <cstdint>

// Forced inlining: a call left in a loop body stops vectorisation.
#define AMOR_FAST_MATH_INLINE inline __attribute__((always_inline))

namespace amor::kernels::cpu::fast_math {

// e^x for float32. Relative error < 2e-7 over the normal range; NaN propagates; x > 88.37 gives
// e^88.37 (about 2.4e38, not inf), x < -87.33 gives 2^-126.
AMOR_FAST_MATH_INLINE float exp(float x) {
  const float hi = 88.3762626647949f, lo = -87.3365447504f;
  float xc = x > hi ? hi : (x < lo ? lo : x);
  xc = (xc == xc) ? xc : 0.0f;
  const float n = __builtin_floorf(xc * 1.44269504088896341f + 0.5f);
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  p = p * r * r + r + 1.0f;
  const int32_t e = (static_cast<int32_t>(n) + 127) << 23;
  const float result = p * std::bit_cast<float>(e);
  return x == x ? result : x;
}

// tanh for float32: an odd polynomial near 0 (where 1 - 2/(e^{2x}+1) would cancel), the
// exponential form elsewhere.
AMOR_FAST_MATH_INLINE float tanh(float x) {
  const float ax = x < 0 ? -x : x;
  const float z = x * x;
  float p = -5.70498872745E-3f;
  p = p * z + 2.06390887954E-2f;
  p = p * z - 5.37397155531E-2f;
  p = p * z + 1.33314422036E-1f;
  p = p * z - 3.33332819422E-1f;
  const float small = p * z * x + x;
  const float e = exp(2.0f * (ax > 9.0f ? 9.0f : ax));
  float big = 1.0f - 2.0f / (e + 1.0f);
  big = ax > 9.0f ? 1.0f : big;
  big = x < 0 ? -big : big;
  const float result = ax < 0.625f ? small : big;
  return x == x ? result : x;
}

AMOR_FAST_MATH_INLINE float sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }

// tanh for float32 as one odd rational function, x·P(x²)/Q(x²) of degrees 13/6 on
// [-7.9053, 7.9053] (outside it, ±1 to float precision); Eigen's generic_fast_tanh_float
// coefficients. About half the operations of `tanh` above (no exp, no select between two
// forms), relative error < 1e-6 everywhere: for kernels whose cost is the activation
// (kernels/cpu/made_inverse.cpp).
AMOR_FAST_MATH_INLINE float tanh_rational(float x) {
  const float bound = 7.90531110763549805f;
  const float xc = x > bound ? bound : (x < -bound ? -bound : x);
  const float x2 = xc * xc;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 - 8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  // x·(p/q), not (x·p)/q: for |x| near FLT_MIN the product x·p (p ≈ 5e-3) would be subnormal and
  // lose mantissa bits (relative error 3e-6 at x = FLT_MIN); p/q ≈ 1 keeps full precision.
  const float r = xc * (p / q);
  return x == x ? r : x;
}

// Natural log for float32 (Cephes' logf, branch-free): x = m·2^e with m in [√½, √2), then
// log x = e·log 2 + log1p(m − 1) by a degree-9 polynomial. Relative error < 1e-6 for every
// positive float (subnormals are scaled by 2^23 first); log 0 = −inf, log of a negative = NaN,
// log inf = inf, NaN propagates.
AMOR_FAST_MATH_INLINE float log(float x) {
  const bool subnormal = x < 1.17549435e-38f;
  const float xs = subnormal ? x * 8388608.0f : x;
  const int32_t bits = std::bit_cast<int32_t>(xs);
  int32_t e = ((bits >> 23) & 0xff) - 126;                                // xs = m·2^e, m in [½, 1)
  float m = std::bit_cast<float>((bits & 0x007fffff) | 0x3f000000);
  const bool low = m < 0.707106781186547524f;
  e = low ? e - 1 : e;
  m = low ? m + m - 1.0f : m - 1.0f;                                      // now log x = e·log 2 + log1p(m)
  const float fe = float(e) - (subnormal ? 23.0f : 0.0f);
  const float z = m * m;
  float y = 7.0376836292E-2f;
  y = y * m - 1.1514610310E-1f;
  y = y * m + 1.1676998740E-1f;
  y = y * m - 1.2420140846E-1f;
  y = y * m + 1.4249322787E-1f;
  y = y * m - 1.6668057665E-1f;
  y = y * m + 2.0000714765E-1f;
  y = y * m - 2.4999993993E-1f;
  y = y * m + 3.3333331174E-1f;
  y = y * m * z;
  y += fe * -2.12194440e-4f;
  y += -0.5f * z;
  float r = m + y + fe * 0.693359375f;
  const float inf = __builtin_inff();
  r = x == 0.0f ? -inf : r;
  r = x == inf ? inf : r;
  r = x < 0.0f ? __builtin_nanf("") : r;
  return x == x ? r : x;
}

}  // namespace amor::kernels::cpu::fast_math

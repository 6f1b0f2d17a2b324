// kernels/cpu/fast_math.h: the float32 exp / tanh / tanh_rational / sigmoid / log against float64 libm.
//
// Contract checked: relative error <= 1e-6 wherever the true value is a normal float (exp on
// [-87.33, 88.37], tanh and sigmoid everywhere), absolute error <= FLT_MIN where the true value
// is below the smallest normal float (denormal range: every float32 implementation loses
// relative accuracy there), NaN in -> NaN out, and the documented saturation of exp
// (x > 88.37 gives e^88.37 ≈ 2.4e38, x < -87.33 gives 2^-126) instead of inf / denormals.
#include "kernels/cpu/fast_math.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace fm = amor::kernels::cpu::fast_math;

namespace {

constexpr double kRtol = 1e-6;
constexpr float kExpHi = 88.3762626647949f, kExpLo = -87.3365447504f;  // fast_math.h's clamps

double ref_exp(float x) { return std::exp(double(x)); }
double ref_tanh(float x) { return std::tanh(double(x)); }
double ref_sigmoid(float x) { return 1.0 / (1.0 + std::exp(-double(x))); }

// A dense grid over [lo, hi] plus the special points every function must get right.
std::vector<float> grid(float lo, float hi, int n) {
  std::vector<float> v;
  for (int i = 0; i <= n; ++i) v.push_back(lo + (hi - lo) * float(i) / float(n));
  for (float s : {0.0f, -0.0f, 1e-6f, -1e-6f, 1e-30f, -1e-30f, 1e-3f, -1e-3f, 0.5f, -0.5f, 0.625f, -0.625f,
                  0.6249999f, -0.6249999f, 1.0f, -1.0f, 9.0f, -9.0f, 9.0001f, -9.0001f, 20.0f, -20.0f})
    if (s >= lo && s <= hi) v.push_back(s);
  // Every power of two in range, and a neighbour of each.
  for (int e = -126; e < 8; ++e)
    for (float sign : {1.0f, -1.0f}) {
      const float p = sign * std::ldexp(1.0f, e);
      for (float q : {p, std::nextafter(p, 0.0f), std::nextafter(p, 2 * p)})
        if (q >= lo && q <= hi) v.push_back(q);
    }
  return v;
}

// Relative error bound where the reference is a normal float, absolute FLT_MIN below that.
::testing::AssertionResult close_to(float got, double ref, float x, const char* fn) {
  const double tol = std::abs(ref) >= double(FLT_MIN) ? kRtol * std::abs(ref) : double(FLT_MIN);
  if (std::abs(double(got) - ref) <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << fn << "(" << x << ") = " << got << ", float64 gives " << ref
                                       << " (relative error " << std::abs(double(got) - ref) / std::abs(ref) << ")";
}

template <class F, class R>
void check_range(F f, R ref, float lo, float hi, const char* name) {
  int bad = 0;
  double worst = 0;
  for (float x : grid(lo, hi, 400000)) {
    const float got = f(x);
    const double want = ref(x);
    if (std::abs(want) >= double(FLT_MIN)) worst = std::max(worst, std::abs(double(got) - want) / std::abs(want));
    if (auto r = close_to(got, want, x, name); !r && bad++ < 5) ADD_FAILURE() << r.message();
  }
  EXPECT_EQ(bad, 0) << name;
  ::testing::Test::RecordProperty(std::string(name) + "_worst_relative_error", std::to_string(worst));
}

}  // namespace

TEST(FastMath, ExpOverItsAccurateRange) {
  check_range([](float x) { return fm::exp(x); }, ref_exp, kExpLo, kExpHi, "exp");
  EXPECT_EQ(fm::exp(0.0f), 1.0f);
  EXPECT_EQ(fm::exp(-0.0f), 1.0f);
}

TEST(FastMath, ExpDenormalRangeWithinFltMin) {
  // Below -87.33 the true value is subnormal; the documented result is ~2^-126 (never 0).
  for (float x : {-87.4f, -90.0f, -100.0f, -103.0f, -200.0f, -1e30f, -std::numeric_limits<float>::infinity()}) {
    const float got = fm::exp(x);
    EXPECT_TRUE(close_to(got, ref_exp(x), x, "exp"));
    EXPECT_NEAR(double(got), double(FLT_MIN), 1e-5 * double(FLT_MIN)) << x;  // e^-87.3365 ≈ 2^-126
  }
}

TEST(FastMath, ExpSaturatesAsDocumented) {
  // Documented: x > 88.37 gives e^88.37 (~2.4e38), finite, never inf.
  for (float x : {88.38f, 88.5f, 88.72f, 89.0f, 100.0f, 1e30f, std::numeric_limits<float>::infinity()}) {
    const float got = fm::exp(x);
    EXPECT_TRUE(std::isfinite(got)) << x;
    EXPECT_NEAR(double(got), std::exp(double(kExpHi)), 1e-6 * std::exp(double(kExpHi))) << x;
  }
}

// Known gap (reported, not fixed here: kernels/ is outside this test's remit). libm's expf is
// finite up to log(FLT_MAX) = 88.7228 and +inf above; fast_math::exp stops at 88.3763, so on
// (88.3763, 88.7228] it is up to 29% low, and above it returns 2.4e38 instead of inf (so an
// overflowing float32 exp is not caught by isfinite). Enable once exp covers the full range.
TEST(FastMath, DISABLED_ExpMatchesLibmUpToOverflow) {
  for (float x = kExpHi; x <= 88.72f; x += 0.01f) EXPECT_TRUE(close_to(fm::exp(x), ref_exp(x), x, "exp"));
  EXPECT_EQ(fm::exp(89.0f), std::numeric_limits<float>::infinity());
  EXPECT_EQ(fm::exp(std::numeric_limits<float>::infinity()), std::numeric_limits<float>::infinity());
  EXPECT_EQ(fm::exp(-std::numeric_limits<float>::infinity()), 0.0f);
}

TEST(FastMath, TanhEverywhere) {
  check_range([](float x) { return fm::tanh(x); }, ref_tanh, -100.0f, 100.0f, "tanh");
  EXPECT_EQ(fm::tanh(0.0f), 0.0f);
  EXPECT_EQ(fm::tanh(100.0f), 1.0f);
  EXPECT_EQ(fm::tanh(-100.0f), -1.0f);
  EXPECT_EQ(fm::tanh(std::numeric_limits<float>::infinity()), 1.0f);
  EXPECT_EQ(fm::tanh(-std::numeric_limits<float>::infinity()), -1.0f);
  // Odd symmetry, exactly.
  for (float x : grid(0.0f, 12.0f, 20000)) EXPECT_EQ(fm::tanh(-x), -fm::tanh(x)) << x;
}

TEST(FastMath, TanhRationalEverywhere) {
  check_range([](float x) { return fm::tanh_rational(x); }, ref_tanh, -100.0f, 100.0f, "tanh_rational");
  EXPECT_EQ(fm::tanh_rational(0.0f), 0.0f);
  EXPECT_NEAR(fm::tanh_rational(100.0f), 1.0f, 1e-6f);
  EXPECT_NEAR(fm::tanh_rational(-std::numeric_limits<float>::infinity()), -1.0f, 1e-6f);
  for (float x : grid(0.0f, 12.0f, 20000)) EXPECT_EQ(fm::tanh_rational(-x), -fm::tanh_rational(x)) << x;
  EXPECT_TRUE(std::isnan(fm::tanh_rational(std::numeric_limits<float>::quiet_NaN())));
}

TEST(FastMath, SigmoidEverywhere) {
  check_range([](float x) { return fm::sigmoid(x); }, ref_sigmoid, -100.0f, 100.0f, "sigmoid");
  EXPECT_EQ(fm::sigmoid(0.0f), 0.5f);
  EXPECT_EQ(fm::sigmoid(100.0f), 1.0f);
  EXPECT_EQ(fm::sigmoid(std::numeric_limits<float>::infinity()), 1.0f);
  EXPECT_LE(fm::sigmoid(-std::numeric_limits<float>::infinity()), FLT_MIN);
  EXPECT_GE(fm::sigmoid(-std::numeric_limits<float>::infinity()), 0.0f);
  // Monotone (non-decreasing) across the range.
  float prev = 0.0f;
  for (float x = -100.0f; x <= 100.0f; x += 0.01f) {
    const float s = fm::sigmoid(x);
    EXPECT_GE(s, prev) << x;
    prev = s;
  }
}

TEST(FastMath, LogOverEveryPositiveFloat) {
  // Every binade from the smallest subnormal to the largest float: its endpoints, neighbours and
  // 64 mantissas spread across it; around 1 (where log x -> 0) a dense grid and the neighbours.
  std::vector<float> xs;
  for (int e = -149; e <= 127; ++e) {
    const float p = std::ldexp(1.0f, e);
    for (float q : {p, std::nextafter(p, 0.0f), std::nextafter(p, 2 * p)}) xs.push_back(q);
    for (int k = 1; k < 64; ++k) xs.push_back(p * (1.0f + float(k) / 64.0f));
  }
  for (float x : grid(0.5f, 2.0f, 200000)) xs.push_back(x);
  for (float x = 1.0f, y = 1.0f; x < 1.0001f; x = std::nextafter(x, 2.0f), y = std::nextafter(y, 0.0f)) {
    xs.push_back(x);
    xs.push_back(y);
  }
  int bad = 0;
  for (float x : xs) {
    if (!(x > 0.0f) || std::isinf(x)) continue;
    const double want = std::log(double(x));
    const float got = fm::log(x);
    const double tol = want == 0.0 ? 0.0 : kRtol * std::abs(want);
    if (!(std::abs(double(got) - want) <= tol) && bad++ < 5)
      ADD_FAILURE() << "log(" << x << ") = " << got << ", float64 gives " << want;
  }
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(fm::log(1.0f), 0.0f);
  EXPECT_EQ(fm::log(0.0f), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(fm::log(-0.0f), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(fm::log(std::numeric_limits<float>::infinity()), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(fm::log(-1.0f)));
  EXPECT_TRUE(std::isnan(fm::log(-std::numeric_limits<float>::infinity())));
}

TEST(FastMath, NaNPropagates) {
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  const float neg_nan = -qnan;
  for (float n : {qnan, neg_nan}) {
    EXPECT_TRUE(std::isnan(fm::exp(n)));
    EXPECT_TRUE(std::isnan(fm::tanh(n)));
    EXPECT_TRUE(std::isnan(fm::sigmoid(n)));
    EXPECT_TRUE(std::isnan(fm::log(n)));
  }
}

TEST(FastMath, VectorisedLoopMatchesScalarCalls) {
  // The functions are meant for `#pragma omp simd` loops: the vector code must give the same
  // results as the scalar calls (no fast-math reassociation surprises).
  std::vector<float> x = grid(-90.0f, 90.0f, 10000);
  std::vector<float> e(x.size()), t(x.size()), s(x.size()), l(x.size());
#pragma omp simd
  for (size_t i = 0; i < x.size(); ++i) {
    e[i] = fm::exp(x[i]);
    t[i] = fm::tanh(x[i]);
    s[i] = fm::sigmoid(x[i]);
    l[i] = fm::log(x[i]);
  }
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(e[i], fm::exp(x[i])) << x[i];
    EXPECT_EQ(t[i], fm::tanh(x[i])) << x[i];
    EXPECT_EQ(s[i], fm::sigmoid(x[i])) << x[i];
    EXPECT_TRUE(l[i] == fm::log(x[i]) || (std::isnan(l[i]) && std::isnan(fm::log(x[i])))) << x[i];
  }
}

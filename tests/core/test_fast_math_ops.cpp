// The float32 paths of the ops backed by kernels/cpu/fast_math.h (exp, tanh, sigmoid, and
// logsigmoid / softplus / silu / tanh-GELU built on them) against the same ops in float64, over a
// wide range including ±100, ±1e-6, 0 and NaN. The float64 reference is computed from the very
// float32 inputs, so only the function's own error is measured.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/ops.h"

namespace amor {
namespace {

std::vector<float> inputs(float lo, float hi) {
  std::vector<float> v;
  const int n = 20001;
  for (int i = 0; i < n; ++i) v.push_back(lo + (hi - lo) * float(i) / float(n - 1));
  for (float s : {0.0f, -0.0f, 1e-6f, -1e-6f, 1e-3f, -1e-3f, 0.62f, -0.63f, 9.5f, -9.5f, 50.0f, -50.0f})
    if (s >= lo && s <= hi) v.push_back(s);
  return v;
}

struct OpCase {
  const char* name;
  Tensor (*f)(const Tensor&);
  float lo, hi;
  double atol;  // absolute floor (for ops that cancel near a zero crossing of their formula)
};

Tensor gelu_tanh(const Tensor& x) { return gelu(x, true); }

const OpCase kOps[] = {
    {"exp", exp, -87.0f, 88.0f, 0.0},
    {"tanh", tanh, -100.0f, 100.0f, 0.0},
    {"sigmoid", sigmoid, -100.0f, 100.0f, 0.0},
    {"logsigmoid", logsigmoid, -100.0f, 100.0f, 0.0},
    {"softplus", softplus, -100.0f, 100.0f, 0.0},
    {"silu", silu, -80.0f, 100.0f, 0.0},
    // 0.5 x (1 + tanh(u)) cancels for x << 0 (in float64 too); compare absolutely there.
    {"gelu_tanh", gelu_tanh, -100.0f, 100.0f, 1e-6},
};

class FastMathOps : public ::testing::TestWithParam<OpCase> {};

TEST_P(FastMathOps, Float32AgreesWithFloat64) {
  const OpCase& c = GetParam();
  std::vector<float> xs = inputs(c.lo, c.hi);
  Tensor x32 = from_vector(xs);
  Tensor x64 = x32.to(DType::F64);
  std::vector<float> got = c.f(x32).to_vector<float>();
  std::vector<double> want = c.f(x64).to_vector<double>();
  int bad = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double tol = std::max({1e-6 * std::abs(want[i]), c.atol, double(FLT_MIN)});
    if (!(std::abs(double(got[i]) - want[i]) <= tol) && bad++ < 5)
      ADD_FAILURE() << c.name << "(" << xs[i] << "): float32 " << got[i] << " vs float64 " << want[i];
  }
  EXPECT_EQ(bad, 0);
  // Non-contiguous float32 input takes the strided loop: same values.
  Tensor strided = from_vector(xs).reshape(Shape{-1, 1}).expand(Shape{-1, 2}).select(1, 1);
  EXPECT_EQ(c.f(strided).to_vector<float>(), got);
}

TEST_P(FastMathOps, NaNPropagates) {
  const OpCase& c = GetParam();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> out = c.f(from_vector<float>({nan, 1.0f, -nan})).to_vector<float>();
  EXPECT_TRUE(std::isnan(out[0])) << c.name;
  EXPECT_FALSE(std::isnan(out[1])) << c.name;
  EXPECT_TRUE(std::isnan(out[2])) << c.name;
  // The vectorised path (long contiguous input) as well.
  std::vector<float> many(1000, 0.5f);
  many[333] = nan;
  std::vector<float> r = c.f(from_vector(many)).to_vector<float>();
  for (size_t i = 0; i < r.size(); ++i) EXPECT_EQ(std::isnan(r[i]), i == 333) << c.name << " at " << i;
}

INSTANTIATE_TEST_SUITE_P(Ops, FastMathOps, ::testing::ValuesIn(kOps),
                         [](const ::testing::TestParamInfo<OpCase>& p) { return std::string(p.param.name); });

TEST(FastMathOpsBackward, Float32GradientsAgreeWithFloat64) {
  // The backward formulas reuse the float32 forward (sigmoid, tanh): check them too. Formulas
  // such as 1 - y² (tanh) or y (1 - y) (sigmoid) cancel in float32 near saturation whatever the
  // forward's accuracy, so the bound is 1e-5 relative plus ~2.5 float32 ulps of 1 absolute.
  std::vector<float> xs = inputs(-30.0f, 30.0f);
  for (auto f : {exp, tanh, sigmoid, logsigmoid, softplus, silu, gelu_tanh}) {
    Tensor x32 = from_vector(xs).requires_grad_();
    Tensor x64 = from_vector(xs).to(DType::F64).requires_grad_();
    f(x32).backward(ones_like(x32));
    f(x64).backward(ones_like(x64));
    std::vector<float> g32 = x32.grad().to_vector<float>();
    std::vector<double> g64 = x64.grad().to_vector<double>();
    int bad = 0;
    for (size_t i = 0; i < xs.size(); ++i)
      if (!(std::abs(double(g32[i]) - g64[i]) <= 1e-5 * std::abs(g64[i]) + 3e-7) && bad++ < 5)
        ADD_FAILURE() << "d/dx at " << xs[i] << ": float32 " << g32[i] << " vs float64 " << g64[i];
    EXPECT_EQ(bad, 0);
  }
}

TEST(GeluTanh, MatchesTheTextbookFormulaInFloat64) {
  // gelu(x, true) is computed as x·σ(2u); the definition is 0.5·x·(1 + tanh(u)) with
  // u = √(2/π)(x + 0.044715 x³), derivative 0.5(1 + t) + 0.5 x (1 − t²) √(2/π)(1 + 3·0.044715 x²).
  // The textbook forms cancel for x << 0 (absolute error ~1e-16·|x|), hence the absolute floor.
  std::vector<double> xs;
  for (int i = 0; i <= 6000; ++i) xs.push_back(-30.0 + 0.01 * i);
  for (double s : {0.0, 1e-9, -1e-9, 1e-4, -1e-4}) xs.push_back(s);
  Tensor x = from_vector(xs).requires_grad_();
  Tensor y = gelu(x, true);
  y.backward(ones_like(y));
  const std::vector<double> got = y.to_vector<double>(), grad = x.grad().to_vector<double>();
  const double k = std::sqrt(2.0 / M_PI), c = 0.044715;
  int bad = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double v = xs[i], t = std::tanh(k * (v + c * v * v * v));
    const double want = 0.5 * v * (1.0 + t);
    const double dwant = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * k * (1.0 + 3.0 * c * v * v);
    const double floor = 1e-15 * (1.0 + std::abs(v) * std::abs(v));
    if (!(std::abs(got[i] - want) <= 1e-14 * std::abs(want) + floor) && bad++ < 5)
      ADD_FAILURE() << "gelu(" << v << ") = " << got[i] << ", textbook " << want;
    if (!(std::abs(grad[i] - dwant) <= 1e-14 * std::abs(dwant) + floor) && bad++ < 5)
      ADD_FAILURE() << "gelu'(" << v << ") = " << grad[i] << ", textbook " << dwant;
  }
  EXPECT_EQ(bad, 0);
}

}  // namespace
}  // namespace amor

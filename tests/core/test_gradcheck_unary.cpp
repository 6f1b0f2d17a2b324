// Gradient checks (float64, random upstream gradients) of the elementwise unary ops in
// core/ops/unary.cpp, on scalar, vector, matrix and non-contiguous 3-D inputs.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "core/ops.h"
#include "tests/support/gradcheck.h"

namespace amor {
namespace {

using testing::gradcheck;
using testing::make_noncontiguous;

enum class Domain { Real, Positive, AboveMinusOne, AwayFromZero };

struct UnaryCase {
  const char* name;
  Tensor (*f)(const Tensor&);
  Domain domain;
};

Tensor draw(Domain d, const Shape& shape, uint64_t seed) {
  switch (d) {
    case Domain::Real: return testing::randn_f64(shape, seed, 0.0, 1.5);
    case Domain::Positive: return testing::uniform_f64(shape, seed, 0.3, 3.0);
    case Domain::AboveMinusOne: return testing::uniform_f64(shape, seed, -0.7, 3.0);
    case Domain::AwayFromZero: return testing::uniform_avoiding(shape, seed, -2.0, 2.0, {0.0}, 0.05);
  }
  return {};
}

Tensor gelu_exact(const Tensor& x) { return gelu(x, false); }
Tensor gelu_tanh(const Tensor& x) { return gelu(x, true); }
Tensor neg_operator(const Tensor& x) { return -x; }

const UnaryCase kCases[] = {
    {"neg", neg, Domain::Real},
    {"neg_operator", neg_operator, Domain::Real},
    {"exp", exp, Domain::Real},
    {"log", log, Domain::Positive},
    {"log1p", log1p, Domain::AboveMinusOne},
    {"expm1", expm1, Domain::Real},
    {"sqrt", sqrt, Domain::Positive},
    {"rsqrt", rsqrt, Domain::Positive},
    {"abs", abs, Domain::AwayFromZero},
    {"square", square, Domain::Real},
    {"tanh", tanh, Domain::Real},
    {"sigmoid", sigmoid, Domain::Real},
    {"logsigmoid", logsigmoid, Domain::Real},
    {"softplus", softplus, Domain::Real},
    {"relu", relu, Domain::AwayFromZero},
    {"gelu", gelu_exact, Domain::Real},
    {"gelu_tanh", gelu_tanh, Domain::Real},
    {"silu", silu, Domain::Real},
    {"sin", sin, Domain::Real},
    {"cos", cos, Domain::Real},
};

class GradcheckUnary : public ::testing::TestWithParam<UnaryCase> {};

TEST_P(GradcheckUnary, Shapes) {
  const UnaryCase& c = GetParam();
  auto fn = [f = c.f](const std::vector<Tensor>& x) { return f(x[0]); };
  uint64_t seed = 1;
  for (const Shape& s : {Shape{}, Shape{7}, Shape{3, 4}, Shape{2, 3, 5}}) {
    SCOPED_TRACE(c.name + std::string(" on ") + s.str());
    EXPECT_TRUE(gradcheck(fn, {draw(c.domain, s, seed++)}));
  }
}

TEST_P(GradcheckUnary, NonContiguous) {
  const UnaryCase& c = GetParam();
  auto fn = [f = c.f](const std::vector<Tensor>& x) { return f(x[0]); };
  Tensor x = make_noncontiguous(draw(c.domain, Shape{2, 3, 4}, 11));
  ASSERT_FALSE(x.is_contiguous());
  EXPECT_TRUE(gradcheck(fn, {x}));
  // A transposed view as well (a different stride pattern than make_noncontiguous).
  Tensor t = draw(c.domain, Shape{5, 3}, 12).t();
  ASSERT_FALSE(t.is_contiguous());
  EXPECT_TRUE(gradcheck(fn, {t}));
}

INSTANTIATE_TEST_SUITE_P(Ops, GradcheckUnary, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<UnaryCase>& p) {
                           return std::string(p.param.name);
                         });

// The numerically stable forms must also have stable gradients far from 0.
TEST(GradcheckUnaryWide, SaturatingOpsFarFromZero) {
  Tensor x = from_vector<double>({-40, -25, -12.5, -3, 3, 12.5, 25, 40}, Shape{8});
  for (auto f : {sigmoid, logsigmoid, softplus, tanh, silu}) {
    EXPECT_TRUE(gradcheck([f](const std::vector<Tensor>& v) { return f(v[0]); }, {x.clone()}));
  }
}

TEST(GradcheckUnaryWide, ExpOfLargeValues) {
  // exp of moderately large values: the outputs are big, so the absolute tolerance scales.
  Tensor x = testing::uniform_f64(Shape{6}, 3, 3.0, 8.0);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return exp(v[0]); }, {x},
                        {.atol = 1e-5, .rtol = 1e-6}));
}

// ---- clamp: values kept away from the bounds (the gradient jumps there) ----------------------

TEST(GradcheckClamp, BothBounds) {
  Tensor x = testing::uniform_avoiding(Shape{4, 5}, 21, -1.5, 1.5, {-0.5, 0.7}, 0.05);
  auto fn = [](const std::vector<Tensor>& v) { return clamp(v[0], -0.5, 0.7); };
  EXPECT_TRUE(gradcheck(fn, {x}));
  EXPECT_TRUE(gradcheck(fn, {make_noncontiguous(x)}));
}

TEST(GradcheckClamp, LowerOnly) {
  Tensor x = testing::uniform_avoiding(Shape{3, 6}, 22, -1.5, 1.5, {0.2}, 0.05);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return clamp(v[0], 0.2, std::nullopt); }, {x}));
}

TEST(GradcheckClamp, UpperOnly) {
  Tensor x = testing::uniform_avoiding(Shape{3, 6}, 23, -1.5, 1.5, {-0.3}, 0.05);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return clamp(v[0], std::nullopt, -0.3); }, {x}));
}

TEST(GradcheckClamp, Values) {
  Tensor x = from_vector<double>({-2, -0.4, 0, 0.3, 0.6, 5}, Shape{6});
  testing::expect_close(clamp(x, -0.5, 0.7), from_vector<double>({-0.5, -0.4, 0, 0.3, 0.6, 0.7}, Shape{6}));
  // The gradient is 1 inside [lo, hi] and 0 outside.
  Tensor xl = x.clone().requires_grad_();
  clamp(xl, -0.5, 0.7).backward(ones_like(x));
  testing::expect_close(xl.grad(), from_vector<double>({0, 1, 1, 1, 1, 0}, Shape{6}));
}

// abs and relu at exactly 0: the documented subgradient 0.
TEST(GradcheckUnaryKinks, AbsAndReluAtZero) {
  for (auto f : {abs, relu}) {
    Tensor x = zeros(Shape{3}, {.dtype = DType::F64, .requires_grad = true});
    f(x).backward(ones_like(x));
    testing::expect_close(x.grad(), zeros(Shape{3}, {.dtype = DType::F64}));
  }
}

}  // namespace
}  // namespace amor

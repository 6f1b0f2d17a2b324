// Gradient checks of the broadcasting binary ops in core/ops/binary.cpp: add sub mul div pow
// minimum maximum where and the scalar operator overloads, on equal shapes, broadcast shapes
// (including 0-d operands and [3,1,4] with [2,1]) and non-contiguous operands.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/ops.h"
#include "tests/support/gradcheck.h"

namespace amor {
namespace {

using testing::gradcheck;
using testing::make_noncontiguous;

struct ShapePair {
  Shape a, b;
  bool noncontiguous = false;
};

const std::vector<ShapePair> kShapePairs = {
    {{3, 4}, {3, 4}},         {{3, 1, 4}, {2, 1}}, {{2, 3}, {}},         {{}, {2, 3}},
    {{4}, {3, 4}},            {{1, 5}, {3, 1}},    {{2, 1, 3}, {2, 4, 1}}, {{}, {}},
    {{2, 3, 4}, {2, 3, 4}, true}, {{3, 1, 4}, {2, 1}, true},
};

enum class Domain { Real, Positive, AwayFromZero };

Tensor draw(Domain d, const Shape& s, uint64_t seed) {
  switch (d) {
    case Domain::Real: return testing::randn_f64(s, seed);
    case Domain::Positive: return testing::uniform_f64(s, seed, 0.4, 2.0);
    case Domain::AwayFromZero: return testing::uniform_avoiding(s, seed, -2.0, 2.0, {0.0}, 0.4);
  }
  return {};
}

struct BinaryCase {
  const char* name;
  Tensor (*f)(const Tensor&, const Tensor&);
  Domain a_domain, b_domain;
};

Tensor pow_tt(const Tensor& a, const Tensor& b) { return pow(a, b); }
Tensor op_add(const Tensor& a, const Tensor& b) { return a + b; }
Tensor op_sub(const Tensor& a, const Tensor& b) { return a - b; }
Tensor op_mul(const Tensor& a, const Tensor& b) { return a * b; }
Tensor op_div(const Tensor& a, const Tensor& b) { return a / b; }

const BinaryCase kCases[] = {
    {"add", add, Domain::Real, Domain::Real},
    {"sub", sub, Domain::Real, Domain::Real},
    {"mul", mul, Domain::Real, Domain::Real},
    {"div", div, Domain::Real, Domain::AwayFromZero},
    {"pow", pow_tt, Domain::Positive, Domain::Real},
    {"operator_add", op_add, Domain::Real, Domain::Real},
    {"operator_sub", op_sub, Domain::Real, Domain::Real},
    {"operator_mul", op_mul, Domain::Real, Domain::Real},
    {"operator_div", op_div, Domain::Real, Domain::AwayFromZero},
};

class GradcheckBinary : public ::testing::TestWithParam<BinaryCase> {};

TEST_P(GradcheckBinary, BroadcastShapes) {
  const BinaryCase& c = GetParam();
  auto fn = [f = c.f](const std::vector<Tensor>& x) { return f(x[0], x[1]); };
  uint64_t seed = 100;
  for (const ShapePair& p : kShapePairs) {
    SCOPED_TRACE(std::string(c.name) + " " + p.a.str() + " with " + p.b.str() +
                 (p.noncontiguous ? " (non-contiguous)" : ""));
    Tensor a = draw(c.a_domain, p.a, seed++), b = draw(c.b_domain, p.b, seed++);
    if (p.noncontiguous) {
      a = make_noncontiguous(a);
      b = make_noncontiguous(b);
    }
    EXPECT_TRUE(gradcheck(fn, {a, b}));
    // Only one operand differentiated: the other edge is skipped, the gradient stays right.
    EXPECT_TRUE(gradcheck(fn, {a, b}, {.wrt = {false, true}}));
  }
}

TEST_P(GradcheckBinary, SameTensorTwice) {
  // f(x, x): both edges lead to one leaf and the gradients must be summed.
  const BinaryCase& c = GetParam();
  const Domain d = (c.a_domain == Domain::Positive || c.b_domain == Domain::Positive) ? Domain::Positive
                   : c.b_domain == Domain::AwayFromZero                               ? Domain::AwayFromZero
                                                                                     : Domain::Real;
  Tensor x = draw(d, Shape{3, 4}, 7);
  EXPECT_TRUE(gradcheck([f = c.f](const std::vector<Tensor>& v) { return f(v[0], v[0]); }, {x}));
}

INSTANTIATE_TEST_SUITE_P(Ops, GradcheckBinary, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<BinaryCase>& p) { return std::string(p.param.name); });

// ---- pow ------------------------------------------------------------------------------------

TEST(GradcheckPow, ScalarExponents) {
  for (double e : {2.0, 3.0, 1.0, 0.0, 0.5, -1.5, 2.7, -2.0}) {
    SCOPED_TRACE("exponent " + std::to_string(e));
    Tensor x = testing::uniform_f64(Shape{3, 4}, 31, 0.3, 2.5);
    auto fn = [e](const std::vector<Tensor>& v) { return pow(v[0], e); };
    EXPECT_TRUE(gradcheck(fn, {x}));
    EXPECT_TRUE(gradcheck(fn, {make_noncontiguous(x)}));
  }
}

TEST(GradcheckPow, IntegerExponentOfNegativeBase) {
  Tensor x = testing::uniform_avoiding(Shape{2, 5}, 32, -2.0, 2.0, {0.0}, 0.2);
  for (double e : {2.0, 3.0, -1.0, -2.0}) {
    SCOPED_TRACE("exponent " + std::to_string(e));
    EXPECT_TRUE(gradcheck([e](const std::vector<Tensor>& v) { return pow(v[0], e); }, {x}));
  }
  // Tensor exponent with integer values and a negative base: only the base is differentiable
  // (a^b · log a is NaN there).
  Tensor b = from_vector<double>({2, 3, -1, 1, 2}, Shape{5});
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return pow(v[0], v[1]); }, {x, b},
                        {.wrt = {true, false}}));
}

// ---- minimum / maximum: no ties (the gradient splits there) ---------------------------------

TEST(GradcheckMinMax, BroadcastWithoutTies) {
  uint64_t seed = 200;
  for (const ShapePair& p : kShapePairs) {
    SCOPED_TRACE(p.a.str() + " with " + p.b.str());
    Tensor a = testing::uniform_f64(p.a, seed++, -2.0, 2.0);
    Tensor b = testing::uniform_avoiding(p.b, seed++, -2.0, 2.0, a.to_vector<double>(), 0.01);
    if (p.noncontiguous) {
      a = make_noncontiguous(a);
      b = make_noncontiguous(b);
    }
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return minimum(v[0], v[1]); }, {a, b}));
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return maximum(v[0], v[1]); }, {a, b}));
  }
}

TEST(GradcheckMinMax, TiesSplitTheGradient) {
  Tensor a = from_vector<double>({1.0, 2.0, 5.0}).requires_grad_();
  Tensor b = from_vector<double>({1.0, 3.0, 4.0}).requires_grad_();
  Tensor w = from_vector<double>({2.0, 10.0, 100.0});
  maximum(a, b).backward(w);
  testing::expect_close(a.grad(), from_vector<double>({1.0, 0.0, 100.0}));
  testing::expect_close(b.grad(), from_vector<double>({1.0, 10.0, 0.0}));
  a.zero_grad();
  b.zero_grad();
  minimum(a, b).backward(w);
  testing::expect_close(a.grad(), from_vector<double>({1.0, 10.0, 0.0}));
  testing::expect_close(b.grad(), from_vector<double>({1.0, 0.0, 100.0}));
}

// ---- where / scalar overloads ---------------------------------------------------------------

TEST(GradcheckWhere, BroadcastMaskAndOperands) {
  struct Case { Shape mask, a, b; };
  uint64_t seed = 300;
  for (const Case& c : {Case{{3, 4}, {3, 4}, {3, 4}}, Case{{3, 1}, {3, 4}, {4}},
                        Case{{2, 3, 4}, {3, 4}, {}}, Case{{4}, {2, 1, 4}, {3, 1}}}) {
    SCOPED_TRACE(c.mask.str() + " " + c.a.str() + " " + c.b.str());
    Tensor m = testing::random_mask(c.mask, seed++);
    Tensor a = testing::randn_f64(c.a, seed++), b = testing::randn_f64(c.b, seed++);
    auto fn = [m](const std::vector<Tensor>& v) { return where(m, v[0], v[1]); };
    EXPECT_TRUE(gradcheck(fn, {a, b}));
    EXPECT_TRUE(gradcheck(fn, {make_noncontiguous(a), make_noncontiguous(b)}));
    EXPECT_TRUE(gradcheck([m](const std::vector<Tensor>& v) { return where(m, v[0], -3.5); }, {a}));
  }
}

TEST(GradcheckWhere, NonContiguousMask) {
  Tensor m = make_noncontiguous(testing::random_mask(Shape{3, 4}, 310));
  Tensor a = testing::randn_f64(Shape{3, 4}, 311), b = testing::randn_f64(Shape{3, 4}, 312);
  EXPECT_TRUE(gradcheck([m](const std::vector<Tensor>& v) { return where(m, v[0], v[1]); }, {a, b}));
}

TEST(GradcheckScalarOperators, AllEightOverloads) {
  Tensor x = testing::uniform_avoiding(Shape{2, 3}, 400, -2.0, 2.0, {0.0}, 0.3);
  using F = Tensor (*)(const Tensor&);
  const std::pair<const char*, F> cases[] = {
      {"x + 2", [](const Tensor& t) { return t + 2.0; }},
      {"2 + x", [](const Tensor& t) { return 2.0 + t; }},
      {"x - 2", [](const Tensor& t) { return t - 2.0; }},
      {"2 - x", [](const Tensor& t) { return 2.0 - t; }},
      {"x * 2.5", [](const Tensor& t) { return t * 2.5; }},
      {"2.5 * x", [](const Tensor& t) { return 2.5 * t; }},
      {"x / 2.5", [](const Tensor& t) { return t / 2.5; }},
      {"2.5 / x", [](const Tensor& t) { return 2.5 / t; }},
  };
  for (auto [name, f] : cases) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(gradcheck([f](const std::vector<Tensor>& v) { return f(v[0]); }, {x}));
    EXPECT_TRUE(gradcheck([f](const std::vector<Tensor>& v) { return f(v[0]); }, {make_noncontiguous(x)}));
  }
}

TEST(GradcheckBinaryChain, ExpressionWithReuse) {
  // A small expression with fan-out: (a·b + a/b)·sin(a), a used three times.
  Tensor a = testing::randn_f64(Shape{3, 1, 4}, 500);
  Tensor b = testing::uniform_avoiding(Shape{2, 1}, 501, -2.0, 2.0, {0.0}, 0.4);
  EXPECT_TRUE(gradcheck(
      [](const std::vector<Tensor>& v) { return (v[0] * v[1] + v[0] / v[1]) * sin(v[0]); }, {a, b}));
}

}  // namespace
}  // namespace amor

// Gradient checks of the reductions in core/ops/reduce.cpp: sum mean var (several axes, keepdim,
// corrections) max/min (one axis and all elements) logsumexp cumsum sum_to, on contiguous and
// non-contiguous inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/ops.h"
#include "tests/support/gradcheck.h"

namespace amor {
namespace {

using testing::gradcheck;
using testing::make_noncontiguous;

std::string axes_str(const std::vector<int64_t>& axes, bool keepdim) {
  std::ostringstream os;  // (not string operator+: GCC 12 warns falsely with -Wrestrict)
  os << "axes {";
  for (size_t i = 0; i < axes.size(); ++i) os << (i ? "," : "") << axes[i];
  os << (keepdim ? "} keepdim" : "}");
  return os.str();
}

// Every reduction is run on these inputs: a 3-D tensor, the same non-contiguous, and a 4-D one.
std::vector<Tensor> inputs(uint64_t seed) {
  Tensor x3 = testing::randn_f64(Shape{2, 3, 4}, seed);
  return {x3, make_noncontiguous(x3), testing::randn_f64(Shape{2, 1, 3, 2}, seed + 1)};
}

const std::vector<std::vector<int64_t>> kAxes = {{}, {0}, {1}, {-1}, {0, 2}, {2, 0}, {0, 1, 2}, {1, 2}};

TEST(GradcheckReduce, Sum) {
  for (const Tensor& x : inputs(1))
    for (const auto& axes : kAxes)
      for (bool keepdim : {false, true}) {
        SCOPED_TRACE(x.shape().str() + " " + axes_str(axes, keepdim));
        EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return sum(v[0], axes, keepdim); }, {x}));
      }
}

TEST(GradcheckReduce, SumMethodAndScalarInput) {
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return v[0].sum(); }, {testing::randn_f64(Shape{3, 2}, 2)}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return v[0].mean(); }, {testing::randn_f64(Shape{3, 2}, 3)}));
  Tensor s = testing::randn_f64(Shape{}, 4);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return sum(v[0]); }, {s}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return mean(v[0]); }, {s}));
}

TEST(GradcheckReduce, Mean) {
  for (const Tensor& x : inputs(10))
    for (const auto& axes : kAxes)
      for (bool keepdim : {false, true}) {
        SCOPED_TRACE(x.shape().str() + " " + axes_str(axes, keepdim));
        EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return mean(v[0], axes, keepdim); }, {x}));
      }
}

TEST(GradcheckReduce, Var) {
  for (const Tensor& x : inputs(20))
    for (const auto& axes : kAxes)
      for (int64_t correction : {0, 1})
        for (bool keepdim : {false, true}) {
          SCOPED_TRACE(x.shape().str() + " " + axes_str(axes, keepdim) + " correction " +
                       std::to_string(correction));
          // Axes of size 1 with correction 1 leave no degrees of freedom: skip those.
          int64_t count = 1;
          if (axes.empty()) count = x.numel();
          for (int64_t a : axes) count *= x.size(a);
          if (count - correction <= 0) continue;
          EXPECT_TRUE(gradcheck(
              [&](const std::vector<Tensor>& v) { return var(v[0], axes, correction, keepdim); }, {x}));
        }
}

TEST(GradcheckReduce, MaxMinAlongAxis) {
  // Distinct values spaced 0.1 apart: no ties, and a 1e-6 perturbation never changes the winner.
  Tensor x = testing::distinct_f64(Shape{3, 4, 5}, 30);
  for (const Tensor& in : {x, make_noncontiguous(x), x.permute(Shape{2, 0, 1})})
    for (int64_t axis : {0, 1, 2, -1})
      for (bool keepdim : {false, true}) {
        SCOPED_TRACE(in.shape().str() + " axis " + std::to_string(axis) + (keepdim ? " keepdim" : ""));
        EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return max(v[0], axis, keepdim); }, {in}));
        EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return min(v[0], axis, keepdim); }, {in}));
      }
}

TEST(GradcheckReduce, MaxMinOverAllElements) {
  Tensor x = testing::distinct_f64(Shape{3, 4}, 31);
  for (const Tensor& in : {x, make_noncontiguous(x), testing::distinct_f64(Shape{6}, 32)}) {
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return max(v[0]); }, {in}));
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return min(v[0]); }, {in}));
  }
}

TEST(GradcheckReduce, MaxTiesGoToTheFirstMaximum) {
  Tensor x = from_vector<double>({1, 3, 3, 0, 2, 2}, Shape{2, 3}).requires_grad_();
  max(x, 1).backward(from_vector<double>({10, 20}));
  testing::expect_close(x.grad(), from_vector<double>({0, 10, 0, 0, 20, 0}, Shape{2, 3}));
}

TEST(GradcheckReduce, Logsumexp) {
  for (const Tensor& x : inputs(40))
    for (int64_t axis : {0, 1, -1})
      for (bool keepdim : {false, true}) {
        SCOPED_TRACE(x.shape().str() + " axis " + std::to_string(axis) + (keepdim ? " keepdim" : ""));
        EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return logsumexp(v[0], axis, keepdim); }, {x}));
      }
  // Large magnitudes: the shift keeps it finite and the gradient (a softmax) exact.
  Tensor big = testing::uniform_f64(Shape{3, 5}, 41, 500.0, 510.0);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return logsumexp(v[0], 1); }, {big},
                        {.atol = 1e-5}));
}

TEST(GradcheckReduce, Cumsum) {
  for (const Tensor& x : inputs(50))
    for (int64_t axis : {0, 1, 2, -1}) {
      if (axis >= x.dim()) continue;
      SCOPED_TRACE(x.shape().str() + " axis " + std::to_string(axis));
      EXPECT_TRUE(gradcheck([axis](const std::vector<Tensor>& v) { return cumsum(v[0], axis); }, {x}));
    }
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return cumsum(v[0], 0); },
                        {testing::randn_f64(Shape{9}, 52)}));
}

TEST(GradcheckReduce, SumTo) {
  struct Case { Shape from, to; };
  uint64_t seed = 60;
  for (const Case& c : {Case{{3, 2, 4}, {2, 1}}, Case{{3, 2, 4}, {1, 4}}, Case{{3, 2, 4}, {}},
                        Case{{3, 2, 4}, {3, 1, 4}}, Case{{3, 2, 4}, {3, 2, 4}}, Case{{3, 2, 4}, {4}},
                        Case{{5, 1}, {1}}}) {
    SCOPED_TRACE(c.from.str() + " -> " + c.to.str());
    Tensor x = testing::randn_f64(c.from, seed++);
    auto fn = [to = c.to](const std::vector<Tensor>& v) { return sum_to(v[0], to); };
    EXPECT_TRUE(gradcheck(fn, {x}));
    EXPECT_TRUE(gradcheck(fn, {make_noncontiguous(x)}));
  }
}

TEST(GradcheckReduce, ZeroDimensionalInputs) {
  // A 0-d tensor has one element; axis 0 (or -1) names it, as in PyTorch.
  Tensor s = testing::randn_f64(Shape{}, 70);
  using F = Tensor (*)(const Tensor&);
  const std::pair<const char*, F> cases[] = {
      {"max", [](const Tensor& t) { return max(t, 0); }},
      {"min", [](const Tensor& t) { return min(t, -1, true); }},
      {"max_all", [](const Tensor& t) { return max(t); }},
      {"logsumexp", [](const Tensor& t) { return logsumexp(t, 0); }},
      {"logsumexp_keepdim", [](const Tensor& t) { return logsumexp(t, 0, true); }},
      {"softmax", [](const Tensor& t) { return softmax(t, 0); }},
      {"log_softmax", [](const Tensor& t) { return log_softmax(t, -1); }},
      {"cumsum", [](const Tensor& t) { return cumsum(t, 0); }},
      {"sum_axis", [](const Tensor& t) { return sum(t, {0}); }},
      {"mean_keepdim", [](const Tensor& t) { return mean(t, {0}, true); }},
  };
  for (auto [name, f] : cases) {
    SCOPED_TRACE(name);
    Tensor out = f(s);
    EXPECT_EQ(out.dim(), 0);
    EXPECT_TRUE(gradcheck([f](const std::vector<Tensor>& v) { return f(v[0]); }, {s}));
  }
  EXPECT_EQ(argmax(s, 0).item<int64_t>(), 0);
  EXPECT_EQ(max(s, 0).item<double>(), s.item<double>());
}

TEST(GradcheckReduce, ReductionValues) {
  // Spot values against hand computation (the gradient checks above only see derivatives).
  Tensor x = from_vector<double>({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  testing::expect_close(sum(x, {0}), from_vector<double>({5, 7, 9}));
  testing::expect_close(sum(x, {1}, true), from_vector<double>({6, 15}, Shape{2, 1}));
  testing::expect_close(mean(x), scalar(3.5, DType::F64));
  testing::expect_close(var(x, {1}), from_vector<double>({1, 1}));
  testing::expect_close(var(x, {}, 0), scalar(35.0 / 12.0, DType::F64), 1e-14, 1e-14);
  testing::expect_close(max(x, 0), from_vector<double>({4, 5, 6}));
  testing::expect_close(min(x, 1), from_vector<double>({1, 4}));
  testing::expect_close(argmax(x, 1), from_vector<int64_t>({2, 2}));
  testing::expect_close(cumsum(x, 1), from_vector<double>({1, 3, 6, 4, 9, 15}, Shape{2, 3}));
  testing::expect_close(logsumexp(x, 1),
                        from_vector<double>({std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)),
                                             std::log(std::exp(4.0) + std::exp(5.0) + std::exp(6.0))}),
                        1e-14, 1e-14);
  testing::expect_close(sum_to(x, Shape{1, 3}), from_vector<double>({5, 7, 9}, Shape{1, 3}));
}

}  // namespace
}  // namespace amor

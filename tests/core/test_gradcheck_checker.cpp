// Tests of the test support itself (tests/support/gradcheck.h): the checker must catch wrong
// backward formulas, report where, perturb through strides, and refuse inputs it cannot check.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "tests/support/gradcheck.h"

namespace amor {
namespace {

using testing::gradcheck;

// y = x², with a backward that is wrong by `error` (times g) on element `bad` only.
struct WrongSquareBackward final : Node {
  SavedTensor x;
  int64_t bad;
  double error;
  WrongSquareBackward(int64_t b, double e) : bad(b), error(e) {}
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor X = x.unpack(*this);
    Tensor d = mul(g[0], X * 2.0).contiguous();
    Tensor G = g[0].contiguous();
    d.data<double>()[bad] += error * G.data<double>()[bad];
    gi[0] = d;
  }
  void release() override { x.reset(); }
  const char* name() const override { return "WrongSquareBackward"; }
};

Tensor wrong_square(const Tensor& x, int64_t bad, double error) {
  Tensor out;
  {
    NoGradGuard g;
    out = square(x);
  }
  if (any_requires_grad({&x})) record<WrongSquareBackward>(out, {&x}, bad, error)->x = SavedTensor(x);
  return out;
}

// y = sum of the storage elements in row-major *storage* order times position weights: a
// forward that ignores strides. Correct only for contiguous inputs.
struct NaiveWeightedBackward final : Node {
  Shape shape;
  explicit NaiveWeightedBackward(Shape s) : shape(s) {}
  void backward(const Tensor* g, Tensor* gi) override {
    const int64_t n = shape.numel();
    std::vector<double> d(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) d[size_t(i)] = g[0].item<double>() * double(i + 1);
    gi[0] = from_vector(d, shape);
  }
  const char* name() const override { return "NaiveWeightedBackward"; }
};

// Σ_i (i + 1) x_i with x read in logical (row-major) order: forward and backward agree.
Tensor weighted_sum(const Tensor& x) {
  Tensor out;
  {
    NoGradGuard g;
    std::vector<double> v = x.to_vector<double>();
    double acc = 0;
    for (size_t i = 0; i < v.size(); ++i) acc += double(i + 1) * v[i];
    out = scalar(acc, DType::F64);
  }
  if (any_requires_grad({&x})) record<NaiveWeightedBackward>(out, {&x}, x.shape());
  return out;
}

TEST(GradcheckChecker, PassesACorrectOp) {
  Tensor x = testing::randn_f64(Shape{3, 4}, 1);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return wrong_square(v[0], 0, 0.0); }, {x}));
}

TEST(GradcheckChecker, CatchesAWrongEntryAndNamesIt) {
  Tensor x = testing::randn_f64(Shape{3, 4}, 2);
  auto r = gradcheck([](const std::vector<Tensor>& v) { return wrong_square(v[0], 6, 1e-3); }, {x});
  ASSERT_FALSE(r);
  const std::string msg = r.message();
  EXPECT_NE(msg.find("1 of 12"), std::string::npos) << msg;
  EXPECT_NE(msg.find("input 0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("element 6 [1, 2]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("analytic"), std::string::npos) << msg;
  EXPECT_NE(msg.find("numeric"), std::string::npos) << msg;
}

TEST(GradcheckChecker, CatchesSmallRelativeErrors) {
  // An error of 1e-4 relative is well above the default tolerance.
  Tensor x = testing::uniform_f64(Shape{5}, 3, 1.0, 2.0);
  auto fn = [](const std::vector<Tensor>& v) { return wrong_square(v[0], 2, 2e-4 * 3.0); };
  EXPECT_FALSE(gradcheck(fn, {x}));
}

TEST(GradcheckChecker, UsesARandomUpstreamGradient) {
  // softmax's gradient under a plain-sum loss is zero; a backward returning zeros would pass a
  // sum-based check. With a random upstream gradient it must not.
  struct ZeroBackward final : Node {
    void backward(const Tensor* g, Tensor* gi) override { gi[0] = zeros_like(g[0]); }
    const char* name() const override { return "ZeroBackward"; }
  };
  auto fn = [](const std::vector<Tensor>& v) {
    Tensor out;
    {
      NoGradGuard g;
      out = softmax(v[0], -1);
    }
    if (any_requires_grad({&v[0]})) record<ZeroBackward>(out, {&v[0]});
    return out;
  };
  EXPECT_FALSE(gradcheck(fn, {testing::randn_f64(Shape{2, 5}, 4)}));
}

TEST(GradcheckChecker, PerturbsThroughStrides) {
  Tensor x = testing::randn_f64(Shape{3, 4}, 5);
  auto fn = [](const std::vector<Tensor>& v) { return weighted_sum(v[0]); };
  EXPECT_TRUE(gradcheck(fn, {x}));
  // The same values as a non-contiguous view: the forward reads logical order, so the checker
  // must perturb logical element i (not storage slot i) for the comparison to hold.
  Tensor nc = testing::make_noncontiguous(x);
  ASSERT_FALSE(nc.is_contiguous());
  EXPECT_TRUE(gradcheck(fn, {nc}));
  EXPECT_TRUE(gradcheck(fn, {testing::randn_f64(Shape{4, 3}, 6).t()}));
}

TEST(GradcheckChecker, MultipleOutputsAndInputs) {
  Tensor a = testing::randn_f64(Shape{2, 3}, 7), b = testing::randn_f64(Shape{3}, 8);
  auto fn = [](const std::vector<Tensor>& v) {
    return std::vector<Tensor>{mul(v[0], v[1]), sin(v[1]), exp(v[0])};
  };
  EXPECT_TRUE(gradcheck(testing::MultiFn(fn), {a, b}));
  // A wrong gradient in one output's path is caught.
  auto bad = [](const std::vector<Tensor>& v) {
    return std::vector<Tensor>{mul(v[0], v[1]), wrong_square(v[1], 1, 0.1)};
  };
  EXPECT_FALSE(gradcheck(testing::MultiFn(bad), {a, b}));
}

TEST(GradcheckChecker, PassesIndexInputsThrough) {
  Tensor a = testing::randn_f64(Shape{4, 3}, 9);
  Tensor idx = from_vector<int64_t>({3, 0, 3});
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return index_select(v[0], 0, v[1]); },
                        {a, idx}));
}

TEST(GradcheckChecker, OnlyTheRequestedInputs) {
  Tensor a = testing::randn_f64(Shape{3}, 10), b = testing::randn_f64(Shape{3}, 11);
  auto bad_in_b = [](const std::vector<Tensor>& v) { return add(v[0], wrong_square(v[1], 0, 1.0)); };
  EXPECT_FALSE(gradcheck(bad_in_b, {a, b}));
  EXPECT_TRUE(gradcheck(bad_in_b, {a, b}, {.wrt = {true, false}}));
  EXPECT_FALSE(b.requires_grad());  // flags restored
}

TEST(GradcheckChecker, OutputsThatDoNotDependOnTheInput) {
  Tensor a = testing::randn_f64(Shape{3}, 12);
  Tensor c = testing::randn_f64(Shape{2}, 13);
  auto fn = [c](const std::vector<Tensor>& v) { return std::vector<Tensor>{exp(v[0]), c}; };
  EXPECT_TRUE(gradcheck(testing::MultiFn(fn), {a}));
}

TEST(GradcheckChecker, RefusesWhatItCannotCheck) {
  Tensor f32 = ones(Shape{3});
  EXPECT_FALSE(gradcheck([](const std::vector<Tensor>& v) { return exp(v[0]); }, {f32}));
  Tensor expanded = testing::randn_f64(Shape{1, 3}, 14).expand(Shape{4, 3});
  auto r = gradcheck([](const std::vector<Tensor>& v) { return exp(v[0]); }, {expanded});
  ASSERT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("overlaps"), std::string::npos) << r.message();
  Tensor leaf = testing::randn_f64(Shape{3}, 15).requires_grad_();
  Tensor nonleaf = exp(leaf);
  EXPECT_FALSE(gradcheck([](const std::vector<Tensor>& v) { return exp(v[0]); }, {nonleaf}));
}

TEST(GradcheckChecker, LeavesInputsAsTheyWere) {
  Tensor x = testing::randn_f64(Shape{2, 3}, 16);
  Tensor before = x.clone();
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return tanh(v[0]); }, {x}));
  EXPECT_TRUE(testing::all_equal(x, before));
  EXPECT_FALSE(x.requires_grad());
}

// ---- the other helpers ----------------------------------------------------------------------

TEST(TestSupport, RandomTensorsAreSeeded) {
  EXPECT_TRUE(testing::all_equal(testing::randn_f64(Shape{4, 5}, 3), testing::randn_f64(Shape{4, 5}, 3)));
  EXPECT_FALSE(testing::all_equal(testing::randn_f64(Shape{4, 5}, 3), testing::randn_f64(Shape{4, 5}, 4)));
  Tensor u = testing::uniform_f64(Shape{100}, 5, 2.0, 3.0);
  EXPECT_EQ(u.dtype(), DType::F64);
  for (double v : u.to_vector<double>()) {
    EXPECT_GE(v, 2.0);
    EXPECT_LT(v, 3.0);
  }
}

TEST(TestSupport, UniformAvoidingKeepsItsMargin) {
  Tensor u = testing::uniform_avoiding(Shape{50, 4}, 6, -1.0, 1.0, {0.0, 0.5}, 0.1);
  for (double v : u.to_vector<double>()) {
    EXPECT_GE(std::abs(v), 0.1);
    EXPECT_GE(std::abs(v - 0.5), 0.1);
  }
}

TEST(TestSupport, DistinctValues) {
  std::vector<double> v = testing::distinct_f64(Shape{3, 4}, 7, 0.0, 0.5).to_vector<double>();
  std::sort(v.begin(), v.end());
  for (size_t i = 0; i < v.size(); ++i) EXPECT_DOUBLE_EQ(v[i], 0.5 * double(i));
}

TEST(TestSupport, MakeNoncontiguousKeepsValues) {
  for (const Shape& s : {Shape{}, Shape{1}, Shape{5}, Shape{2, 3}, Shape{2, 1, 4}, Shape{2, 3, 4, 2}}) {
    Tensor x = testing::randn_f64(s, 8);
    Tensor nc = testing::make_noncontiguous(x);
    EXPECT_EQ(nc.shape(), s);
    EXPECT_TRUE(testing::all_equal(nc, x)) << s;
    EXPECT_TRUE(nc.is_leaf());
    if (x.numel() > 1) {
      EXPECT_FALSE(nc.is_contiguous()) << s;
    }
    EXPECT_NE(nc.offset(), 0) << s;
  }
  Tensor b = from_vector<bool>({true, false, true}, Shape{3});
  EXPECT_TRUE(testing::all_equal(testing::make_noncontiguous(b), b));
  Tensor r = testing::randn_f64(Shape{2, 2}, 9).requires_grad_();
  EXPECT_TRUE(testing::make_noncontiguous(r).requires_grad());
}

TEST(TestSupport, AllClose) {
  Tensor a = from_vector<double>({1.0, 2.0, NAN, INFINITY});
  EXPECT_TRUE(testing::all_close(a, from_vector<double>({1.0 + 1e-13, 2.0, NAN, INFINITY})));
  EXPECT_FALSE(testing::all_close(a, from_vector<double>({1.1, 2.0, NAN, INFINITY})));
  EXPECT_FALSE(testing::all_close(a, from_vector<double>({1.0, 2.0, 0.0, INFINITY})));
  EXPECT_FALSE(testing::all_close(a, from_vector<double>({1.0, 2.0, NAN, -INFINITY})));
  EXPECT_FALSE(testing::all_close(a, from_vector<double>({1.0, 2.0, NAN, INFINITY}, Shape{2, 2})));
  EXPECT_TRUE(testing::all_close(a.narrow(0, 0, 2), from_vector<double>({1.05, 2.0}), 0.0, 0.1));
}

}  // namespace
}  // namespace amor

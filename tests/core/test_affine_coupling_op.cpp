// The fused affine coupling op (core/ops/affine_coupling.cpp, kernels/cpu/affine_coupling)
// against its slow, obviously correct twin -- the same formula as a composition of core ops --
// forward and backward, plus float64 gradient checks, strided inputs, extreme raw scales, errors
// and thread-count independence.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "tests/support/gradcheck.h"

namespace amor {
namespace {

using testing::gradcheck;

// The twin: asinh(r) = sign(r)·log(|r| + √(r² + 1)) (the sign form avoids cancellation for
// r < 0), σ = softplus(asinh(r) + log(e − 1)).
std::pair<Tensor, Tensor> composed(const Tensor& x, const Tensor& r, const Tensor& t, bool inverse) {
  Tensor sign = where(lt(r, 0.0), full_like(r, -1.0), full_like(r, 1.0));
  Tensor a = sign * log(abs(r) + sqrt(square(r) + 1.0));
  Tensor s = softplus(a + std::log(std::expm1(1.0)));
  Tensor ld = sum(log(s), {1});
  if (inverse) return {(x - t) / s, -ld};
  return {x * s + t, ld};
}

double max_rel_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  EXPECT_EQ(x.size(), y.size());
  double m = 0.0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]) / (1.0 + std::abs(y[i])));
  return m;
}

// Values and all three input gradients (under a random upstream gradient on both outputs) of
// the fused op and of the twin agree within tol (relative to 1 + |reference|).
void expect_matches_twin(DType dtype, bool inverse, double tol, double r_scale) {
  Generator gen(11 + (inverse ? 1 : 0));
  const TensorOptions o{.dtype = dtype};
  Tensor x = randn(Shape{37, 5}, gen, o), r = randn(Shape{37, 5}, gen, o) * r_scale, t = randn(Shape{37, 5}, gen, o);
  Tensor gy = randn(Shape{37, 5}, gen, o), gl = randn(Shape{37}, gen, o);
  std::vector<Tensor> ins = {x, r, t};
  for (Tensor& v : ins) v.requires_grad_(true);
  auto [y1, l1] = affine_coupling(ins[0], ins[1], ins[2], inverse);
  auto [y2, l2] = composed(ins[0], ins[1], ins[2], inverse);
  EXPECT_LE(max_rel_diff(y1, y2), tol);
  EXPECT_LE(max_rel_diff(l1, l2), tol);
  std::vector<Tensor> g1 = grad({y1, l1}, ins, {gy, gl});
  std::vector<Tensor> g2 = grad({y2, l2}, ins, {gy, gl});
  for (size_t i = 0; i < 3; ++i) EXPECT_LE(max_rel_diff(g1[i], g2[i]), tol) << "gradient of input " << i;
}

TEST(AffineCouplingOp, MatchesCompositionFloat64) {
  for (bool inverse : {false, true})
    for (double scale : {1.0, 30.0}) expect_matches_twin(DType::F64, inverse, 1e-10, scale);
}

TEST(AffineCouplingOp, MatchesCompositionFloat32) {
  for (bool inverse : {false, true})
    for (double scale : {1.0, 30.0}) expect_matches_twin(DType::F32, inverse, 1e-5, scale);
}

TEST(AffineCouplingOp, KnownValues) {
  // r = 0: σ = 1 (the layer starts as a shift); the log-det is 0.
  Tensor x = from_vector<double>({1.0, -2.0}, Shape{1, 2}), t = from_vector<double>({0.5, 0.25}, Shape{1, 2});
  auto [y, ld] = affine_coupling(x, zeros(Shape{1, 2}, {.dtype = DType::F64}), t);
  EXPECT_NEAR(y.to_vector<double>()[0], 1.5, 1e-15);
  EXPECT_NEAR(y.to_vector<double>()[1], -1.75, 1e-15);
  EXPECT_NEAR(ld.item<double>(), 0.0, 1e-15);
  // r = sinh(1): σ = softplus(1 + log(e − 1)) = log(1 + e(e − 1)).
  Tensor r = full(Shape{1, 1}, std::sinh(1.0), {.dtype = DType::F64});
  auto [y2, ld2] = affine_coupling(ones(Shape{1, 1}, {.dtype = DType::F64}), r, zeros(Shape{1, 1}, {.dtype = DType::F64}));
  const double s = std::log(1.0 + std::exp(1.0) * std::expm1(1.0));
  EXPECT_NEAR(y2.item<double>(), s, 1e-14);
  EXPECT_NEAR(ld2.item<double>(), std::log(s), 1e-14);
}

TEST(AffineCouplingOp, GradcheckContiguousAndStrided) {
  Tensor x = testing::randn_f64({4, 3}, 1), r = testing::randn_f64({4, 3}, 2, 0.0, 2.0), t = testing::randn_f64({4, 3}, 3);
  for (bool inverse : {false, true}) {
    auto fn = [inverse](const std::vector<Tensor>& v) {
      auto [y, ld] = affine_coupling(v[0], v[1], v[2], inverse);
      return std::vector<Tensor>{y, ld};
    };
    EXPECT_TRUE(gradcheck(fn, {x, r, t}));
    // Layouts the op reads in place (row-strided views) and ones it must copy first.
    EXPECT_TRUE(gradcheck(fn, {testing::make_noncontiguous(x), testing::make_noncontiguous(r), t}));
    // Column slices of one wider matrix: the conditioner-output case.
    Tensor wide = testing::randn_f64({4, 6}, 4);
    auto sliced = [inverse](const std::vector<Tensor>& v) {
      auto [y, ld] = affine_coupling(v[0].narrow(1, 0, 3), v[1].narrow(1, 0, 3), v[1].narrow(1, 3, 3), inverse);
      return std::vector<Tensor>{y, ld};
    };
    EXPECT_TRUE(gradcheck(sliced, {testing::randn_f64({4, 3}, 5), wide}));
  }
}

TEST(AffineCouplingOp, OnlyOneOutputUsed) {
  // A loss on the log-det alone (or on y alone) leaves the other output without a gradient.
  Tensor x = testing::randn_f64({3, 2}, 6), r = testing::randn_f64({3, 2}, 7), t = testing::randn_f64({3, 2}, 8);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return affine_coupling(v[0], v[1], v[2]).second; }, {x, r, t}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return affine_coupling(v[0], v[1], v[2], true).first; }, {x, r, t}));
}

TEST(AffineCouplingOp, ExtremeRawScalesStayFinite) {
  Tensor r = from_vector<float>({-1e30f, -1e6f, -80.f, 0.f, 80.f, 1e6f, 1e30f}, Shape{1, 7});
  Tensor x = ones(Shape{1, 7}), t = zeros(Shape{1, 7});
  r.requires_grad_(true);
  for (bool inverse : {false, true}) {
    auto [y, ld] = affine_coupling(x, r, t, inverse);
    EXPECT_TRUE(all_finite(y));
    EXPECT_TRUE(all_finite(ld));
    std::vector<Tensor> g = grad({y, ld}, {r}, {ones_like(y), ones(Shape{1})});
    EXPECT_TRUE(all_finite(g[0]));
  }
}

TEST(AffineCouplingOp, Errors) {
  Tensor a = zeros(Shape{3, 2});
  EXPECT_THROW(affine_coupling(a, zeros(Shape{3, 3}), a), ShapeError);
  EXPECT_THROW(affine_coupling(zeros(Shape{6}), zeros(Shape{6}), zeros(Shape{6})), ShapeError);
  EXPECT_THROW(affine_coupling(a, a.to(DType::F64), a), DTypeError);
  EXPECT_THROW(affine_coupling(a.to(DType::I64), a.to(DType::I64), a.to(DType::I64)), DTypeError);
}

TEST(AffineCouplingOp, SameResultOnOneAndTwoThreads) {
  Generator gen(21);
  // 40000 × 3 elements: above the kernels' threading threshold.
  Tensor x = randn(Shape{40000, 3}, gen), r = randn(Shape{40000, 3}, gen), t = randn(Shape{40000, 3}, gen);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  auto [y1, l1] = affine_coupling(x, r, t);
  omp_set_num_threads(2);
  auto [y2, l2] = affine_coupling(x, r, t);
  omp_set_num_threads(saved);
  EXPECT_TRUE(testing::all_equal(y1, y2));
  EXPECT_TRUE(testing::all_equal(l1, l2));
}

}  // namespace
}  // namespace amor

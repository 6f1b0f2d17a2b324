// Helpers shared by the flow tests (tests/sbi/test_flows_*.cpp).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/module.h"
#include "sbi/flows/transform.h"

namespace amor::sbi::flows::testing {

inline double kInfinity() { return std::numeric_limits<double>::infinity(); }

// Adds N(0, std²) noise to every parameter of m (in place, outside autodiff), so that
// zero-initialised layers are checked away from their special starting point.
inline void jitter(nn::Module& m, uint64_t seed, double std = 0.3) {
  Generator gen(seed, 91);
  NoGradGuard no_grad;
  for (Tensor p : m.parameters()) p.add_(randn(p.shape(), gen, {.dtype = p.dtype()}), std);
}

inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  double m = 0.0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

// max |a - b| / (1 + |b|): a difference relative to the size of the values.
inline double max_rel_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  double m = 0.0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]) / (1 + std::abs(y[i])));
  return m;
}

// inverse(forward(x)) == x and the two log-dets cancel, and forward(inverse(u)) == u.
inline void expect_invertible(Transform& t, const Tensor& x, const Tensor& ctx, double tol) {
  NoGradGuard no_grad;
  TransformResult f = t.forward(x, ctx);
  ASSERT_EQ(f.outputs.shape(), x.shape());
  ASSERT_EQ(f.logabsdet.shape(), Shape{x.shape()[0]});
  TransformResult b = t.inverse(f.outputs, ctx);
  EXPECT_LE(max_abs_diff(b.outputs, x), tol) << t.type_name() << ": inverse(forward(x)) != x";
  EXPECT_LE(max_abs_diff(b.logabsdet, -f.logabsdet), tol) << t.type_name() << ": log-dets do not cancel";
  // The sampling path (a fused kernel for some transforms) inverts too.
  TransformResult s = t.sample_inverse(f.outputs, ctx);
  EXPECT_LE(max_abs_diff(s.outputs, x), tol) << t.type_name() << ": sample_inverse(forward(x)) != x";
  EXPECT_LE(max_abs_diff(s.logabsdet, -f.logabsdet), tol) << t.type_name() << ": sample_inverse log-det";
  TransformResult b2 = t.inverse(x, ctx);
  TransformResult f2 = t.forward(b2.outputs, ctx);
  EXPECT_LE(max_abs_diff(f2.outputs, x), tol) << t.type_name() << ": forward(inverse(u)) != u";
  EXPECT_LE(max_abs_diff(f2.logabsdet, -b2.logabsdet), tol) << t.type_name();
}

// log|det J| of `fn` (rows [1, d] -> [1, d]) at every row of x (float64), by central
// differences and Gaussian elimination with partial pivoting: an independent check of the
// analytic log-dets.
template <class F>
std::vector<double> numeric_logabsdet(F&& fn, const Tensor& x, double h = 1e-6) {
  NoGradGuard no_grad;
  const int64_t n = x.shape()[0], d = x.shape()[1];
  std::vector<double> out;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> J(size_t(d * d));
    for (int64_t j = 0; j < d; ++j) {
      Tensor xp = x.narrow(0, i, 1).clone(), xm = x.narrow(0, i, 1).clone();
      xp.data<double>()[j] += h;
      xm.data<double>()[j] -= h;
      const std::vector<double> yp = fn(xp).template to_vector<double>(), ym = fn(xm).template to_vector<double>();
      for (int64_t k = 0; k < d; ++k) J[size_t(k * d + j)] = (yp[size_t(k)] - ym[size_t(k)]) / (2 * h);
    }
    double logdet = 0.0;
    for (int64_t c = 0; c < d; ++c) {
      int64_t piv = c;
      for (int64_t r = c + 1; r < d; ++r)
        if (std::abs(J[size_t(r * d + c)]) > std::abs(J[size_t(piv * d + c)])) piv = r;
      if (piv != c)
        for (int64_t k = 0; k < d; ++k) std::swap(J[size_t(c * d + k)], J[size_t(piv * d + k)]);
      const double p = J[size_t(c * d + c)];
      logdet += std::log(std::abs(p));
      for (int64_t r = c + 1; r < d; ++r) {
        const double f = J[size_t(r * d + c)] / p;
        for (int64_t k = c; k < d; ++k) J[size_t(r * d + k)] -= f * J[size_t(c * d + k)];
      }
    }
    out.push_back(logdet);
  }
  return out;
}

// The analytic forward log-det of t matches the numeric one at every row (float64 t and x).
inline void expect_logabsdet_matches_jacobian(Transform& t, const Tensor& x, const Tensor& ctx, double tol = 1e-6) {
  NoGradGuard no_grad;
  const std::vector<double> analytic = t.forward(x, ctx).logabsdet.to_vector<double>();
  int64_t row = 0;
  auto fn = [&](const Tensor& xi) {
    Tensor ci = ctx.defined() ? ctx.narrow(0, row, 1) : ctx;
    return t.forward(xi, ci).outputs;
  };
  std::vector<double> numeric;
  for (row = 0; row < x.shape()[0]; ++row) numeric.push_back(numeric_logabsdet(fn, x.narrow(0, row, 1))[0]);
  for (size_t i = 0; i < analytic.size(); ++i)
    EXPECT_NEAR(analytic[i], numeric[i], tol) << t.type_name() << " row " << i;
}

}  // namespace amor::sbi::flows::testing

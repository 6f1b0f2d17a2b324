// Softmax / log-softmax forward and backward against long-double twins, finite differences,
// the fully masked (-inf) row contract, and thread-count determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu/softmax.h"
#include "tests/kernels/cpu_test_util.h"

namespace amor::kernels::cpu {
namespace {

using namespace testing;  // NOLINT: the kernel test helpers

template <class T>
class SoftmaxTest : public ::testing::Test {};
TYPED_TEST_SUITE(SoftmaxTest, FloatTypes);

using Real = long double;

// Slow twins over one (o, j) slice at a time, in long double. x indexes as [outer, n, inner].
template <class T>
std::vector<Real> ref_log_softmax(const std::vector<T>& x, AxisShape s) {
  std::vector<Real> y(x.size());
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t j = 0; j < s.inner; ++j) {
      auto at = [&](int64_t k) { return (o * s.n + k) * s.inner + j; };
      Real m = -std::numeric_limits<Real>::infinity();
      for (int64_t k = 0; k < s.n; ++k) m = std::max<Real>(m, x[at(k)]);
      Real sum = 0;
      for (int64_t k = 0; k < s.n; ++k) sum += std::exp(Real(x[at(k)]) - m);
      for (int64_t k = 0; k < s.n; ++k) y[at(k)] = Real(x[at(k)]) - m - std::log(sum);
    }
  return y;
}

// dx = y * (dy - sum(dy * y)) with y = softmax, or dx = dy - exp(ly) * sum(dy) with ly = log y.
template <class T>
std::vector<Real> ref_bwd(const std::vector<T>& y, const std::vector<T>& dy, AxisShape s,
                          bool log) {
  std::vector<Real> dx(y.size());
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t j = 0; j < s.inner; ++j) {
      auto at = [&](int64_t k) { return (o * s.n + k) * s.inner + j; };
      Real acc = 0;
      for (int64_t k = 0; k < s.n; ++k) acc += log ? Real(dy[at(k)]) : Real(dy[at(k)]) * y[at(k)];
      for (int64_t k = 0; k < s.n; ++k)
        dx[at(k)] = log ? dy[at(k)] - std::exp(Real(y[at(k)])) * acc : y[at(k)] * (dy[at(k)] - acc);
    }
  return dx;
}

template <class T>
Real tolerance(int64_t n) {
  return 16 * eps<T>() * (48 + std::log2(Real(n) + 1));
}

TYPED_TEST(SoftmaxTest, ForwardMatchesReference) {
  using T = TypeParam;
  std::mt19937 rng(21);
  for (const AxisShape s : axis_shapes()) {
    SCOPED_TRACE(s.str());
    const auto x = random_vector<T>(s.numel(), rng, -30.0, 30.0);
    const auto ref = ref_log_softmax(x, s);
    Guarded<T> y(s.numel()), ly(s.numel());
    softmax_fwd(x.data(), y.data(), s.outer, s.n, s.inner);
    log_softmax_fwd(x.data(), ly.data(), s.outer, s.n, s.inner);
    ASSERT_TRUE(y.guards_intact() && ly.guards_intact());
    const Real tol = tolerance<T>(s.n);
    for (int64_t p = 0; p < s.numel(); ++p) {
      ASSERT_TRUE(close(y[p], std::exp(ref[p]), tol, tol)) << p << ": " << y[p];
      // log-probabilities: absolute error relative to the size of the shifted inputs (<= 60).
      ASSERT_TRUE(close(ly[p], ref[p], 64 * tol, tol))
          << p << ": " << ly[p] << " vs " << double(ref[p]);
    }
  }
}

TYPED_TEST(SoftmaxTest, BackwardMatchesReference) {
  using T = TypeParam;
  std::mt19937 rng(22);
  for (const AxisShape s : axis_shapes()) {
    SCOPED_TRACE(s.str());
    const auto x = random_vector<T>(s.numel(), rng, -5.0, 5.0);
    const auto dy = random_vector<T>(s.numel(), rng);
    std::vector<T> y(x.size()), ly(x.size());
    softmax_fwd(x.data(), y.data(), s.outer, s.n, s.inner);
    log_softmax_fwd(x.data(), ly.data(), s.outer, s.n, s.inner);
    Guarded<T> dx(s.numel()), dlx(s.numel());
    softmax_bwd(y.data(), dy.data(), dx.data(), s.outer, s.n, s.inner);
    log_softmax_bwd(ly.data(), dy.data(), dlx.data(), s.outer, s.n, s.inner);
    ASSERT_TRUE(dx.guards_intact() && dlx.guards_intact());
    const auto ref = ref_bwd(y, dy, s, false);
    const auto lref = ref_bwd(ly, dy, s, true);
    const Real tol = tolerance<T>(s.n);
    for (int64_t p = 0; p < s.numel(); ++p) {
      ASSERT_TRUE(close(dx[p], ref[p], tol, tol)) << p;
      // sum(dy) has magnitude up to n; exp(ly) * sum(dy) carries its relative error.
      ASSERT_TRUE(close(dlx[p], lref[p], tol * (1 + std::sqrt(Real(s.n))), tol)) << p;
    }
  }
}

// Central differences in double of L = sum(g * f(x)) for f = softmax and log_softmax.
TEST(SoftmaxGradcheck, BackwardMatchesFiniteDifferences) {
  std::mt19937 rng(23);
  for (const AxisShape s : std::vector<AxisShape>{{1, 1, 1}, {2, 5, 1}, {2, 4, 3}, {1, 7, 2}}) {
    SCOPED_TRACE(s.str());
    auto x = random_vector<double>(s.numel(), rng, -3.0, 3.0);
    const auto g = random_vector<double>(s.numel(), rng);
    for (bool log : {false, true}) {
      auto forward = [&](const std::vector<double>& in) {
        std::vector<double> out(in.size());
        (log ? log_softmax_fwd<double> : softmax_fwd<double>)(in.data(), out.data(), s.outer, s.n,
                                                              s.inner);
        return out;
      };
      auto loss = [&](const std::vector<double>& in) {
        const auto out = forward(in);
        double l = 0;
        for (size_t i = 0; i < out.size(); ++i) l += g[i] * out[i];
        return l;
      };
      const auto y = forward(x);
      std::vector<double> dx(x.size());
      (log ? log_softmax_bwd<double> : softmax_bwd<double>)(y.data(), g.data(), dx.data(), s.outer,
                                                            s.n, s.inner);
      for (size_t i = 0; i < x.size(); ++i) {
        const double h = 1e-6, keep = x[i];
        x[i] = keep + h;
        const double up = loss(x);
        x[i] = keep - h;
        const double down = loss(x);
        x[i] = keep;
        EXPECT_NEAR(dx[i], (up - down) / (2 * h), 1e-7) << (log ? "log_softmax " : "softmax ") << i;
      }
    }
  }
}

TYPED_TEST(SoftmaxTest, MaskedRowsGiveZerosNotNaN) {
  using T = TypeParam;
  constexpr T ninf = -std::numeric_limits<T>::infinity();
  // Three rows of 4: fully masked, partly masked, huge values (overflow without the shift).
  const std::vector<T> rows = {ninf, ninf, ninf, ninf,  //
                               1,    ninf, 2,    ninf,  //
                               1000, 999,  ninf, 1000};
  std::vector<T> cols(12);  // the same data as [1, 4, 3]: one column per row
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 4; ++k) cols[k * 3 + r] = rows[r * 4 + k];
  const std::vector<T> dy = {1, -2, 3, 0.5, 1, -2, 3, 0.5, 1, -2, 3, 0.5};
  for (bool as_cols : {false, true}) {
    SCOPED_TRACE(as_cols ? "inner = 3" : "inner = 1");
    const int64_t outer = as_cols ? 1 : 3, inner = as_cols ? 3 : 1;
    const auto& x = as_cols ? cols : rows;
    auto at = [&](int r, int k) { return as_cols ? k * 3 + r : r * 4 + k; };
    std::vector<T> y(12), ly(12), dx(12), dlx(12);
    softmax_fwd(x.data(), y.data(), outer, 4, inner);
    log_softmax_fwd(x.data(), ly.data(), outer, 4, inner);
    softmax_bwd(y.data(), dy.data(), dx.data(), outer, 4, inner);
    log_softmax_bwd(ly.data(), dy.data(), dlx.data(), outer, 4, inner);
    for (int k = 0; k < 4; ++k) {
      EXPECT_EQ(y[at(0, k)], T(0));
      EXPECT_EQ(ly[at(0, k)], ninf);
      EXPECT_EQ(dx[at(0, k)], T(0));
      EXPECT_FALSE(std::isnan(dlx[at(0, k)]));
    }
    EXPECT_EQ(y[at(1, 1)], T(0));
    EXPECT_EQ(y[at(1, 3)], T(0));
    EXPECT_EQ(dx[at(1, 1)], T(0));
    EXPECT_NEAR(y[at(1, 2)], 1 / (1 + std::exp(-1.0)), 1e-6);
    EXPECT_NEAR(y[at(2, 0)], 1 / (2 + std::exp(-1.0)), 1e-6);
    EXPECT_NEAR(ly[at(2, 1)], -1 - std::log(2 + std::exp(-1.0)), 1e-5);
    for (int i = 0; i < 12; ++i) EXPECT_FALSE(std::isnan(y[i]) || std::isnan(dx[i])) << i;
  }
}

TYPED_TEST(SoftmaxTest, InPlaceMatchesOutOfPlace) {
  using T = TypeParam;
  std::mt19937 rng(24);
  for (const AxisShape s : std::vector<AxisShape>{{3, 50, 1}, {2, 30, 70}}) {
    const auto x = random_vector<T>(s.numel(), rng, -4.0, 4.0);
    const auto dy = random_vector<T>(s.numel(), rng);
    std::vector<T> y(x.size()), inplace(x);
    softmax_fwd(x.data(), y.data(), s.outer, s.n, s.inner);
    softmax_fwd(inplace.data(), inplace.data(), s.outer, s.n, s.inner);
    EXPECT_EQ(inplace, y);
    std::vector<T> dx(x.size()), dx_inplace(dy);
    softmax_bwd(y.data(), dy.data(), dx.data(), s.outer, s.n, s.inner);
    softmax_bwd(y.data(), dx_inplace.data(), dx_inplace.data(), s.outer, s.n, s.inner);
    EXPECT_EQ(dx_inplace, dx);
    inplace = x;
    log_softmax_fwd(x.data(), y.data(), s.outer, s.n, s.inner);
    log_softmax_fwd(inplace.data(), inplace.data(), s.outer, s.n, s.inner);
    EXPECT_EQ(inplace, y);
    dx_inplace = dy;
    log_softmax_bwd(y.data(), dy.data(), dx.data(), s.outer, s.n, s.inner);
    log_softmax_bwd(y.data(), dx_inplace.data(), dx_inplace.data(), s.outer, s.n, s.inner);
    EXPECT_EQ(dx_inplace, dx);
  }
}

TYPED_TEST(SoftmaxTest, BitwiseIdenticalForAnyThreadCount) {
  using T = TypeParam;
  std::mt19937 rng(25);
  for (const AxisShape s : std::vector<AxisShape>{{2000, 100, 1}, {40, 64, 50}}) {
    const auto x = random_vector<T>(s.numel(), rng, -5.0, 5.0);
    const auto dy = random_vector<T>(s.numel(), rng);
    auto run = [&](int threads) {
      ThreadCount guard(threads);
      std::vector<T> out(4 * x.size());
      softmax_fwd(x.data(), out.data(), s.outer, s.n, s.inner);
      softmax_bwd(out.data(), dy.data(), out.data() + x.size(), s.outer, s.n, s.inner);
      log_softmax_fwd(x.data(), out.data() + 2 * x.size(), s.outer, s.n, s.inner);
      log_softmax_bwd(out.data() + 2 * x.size(), dy.data(), out.data() + 3 * x.size(), s.outer, s.n,
                      s.inner);
      return out;
    };
    const auto one = run(1);
    EXPECT_TRUE(bitwise_equal(one, run(2))) << s.str();
    EXPECT_TRUE(bitwise_equal(one, run(3))) << s.str();
  }
}

}  // namespace
}  // namespace amor::kernels::cpu

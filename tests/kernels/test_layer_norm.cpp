// Layer norm forward/backward against long-double twins, finite differences in double, edge
// cases, and bitwise determinism of the parameter gradients across thread counts.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu/layer_norm.h"
#include "tests/kernels/cpu_test_util.h"

namespace amor::kernels::cpu {
namespace {

using namespace testing;  // NOLINT: the kernel test helpers

template <class T>
class LayerNormTest : public ::testing::Test {};
TYPED_TEST_SUITE(LayerNormTest, FloatTypes);

using Real = long double;

struct RowShape {
  int64_t rows, C;
};
const std::vector<RowShape> kShapes = {{1, 1},  {1, 7},   {3, 1},    {5, 64}, {17, 33}, {64, 300},
                                       {65, 5}, {130, 8}, {2, 1000}, {0, 4},  {4, 0}};

// Slow twin of the forward: y, mean, rstd in long double.
template <class T>
void ref_fwd(const std::vector<T>& x, const T* w, const T* b, RowShape s, Real eps,
             std::vector<Real>& y, std::vector<Real>& mean, std::vector<Real>& rstd) {
  y.assign(x.size(), 0);
  mean.assign(static_cast<size_t>(s.rows), 0);
  rstd.assign(static_cast<size_t>(s.rows), 0);
  for (int64_t r = 0; r < s.rows; ++r) {
    Real mu = 0, var = 0;
    for (int64_t c = 0; c < s.C; ++c) mu += x[r * s.C + c];
    mu /= s.C;
    for (int64_t c = 0; c < s.C; ++c) var += (x[r * s.C + c] - mu) * (x[r * s.C + c] - mu);
    var /= s.C;
    const Real rs = 1 / std::sqrt(var + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (int64_t c = 0; c < s.C; ++c)
      y[r * s.C + c] = (x[r * s.C + c] - mu) * rs * (w ? Real(w[c]) : 1) + (b ? Real(b[c]) : 0);
  }
}

// Slow twin of the backward, straight from the formulas (using the kernel's mean/rstd).
template <class T>
void ref_bwd(const std::vector<T>& dy, const std::vector<T>& x, const T* w,
             const std::vector<T>& mean, const std::vector<T>& rstd, RowShape s,
             std::vector<Real>& dx, std::vector<Real>& dw, std::vector<Real>& db) {
  dx.assign(x.size(), 0);
  dw.assign(static_cast<size_t>(s.C), 0);
  db.assign(static_cast<size_t>(s.C), 0);
  for (int64_t r = 0; r < s.rows; ++r) {
    auto xhat = [&](int64_t c) { return (Real(x[r * s.C + c]) - mean[r]) * rstd[r]; };
    auto g = [&](int64_t c) { return Real(dy[r * s.C + c]) * (w ? Real(w[c]) : 1); };
    Real g_mean = 0, gx_mean = 0;
    for (int64_t c = 0; c < s.C; ++c) {
      g_mean += g(c) / s.C;
      gx_mean += g(c) * xhat(c) / s.C;
    }
    for (int64_t c = 0; c < s.C; ++c) {
      dx[r * s.C + c] = rstd[r] * (g(c) - g_mean - xhat(c) * gx_mean);
      dw[c] += dy[r * s.C + c] * xhat(c);
      db[c] += dy[r * s.C + c];
    }
  }
}

TYPED_TEST(LayerNormTest, ForwardMatchesReference) {
  using T = TypeParam;
  std::mt19937 rng(31);
  for (const RowShape s : kShapes)
    for (int affine = 0; affine < 4; ++affine) {
      SCOPED_TRACE(::testing::Message() << "[" << s.rows << ", " << s.C << "] affine " << affine);
      const auto x = random_vector<T>(s.rows * s.C, rng, -2.0, 5.0);
      const auto wv = random_vector<T>(s.C, rng, 0.5, 2.0);
      const auto bv = random_vector<T>(s.C, rng);
      const T* w = affine & 1 ? wv.data() : nullptr;
      const T* b = affine & 2 ? bv.data() : nullptr;
      const T eps_ln = T(1e-5);
      Guarded<T> y(s.rows * s.C), mean(s.rows), rstd(s.rows);
      layer_norm_fwd(x.data(), w, b, y.data(), mean.data(), rstd.data(), s.rows, s.C, eps_ln);
      ASSERT_TRUE(y.guards_intact() && mean.guards_intact() && rstd.guards_intact());
      std::vector<Real> ry, rmean, rrstd;
      ref_fwd(x, w, b, s, eps_ln, ry, rmean, rrstd);
      const Real tol = 64 * eps<T>() * (48 + std::log2(Real(s.C) + 1));
      for (int64_t r = 0; r < s.rows; ++r) {
        if (s.C == 0) continue;
        ASSERT_TRUE(close(mean[r], rmean[r], tol, tol)) << r;
        ASSERT_TRUE(close(rstd[r], rrstd[r], tol, tol)) << r;
      }
      for (int64_t p = 0; p < s.rows * s.C; ++p)
        ASSERT_TRUE(close(y[p], ry[p], tol, tol)) << p << ": " << y[p] << " vs " << double(ry[p]);
      // mean and rstd are optional; y alone is the same.
      std::vector<T> y2(static_cast<size_t>(s.rows * s.C));
      layer_norm_fwd(x.data(), w, b, y2.data(), static_cast<T*>(nullptr), static_cast<T*>(nullptr),
                     s.rows, s.C, eps_ln);
      ASSERT_EQ(y2, y.vec());
    }
}

TYPED_TEST(LayerNormTest, ConstantRowNormalisesToBias) {
  using T = TypeParam;
  const T* no_w = nullptr;
  const std::vector<T> b = {0.5, -1, 2, 0};
  // A constant row: var 0, xhat exactly 0, y = b.
  const std::vector<T> x = {3, 3, 3, 3};
  std::vector<T> y(4), mean(1), rstd(1);
  layer_norm_fwd(x.data(), no_w, b.data(), y.data(), mean.data(), rstd.data(), 1, 4, T(1e-5));
  EXPECT_EQ(mean[0], T(3));
  EXPECT_EQ(y, b);
  EXPECT_NEAR(rstd[0], 1 / std::sqrt(1e-5), 1e-2);
  // C = 1 is always constant.
  const T one = 5;
  T y1, m1, r1;
  layer_norm_fwd(&one, no_w, b.data(), &y1, &m1, &r1, 1, 1, T(1e-5));
  EXPECT_EQ(y1, T(0.5));
  EXPECT_EQ(m1, T(5));
}

TYPED_TEST(LayerNormTest, BackwardMatchesReference) {
  using T = TypeParam;
  std::mt19937 rng(32);
  for (const RowShape s : kShapes)
    for (bool affine : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "[" << s.rows << ", " << s.C << "] affine " << affine);
      const auto x = random_vector<T>(s.rows * s.C, rng, -2.0, 5.0);
      const auto dy = random_vector<T>(s.rows * s.C, rng);
      const auto wv = random_vector<T>(s.C, rng, 0.5, 2.0);
      const T* w = affine ? wv.data() : nullptr;
      std::vector<T> y(x.size()), mean(static_cast<size_t>(s.rows)),
          rstd(static_cast<size_t>(s.rows));
      layer_norm_fwd(x.data(), w, static_cast<const T*>(nullptr), y.data(), mean.data(),
                     rstd.data(), s.rows, s.C, T(1e-5));
      Guarded<T> dx(s.rows * s.C), dw(s.C, T(77)), db(s.C, T(77));
      layer_norm_bwd(dy.data(), x.data(), w, mean.data(), rstd.data(), dx.data(), dw.data(),
                     db.data(), s.rows, s.C);
      ASSERT_TRUE(dx.guards_intact() && dw.guards_intact() && db.guards_intact());
      std::vector<Real> rdx, rdw, rdb;
      ref_bwd(dy, x, w, mean, rstd, s, rdx, rdw, rdb);
      const Real tol = 64 * eps<T>() * (48 + std::log2(Real(s.C) + 1));
      for (int64_t p = 0; p < s.rows * s.C; ++p)
        ASSERT_TRUE(close(dx[p], rdx[p], tol, tol))
            << p << ": " << dx[p] << " vs " << double(rdx[p]);
      // Column sums over rows: absolute error scales with the number of rows.
      const Real ptol = tol * (1 + std::sqrt(Real(s.rows)));
      for (int64_t c = 0; c < s.C; ++c) {
        ASSERT_TRUE(close(dw[c], rdw[c], ptol, tol)) << c;
        ASSERT_TRUE(close(db[c], rdb[c], ptol, tol)) << c;
      }
      // Optional outputs: each alone gives the same bits; dx may alias dy.
      std::vector<T> dx_alone(dy), dw_alone(static_cast<size_t>(s.C));
      layer_norm_bwd(dx_alone.data(), x.data(), w, mean.data(), rstd.data(), dx_alone.data(),
                     static_cast<T*>(nullptr), static_cast<T*>(nullptr), s.rows, s.C);
      ASSERT_EQ(dx_alone, dx.vec());
      layer_norm_bwd(dy.data(), x.data(), w, mean.data(), rstd.data(), static_cast<T*>(nullptr),
                     dw_alone.data(), static_cast<T*>(nullptr), s.rows, s.C);
      ASSERT_EQ(dw_alone, dw.vec());
    }
}

// L = sum(g * layer_norm(x; w, b)), central differences in double for x, w and b.
TEST(LayerNormGradcheck, BackwardMatchesFiniteDifferences) {
  std::mt19937 rng(33);
  for (const RowShape s : std::vector<RowShape>{{1, 2}, {3, 5}, {4, 1}, {2, 9}}) {
    SCOPED_TRACE(::testing::Message() << "[" << s.rows << ", " << s.C << "]");
    auto x = random_vector<double>(s.rows * s.C, rng, -2.0, 2.0);
    auto w = random_vector<double>(s.C, rng, 0.5, 2.0);
    auto b = random_vector<double>(s.C, rng);
    const auto g = random_vector<double>(s.rows * s.C, rng);
    const double eps_ln = 1e-5;
    auto loss = [&] {
      std::vector<double> y(x.size());
      layer_norm_fwd(x.data(), w.data(), b.data(), y.data(), static_cast<double*>(nullptr),
                     static_cast<double*>(nullptr), s.rows, s.C, eps_ln);
      double l = 0;
      for (size_t i = 0; i < y.size(); ++i) l += g[i] * y[i];
      return l;
    };
    std::vector<double> y(x.size()), mean(static_cast<size_t>(s.rows)),
        rstd(static_cast<size_t>(s.rows));
    layer_norm_fwd(x.data(), w.data(), b.data(), y.data(), mean.data(), rstd.data(), s.rows, s.C,
                   eps_ln);
    std::vector<double> dx(x.size()), dw(w.size()), db(b.size());
    layer_norm_bwd(g.data(), x.data(), w.data(), mean.data(), rstd.data(), dx.data(), dw.data(),
                   db.data(), s.rows, s.C);
    auto check = [&](std::vector<double>& param, const std::vector<double>& grad,
                     const char* name) {
      for (size_t i = 0; i < param.size(); ++i) {
        const double h = 1e-6, keep = param[i];
        param[i] = keep + h;
        const double up = loss();
        param[i] = keep - h;
        const double down = loss();
        param[i] = keep;
        EXPECT_NEAR(grad[i], (up - down) / (2 * h), 1e-6 * (1 + std::fabs(grad[i])))
            << name << "[" << i << "]";
      }
    };
    check(x, dx, "dx");
    check(w, dw, "dw");
    check(b, db, "db");
  }
}

TYPED_TEST(LayerNormTest, EmptyRowsZeroTheParameterGradients) {
  using T = TypeParam;
  std::vector<T> dw(3, T(5)), db(3, T(5));
  const T w[3] = {1, 1, 1};
  layer_norm_bwd<T>(nullptr, nullptr, w, nullptr, nullptr, nullptr, dw.data(), db.data(), 0, 3);
  EXPECT_EQ(dw, std::vector<T>(3, T(0)));
  EXPECT_EQ(db, std::vector<T>(3, T(0)));
}

TYPED_TEST(LayerNormTest, BitwiseIdenticalForAnyThreadCount) {
  using T = TypeParam;
  std::mt19937 rng(34);
  const RowShape s{5000, 48};  // 78 blocks of 64 rows (the last partial), work > threshold
  const auto x = random_vector<T>(s.rows * s.C, rng, -2.0, 5.0);
  const auto dy = random_vector<T>(s.rows * s.C, rng);
  const auto w = random_vector<T>(s.C, rng, 0.5, 2.0);
  const auto b = random_vector<T>(s.C, rng);
  auto run = [&](int threads) {
    ThreadCount guard(threads);
    std::vector<T> y(x.size()), mean(static_cast<size_t>(s.rows)),
        rstd(static_cast<size_t>(s.rows));
    layer_norm_fwd(x.data(), w.data(), b.data(), y.data(), mean.data(), rstd.data(), s.rows, s.C,
                   T(1e-5));
    std::vector<T> dx(x.size()), dw(static_cast<size_t>(s.C)), db(static_cast<size_t>(s.C));
    layer_norm_bwd(dy.data(), x.data(), w.data(), mean.data(), rstd.data(), dx.data(), dw.data(),
                   db.data(), s.rows, s.C);
    y.insert(y.end(), dx.begin(), dx.end());
    y.insert(y.end(), dw.begin(), dw.end());
    y.insert(y.end(), db.begin(), db.end());
    return y;
  };
  const auto one = run(1);
  EXPECT_TRUE(bitwise_equal(one, run(2)));
  EXPECT_TRUE(bitwise_equal(one, run(3)));
  EXPECT_TRUE(bitwise_equal(one, run(8)));
}

}  // namespace
}  // namespace amor::kernels::cpu

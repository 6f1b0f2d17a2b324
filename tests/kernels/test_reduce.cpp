// Axis reductions against slow long-double twins, plus edge cases and thread-count determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu/reduce.h"
#include "tests/kernels/cpu_test_util.h"

namespace amor::kernels::cpu {
namespace {

using namespace testing;  // NOLINT: the kernel test helpers

template <class T>
class ReduceTest : public ::testing::Test {};
TYPED_TEST_SUITE(ReduceTest, FloatTypes);

using Real = long double;
constexpr Real kInf = std::numeric_limits<Real>::infinity();

// ---------------------------------------------------------------------------------------------
// Slow twins: one output at a time, in long double.

template <class T>
Real ref_sum(const std::vector<T>& x, AxisShape s, int64_t o, int64_t j, Real* abs_sum) {
  Real acc = 0, mag = 0;
  for (int64_t k = 0; k < s.n; ++k) {
    const Real v = x[(o * s.n + k) * s.inner + j];
    acc += v;
    mag += std::fabs(v);
  }
  if (abs_sum) *abs_sum = mag;
  return acc;
}

template <class T>
Real ref_var(const std::vector<T>& x, AxisShape s, int64_t o, int64_t j, int64_t correction) {
  const Real mean = ref_sum(x, s, o, j, nullptr) / s.n;
  Real ss = 0;
  for (int64_t k = 0; k < s.n; ++k) {
    const Real d = x[(o * s.n + k) * s.inner + j] - mean;
    ss += d * d;
  }
  return ss / std::max<int64_t>(0, s.n - correction);
}

// max (sign = +1) or min (sign = -1): value and first index; NaN wins at its first position.
template <class T>
std::pair<T, int64_t> ref_extreme(const std::vector<T>& x, AxisShape s, int64_t o, int64_t j,
                                  int sign) {
  T best = x[o * s.n * s.inner + j];
  int64_t at = 0;
  for (int64_t k = 0; k < s.n; ++k) {
    const T v = x[(o * s.n + k) * s.inner + j];
    if (std::isnan(v)) return {v, k};
    if (sign * (v - best) > 0) best = v, at = k;
  }
  return {best, at};
}

template <class T>
Real ref_logsumexp(const std::vector<T>& x, AxisShape s, int64_t o, int64_t j) {
  Real m = -kInf;
  for (int64_t k = 0; k < s.n; ++k) {
    const Real v = x[(o * s.n + k) * s.inner + j];
    if (std::isnan(v)) return v;
    m = std::max(m, v);
  }
  if (std::isinf(m)) return m;
  Real acc = 0;
  for (int64_t k = 0; k < s.n; ++k) acc += std::exp(Real(x[(o * s.n + k) * s.inner + j]) - m);
  return m + std::log(acc);
}

// Error bound of a pairwise sum in T: (leaf length + tree depth) roundings of at most sum|x|.
template <class T>
Real sum_tolerance(int64_t n, Real abs_sum) {
  return eps<T>() * (48 + std::log2(Real(n) + 1)) * abs_sum + std::numeric_limits<T>::min();
}

// ---------------------------------------------------------------------------------------------

TYPED_TEST(ReduceTest, SumMeanVarMatchReference) {
  using T = TypeParam;
  std::mt19937 rng(11);
  for (const AxisShape s : axis_shapes()) {
    SCOPED_TRACE(s.str());
    const auto x = random_vector<T>(s.numel(), rng, -1.0, 3.0);
    const int64_t m = s.outer * s.inner;
    Guarded<T> sum(m), mean(m), var0(m), var1(m);
    sum_axis(x.data(), sum.data(), s.outer, s.n, s.inner);
    mean_axis(x.data(), mean.data(), s.outer, s.n, s.inner);
    var_axis(x.data(), var0.data(), s.outer, s.n, s.inner, 0);
    var_axis(x.data(), var1.data(), s.outer, s.n, s.inner, 1);
    ASSERT_TRUE(sum.guards_intact() && mean.guards_intact());
    ASSERT_TRUE(var0.guards_intact() && var1.guards_intact());
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t j = 0; j < s.inner; ++j) {
        const int64_t p = o * s.inner + j;
        Real mag = 0;
        const Real ref = ref_sum(x, s, o, j, &mag);
        const Real tol = sum_tolerance<T>(s.n, mag);
        ASSERT_TRUE(close(sum[p], ref, tol, 0)) << p << ": " << sum[p] << " vs " << double(ref);
        if (s.n == 0) {
          EXPECT_EQ(sum[p], T(0));
          EXPECT_TRUE(std::isnan(mean[p]));
          continue;
        }
        ASSERT_TRUE(close(mean[p], ref / s.n, tol / s.n, 4 * eps<T>())) << p;
        // Variance of ~uniform data: relative error of a few pairwise sums.
        const Real vtol = 8 * eps<T>() * (48 + std::log2(Real(s.n)));
        ASSERT_TRUE(close(var0[p], ref_var(x, s, o, j, 0), vtol, vtol)) << p;
        if (s.n > 1)
          ASSERT_TRUE(close(var1[p], ref_var(x, s, o, j, 1), vtol, vtol)) << p;
        else
          ASSERT_TRUE(std::isnan(var1[p])) << "n - correction = 0 over a zero sum is 0/0";
      }
  }
}

TYPED_TEST(ReduceTest, SumIsAccurateOnLongRows) {
  // 2^20 copies of 0.1: a naive float loop drifts by ~1e-2 relative; pairwise stays near eps.
  using T = TypeParam;
  const int64_t n = int64_t{1} << 20;
  const std::vector<T> x(static_cast<size_t>(n * 3), T(0.1));
  const Real ref = Real(n) * Real(T(0.1));
  EXPECT_TRUE(close(sum_all(x.data(), n), ref, 0, 64 * eps<T>()));
  std::vector<T> out(3);
  sum_axis(x.data(), out.data(), 1, n, 3);
  for (T v : out) EXPECT_TRUE(close(v, ref, 0, 64 * eps<T>())) << v;
  sum_axis(x.data(), out.data(), 3, n, 1);
  for (T v : out) EXPECT_TRUE(close(v, ref, 0, 64 * eps<T>())) << v;
}

TYPED_TEST(ReduceTest, VarIsStableUnderLargeOffset) {
  // A one-pass E[x^2] - E[x]^2 loses everything here; the two-pass form keeps it.
  using T = TypeParam;
  std::mt19937 rng(3);
  const int64_t n = 1000;
  auto x = random_vector<T>(n, rng, -1.0, 1.0);
  for (auto& v : x) v += T(1e4);
  T out;
  var_axis(x.data(), &out, 1, n, 1, 1);
  const Real ref = ref_var(x, {1, n, 1}, 0, 0, 1);
  EXPECT_TRUE(close(out, ref, 0, std::is_same_v<T, float> ? 1e-3 : 1e-10))
      << out << " vs " << double(ref);
}

TYPED_TEST(ReduceTest, SumAllMatchesSumAxisBitwise) {
  using T = TypeParam;
  std::mt19937 rng(5);
  for (int64_t n : {0, 1, 255, 256, 257, 8192, 8193, 100000}) {
    const auto x = random_vector<T>(n, rng);
    T axis = T(-1);
    sum_axis(x.data(), &axis, 1, n, 1);
    const T all = sum_all(x.data(), n);
    EXPECT_TRUE(bitwise_equal(std::vector<T>{all}, std::vector<T>{axis})) << n;
    // A row of a multi-row call is summed in the same order as the row alone.
    std::vector<T> two_rows(x);
    two_rows.insert(two_rows.end(), x.begin(), x.end());
    std::vector<T> out(2);
    sum_axis(two_rows.data(), out.data(), 2, n, 1);
    EXPECT_TRUE(bitwise_equal(out, std::vector<T>{all, all})) << n;
  }
}

TYPED_TEST(ReduceTest, MaxMinMatchReferenceWithTies) {
  using T = TypeParam;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> level(-3, 3);  // few distinct values: many ties
  for (const AxisShape s : axis_shapes()) {
    if (s.n == 0) continue;
    SCOPED_TRACE(s.str());
    std::vector<T> x(static_cast<size_t>(s.numel()));
    for (auto& v : x) v = T(level(rng));
    const int64_t m = s.outer * s.inner;
    Guarded<T> mx(m), mn(m);
    Guarded<int64_t> amx(m), amn(m);
    max_axis(x.data(), mx.data(), amx.data(), s.outer, s.n, s.inner);
    min_axis(x.data(), mn.data(), amn.data(), s.outer, s.n, s.inner);
    ASSERT_TRUE(mx.guards_intact() && mn.guards_intact());
    ASSERT_TRUE(amx.guards_intact() && amn.guards_intact());
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t j = 0; j < s.inner; ++j) {
        const int64_t p = o * s.inner + j;
        const auto [vmax, imax] = ref_extreme(x, s, o, j, +1);
        const auto [vmin, imin] = ref_extreme(x, s, o, j, -1);
        ASSERT_EQ(mx[p], vmax);
        ASSERT_EQ(amx[p], imax);
        ASSERT_EQ(mn[p], vmin);
        ASSERT_EQ(amn[p], imin);
      }
    // argidx is optional.
    std::vector<T> again(static_cast<size_t>(m));
    max_axis(x.data(), again.data(), nullptr, s.outer, s.n, s.inner);
    EXPECT_EQ(again, mx.vec());
  }
}

TYPED_TEST(ReduceTest, MaxMinPropagateNaN) {
  using T = TypeParam;
  constexpr T nan = std::numeric_limits<T>::quiet_NaN();
  constexpr T inf = std::numeric_limits<T>::infinity();
  // x: [1, 5, 3]; column 0 has NaN at k = 2 and 4, column 1 none, column 2 NaN first.
  const std::vector<T> x = {1,   1,    nan,  //
                            5,   2,    7,    //
                            nan, -inf, 9,    //
                            9,   2,    nan,  //
                            nan, 0,    -1};
  T mx[3], mn[3];
  int64_t amx[3], amn[3];
  max_axis(x.data(), mx, amx, 1, 5, 3);
  min_axis(x.data(), mn, amn, 1, 5, 3);
  EXPECT_TRUE(std::isnan(mx[0]) && std::isnan(mn[0]));
  EXPECT_EQ(amx[0], 2);
  EXPECT_EQ(amn[0], 2);
  EXPECT_EQ(mx[1], 2);
  EXPECT_EQ(amx[1], 1);
  EXPECT_EQ(mn[1], -inf);
  EXPECT_EQ(amn[1], 2);
  EXPECT_TRUE(std::isnan(mx[2]) && std::isnan(mn[2]));
  EXPECT_EQ(amx[2], 0);
  EXPECT_EQ(amn[2], 0);
  // Same data along a contiguous row (inner = 1): column 0.
  const std::vector<T> row = {1, 5, nan, 9, nan};
  max_axis(row.data(), mx, amx, 1, 5, 1);
  EXPECT_TRUE(std::isnan(mx[0]));
  EXPECT_EQ(amx[0], 2);
}

TYPED_TEST(ReduceTest, EmptyMaxGivesNaNAndMinusOne) {
  using T = TypeParam;
  T out[2] = {0, 0};
  int64_t arg[2] = {7, 7};
  max_axis<T>(nullptr, out, arg, 1, 0, 2);
  EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1]));
  EXPECT_EQ(arg[0], -1);
  EXPECT_EQ(arg[1], -1);
}

TYPED_TEST(ReduceTest, LogSumExpMatchesReference) {
  using T = TypeParam;
  std::mt19937 rng(13);
  for (const AxisShape s : axis_shapes()) {
    SCOPED_TRACE(s.str());
    // Large magnitudes: exp would overflow without the max subtraction.
    const auto x = random_vector<T>(s.numel(), rng, -80.0, 80.0);
    Guarded<T> out(s.outer * s.inner);
    logsumexp_axis(x.data(), out.data(), s.outer, s.n, s.inner);
    ASSERT_TRUE(out.guards_intact());
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t j = 0; j < s.inner; ++j) {
        const Real ref = ref_logsumexp(x, s, o, j);
        ASSERT_TRUE(
            close(out[o * s.inner + j], ref, 0, 8 * eps<T>() * (48 + std::log2(Real(s.n) + 1))))
            << out[o * s.inner + j] << " vs " << double(ref);
      }
  }
}

TYPED_TEST(ReduceTest, LogSumExpSpecialValues) {
  using T = TypeParam;
  constexpr T inf = std::numeric_limits<T>::infinity();
  constexpr T nan = std::numeric_limits<T>::quiet_NaN();
  // Rows (inner = 1) and the same data as columns (outer = 1, inner = 4).
  const std::vector<T> rows = {-inf, -inf, -inf,  //
                               1000, 1000, -inf,  //
                               inf,  1,    2,     //
                               nan,  1,    inf};
  std::vector<T> cols(12);
  for (int r = 0; r < 4; ++r)
    for (int k = 0; k < 3; ++k) cols[k * 4 + r] = rows[r * 3 + k];
  T a[4], b[4];
  logsumexp_axis(rows.data(), a, 4, 3, 1);
  logsumexp_axis(cols.data(), b, 1, 3, 4);
  for (const T* out : {a, b}) {
    EXPECT_EQ(out[0], -inf);
    EXPECT_NEAR(out[1], 1000 + std::log(2.0), 1e-3);
    EXPECT_EQ(out[2], inf);
    EXPECT_TRUE(std::isnan(out[3]));
  }
  T empty = 0;
  logsumexp_axis<T>(nullptr, &empty, 1, 0, 1);
  EXPECT_EQ(empty, -inf);
}

// outer == 1 sums whole rows (column_sums) with the same pairwise tree as the column-tile loop
// that outer > 1 runs: the same bits. Both slices of a two-slice input hold the same data.
TYPED_TEST(ReduceTest, WholeRowColumnSumsEqualTiledBitwise) {
  using T = TypeParam;
  std::mt19937 rng(23);
  for (const auto& [n, inner] : std::vector<std::pair<int64_t, int64_t>>{
           {17, 3}, {100, 150}, {1000, 64}, {20000, 50}, {4097, 130}}) {
    SCOPED_TRACE(std::to_string(n) + " x " + std::to_string(inner));
    const auto x = random_vector<T>(n * inner, rng);
    std::vector<T> twice(x);
    twice.insert(twice.end(), x.begin(), x.end());
    std::vector<T> whole(static_cast<size_t>(inner)), tiled(static_cast<size_t>(2 * inner));
    sum_axis(x.data(), whole.data(), 1, n, inner);
    sum_axis(twice.data(), tiled.data(), 2, n, inner);
    EXPECT_TRUE(bitwise_equal(whole, std::vector<T>(tiled.begin(), tiled.begin() + inner)));
    EXPECT_TRUE(bitwise_equal(whole, std::vector<T>(tiled.begin() + inner, tiled.end())));
  }
}

TYPED_TEST(ReduceTest, BitwiseIdenticalForAnyThreadCount) {
  using T = TypeParam;
  std::mt19937 rng(17);
  const std::vector<AxisShape> shapes = {
      {1, 300000, 1}, {700, 500, 1}, {1, 3000, 200}, {30, 100, 70}, {1, 20000, 50}};
  for (const AxisShape s : shapes) {
    SCOPED_TRACE(s.str());
    const auto x = random_vector<T>(s.numel(), rng);
    const int64_t m = s.outer * s.inner;
    auto run = [&](int threads) {
      ThreadCount guard(threads);
      std::vector<T> out(static_cast<size_t>(5 * m) + 1);
      std::vector<int64_t> arg(static_cast<size_t>(m));
      sum_axis(x.data(), out.data(), s.outer, s.n, s.inner);
      mean_axis(x.data(), out.data() + m, s.outer, s.n, s.inner);
      var_axis(x.data(), out.data() + 2 * m, s.outer, s.n, s.inner, 1);
      logsumexp_axis(x.data(), out.data() + 3 * m, s.outer, s.n, s.inner);
      max_axis(x.data(), out.data() + 4 * m, arg.data(), s.outer, s.n, s.inner);
      out.back() = sum_all(x.data(), s.numel());
      return out;
    };
    const auto one = run(1);
    EXPECT_TRUE(bitwise_equal(one, run(2)));
    EXPECT_TRUE(bitwise_equal(one, run(3)));
  }
}

}  // namespace
}  // namespace amor::kernels::cpu

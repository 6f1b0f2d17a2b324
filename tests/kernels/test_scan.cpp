// cumsum against a sequential long-double twin.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu/scan.h"
#include "tests/kernels/cpu_test_util.h"

namespace amor::kernels::cpu {
namespace {

using namespace testing;  // NOLINT: the kernel test helpers

template <class T>
class ScanTest : public ::testing::Test {};
TYPED_TEST_SUITE(ScanTest, FloatTypes);

using Real = long double;

TYPED_TEST(ScanTest, CumsumMatchesReference) {
  using T = TypeParam;
  std::mt19937 rng(41);
  for (const AxisShape s : axis_shapes()) {
    SCOPED_TRACE(s.str());
    const auto x = random_vector<T>(s.numel(), rng);
    Guarded<T> y(s.numel());
    cumsum(x.data(), y.data(), s.outer, s.n, s.inner);
    ASSERT_TRUE(y.guards_intact());
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t j = 0; j < s.inner; ++j) {
        Real acc = 0, mag = 0;
        for (int64_t k = 0; k < s.n; ++k) {
          const int64_t p = (o * s.n + k) * s.inner + j;
          acc += x[p];
          mag += std::fabs(Real(x[p]));
          // A sequential sum in T: at most k roundings, each <= eps * (partial sum of |x|).
          ASSERT_TRUE(close(y[p], acc, 2 * eps<T>() * (k + 1) * mag, 0)) << p;
        }
      }
    // y may alias x.
    std::vector<T> inplace(x);
    cumsum(inplace.data(), inplace.data(), s.outer, s.n, s.inner);
    ASSERT_EQ(inplace, y.vec());
  }
}

TYPED_TEST(ScanTest, CumsumIsExactOnIntegersAndKeepsNegativeZero) {
  using T = TypeParam;
  const std::vector<T> x = {-0.0, 1, 2, 3, -0.0, 5};  // [1, 2, 3] and [2, 3, 1]
  std::vector<T> y(6);
  cumsum(x.data(), y.data(), 1, 2, 3);
  EXPECT_EQ(y, (std::vector<T>{0, 1, 2, 3, 1, 7}));
  EXPECT_TRUE(std::signbit(y[0]));
  cumsum(x.data(), y.data(), 2, 3, 1);
  EXPECT_EQ(y, (std::vector<T>{0, 1, 3, 3, 3, 8}));
  EXPECT_TRUE(std::signbit(y[0]));
}

TYPED_TEST(ScanTest, BitwiseIdenticalForAnyThreadCount) {
  using T = TypeParam;
  std::mt19937 rng(42);
  for (const AxisShape s : std::vector<AxisShape>{{500, 200, 1}, {3, 400, 100}}) {
    const auto x = random_vector<T>(s.numel(), rng);
    auto run = [&](int threads) {
      ThreadCount guard(threads);
      std::vector<T> y(x.size());
      cumsum(x.data(), y.data(), s.outer, s.n, s.inner);
      return y;
    };
    const auto one = run(1);
    EXPECT_TRUE(bitwise_equal(one, run(2))) << s.str();
    EXPECT_TRUE(bitwise_equal(one, run(3))) << s.str();
  }
}

}  // namespace
}  // namespace amor::kernels::cpu

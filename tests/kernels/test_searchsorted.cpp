// searchsorted against a linear-scan twin: ties, shared and strided rows, NaN, empty sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu/searchsorted.h"
#include "tests/kernels/cpu_test_util.h"

namespace amor::kernels::cpu {
namespace {

using namespace testing;  // NOLINT: the kernel test helpers

template <class T>
class SearchsortedTest : public ::testing::Test {};
using SearchTypes = Types<float, double, int64_t>;
TYPED_TEST_SUITE(SearchsortedTest, SearchTypes);

// The first i with s[i] >= v (right: s[i] > v), NaN ordered last; K if none.
template <class T>
int64_t ref_search(const T* s, int64_t K, T v, bool right) {
  auto is_nan = [](T a) { return a != a; };
  for (int64_t i = 0; i < K; ++i) {
    const bool ge = is_nan(s[i]) ? (!is_nan(v) || !right) : (!is_nan(v) && s[i] >= v);
    const bool gt = is_nan(s[i]) ? !is_nan(v) : (!is_nan(v) && s[i] > v);
    if (right ? gt : ge) return i;
  }
  return K;
}

TYPED_TEST(SearchsortedTest, MatchesLinearScan) {
  using T = TypeParam;
  std::mt19937 rng(61);
  std::uniform_int_distribution<int> level(-20, 20);  // many ties between values and rows
  struct Case {
    int64_t rows, K, M, stride_pad;  // stride_pad < 0: one shared row
  };
  const std::vector<Case> cases = {{1, 1, 1, 0},   {1, 10, 7, 0},    {4, 5, 3, -1},
                                   {3, 33, 50, 4}, {2, 0, 3, 0},     {2, 6, 0, 0},
                                   {0, 4, 3, 0},   {500, 40, 30, 0}, {1, 1000, 2000, -1}};
  for (const Case c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << c.rows << "x" << c.K << " M " << c.M << " pad " << c.stride_pad);
    const int64_t stride = c.stride_pad < 0 ? 0 : c.K + c.stride_pad;
    const int64_t nrows = c.stride_pad < 0 ? 1 : c.rows;
    std::vector<T> sorted(static_cast<size_t>(std::max<int64_t>(nrows * std::max(stride, c.K), 1)));
    for (int64_t r = 0; r < nrows; ++r) {
      T* row = sorted.data() + r * stride;
      for (int64_t i = 0; i < c.K; ++i) row[i] = T(level(rng));
      std::sort(row, row + c.K);
    }
    std::vector<T> values(static_cast<size_t>(c.rows * c.M));
    for (auto& v : values) v = T(level(rng)) + T(level(rng) % 2 == 0 ? 0 : 0.5);
    for (bool right : {false, true}) {
      Guarded<int64_t> out(c.rows * c.M);
      searchsorted(sorted.data(), stride, c.K, values.data(), c.rows, c.M, out.data(), right);
      ASSERT_TRUE(out.guards_intact());
      for (int64_t r = 0; r < c.rows; ++r)
        for (int64_t m = 0; m < c.M; ++m)
          ASSERT_EQ(out[r * c.M + m],
                    ref_search(sorted.data() + r * stride, c.K, values[r * c.M + m], right))
              << "row " << r << " value " << double(values[r * c.M + m]) << " right " << right;
    }
  }
}

TEST(Searchsorted, NaNSortsLast) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  constexpr double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> sorted = {-inf, 1, 2, 2, inf, nan, nan};
  const std::vector<double> values = {nan, inf, 2, -inf, 0};
  std::vector<int64_t> left(5), right(5);
  searchsorted(sorted.data(), 0, 7, values.data(), 1, 5, left.data(), false);
  searchsorted(sorted.data(), 0, 7, values.data(), 1, 5, right.data(), true);
  EXPECT_EQ(left, (std::vector<int64_t>{5, 4, 2, 0, 1}));
  EXPECT_EQ(right, (std::vector<int64_t>{7, 5, 4, 1, 1}));
  for (int64_t m = 0; m < 5; ++m) {
    EXPECT_EQ(left[m], ref_search(sorted.data(), 7, values[m], false)) << m;
    EXPECT_EQ(right[m], ref_search(sorted.data(), 7, values[m], true)) << m;
  }
}

}  // namespace
}  // namespace amor::kernels::cpu

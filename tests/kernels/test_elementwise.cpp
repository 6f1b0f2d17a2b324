// kernels/cpu/elementwise: the strided loops against a plain per-element twin, every element
// visited exactly once, and the same bits for any thread count. The interesting case is one long
// row (a contiguous operation coalesces to a single axis): it is cut into fixed pieces that the
// threads share.
#include "kernels/cpu/elementwise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/cpu/fast_math.h"
#include "tests/kernels/cpu_test_util.h"

namespace amor::kernels::cpu {
namespace {

using namespace testing;  // NOLINT: the kernel test helpers

// A contiguous [n] geometry with `operands` operands of stride 1 (as core's flat fast path).
LoopGeometry flat(int64_t n, int operands) {
  LoopGeometry g;
  g.ndim = 1;
  g.noperands = operands;
  g.shape[0] = n;
  for (int o = 0; o < operands; ++o) g.stride[o][0] = 1;
  return g;
}

// out [rows, cols] contiguous, in read transposed (row stride 1, column stride rows): the axes
// cannot be merged, so the loop has `rows` rows.
LoopGeometry transposed(int64_t rows, int64_t cols) {
  LoopGeometry g;
  g.ndim = 2;
  g.noperands = 2;
  g.shape[0] = rows;
  g.shape[1] = cols;
  g.stride[0][0] = cols, g.stride[0][1] = 1;
  g.stride[1][0] = 1, g.stride[1][1] = rows;
  g.coalesce();
  return g;
}

TEST(Elementwise, LongRowVisitsEveryElementOnceAtAnyThreadCount) {
  // Sizes below the threshold, at it, and long rows that end mid-piece (kFlatChunk = 8192).
  std::mt19937 rng(3);
  for (int64_t n : {int64_t{1000}, kParallelThreshold, int64_t{100003}, 3 * kFlatChunk + 17}) {
    SCOPED_TRACE(n);
    const std::vector<float> a = random_vector<float>(n, rng, -4.0, 4.0);
    const std::vector<float> b = random_vector<float>(n, rng);
    std::vector<std::vector<float>> results;
    for (int threads : {1, 2, 3}) {
      ThreadCount tc(threads);
      std::vector<float> t(static_cast<size_t>(n), -1.0f), s(static_cast<size_t>(n), -1.0f);
      std::vector<int> visits(static_cast<size_t>(n), 0);
      map_unary(flat(n, 2), t.data(), a.data(), [](float x) { return fast_math::tanh(x); });
      map_binary(flat(n, 3), s.data(), a.data(), b.data(), [](float x, float y) { return x * y + 1.0f; });
      // Every element handed out exactly once: count the pieces the loop gives the row functor.
      detail::parallel_rows(flat(n, 1), [&](const int64_t* off, int64_t len) {
        for (int64_t i = 0; i < len; ++i) ++visits[static_cast<size_t>(off[0] + i)];
      });
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(visits[static_cast<size_t>(i)], 1) << "element " << i << ", " << threads << " threads";
        ASSERT_NEAR(t[size_t(i)], std::tanh(double(a[size_t(i)])), 4e-7) << i;
        ASSERT_NEAR(s[size_t(i)], double(a[size_t(i)]) * b[size_t(i)] + 1.0, 1e-6) << i;
      }
      t.insert(t.end(), s.begin(), s.end());
      results.push_back(t);
    }
    EXPECT_TRUE(bitwise_equal(results[0], results[1]));
    EXPECT_TRUE(bitwise_equal(results[0], results[2]));
  }
}

TEST(Elementwise, StridedRowsAtAnyThreadCount) {
  // out[i, j] = 2 * in[j, i]: several rows (not coalescible), split over threads by rows.
  const int64_t rows = 300, cols = 257;
  std::mt19937 rng(4);
  const std::vector<double> in = random_vector<double>(rows * cols, rng);
  std::vector<double> first;
  for (int threads : {1, 2, 3}) {
    ThreadCount tc(threads);
    std::vector<double> out(static_cast<size_t>(rows * cols), 0.0);
    map_unary(transposed(rows, cols), out.data(), in.data(), [](double x) { return 2.0 * x; });
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        ASSERT_EQ(out[size_t(i * cols + j)], 2.0 * in[size_t(j * rows + i)]) << i << "," << j;
    if (first.empty()) first = out;
    EXPECT_TRUE(bitwise_equal(first, out));
  }
}

}  // namespace
}  // namespace amor::kernels::cpu

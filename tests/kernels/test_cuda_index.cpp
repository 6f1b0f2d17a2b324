// kernels/cuda/index_device.cuh through the CPU execution harness against the kernels/cpu twins
// (index.h, scan.h, searchsorted.h): index_select, gather, scatter_add and index_add with
// repeated indices, cumsum, searchsorted (NaN last, left and right), on random [outer, n, inner]
// shapes, bit-identical (scatter_add, index_add and cumsum sum each column in the CPU's order),
// under every schedule; and the index check's first bad position.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "tests/kernels/cuda_harness_util.h"
// The device code after the harness.
#include "kernels/cpu/index.h"
#include "kernels/cpu/scan.h"
#include "kernels/cpu/searchsorted.h"
#include "kernels/cuda/index_device.cuh"

namespace amor::kernels::cuda {
namespace {

using namespace testing;  // NOLINT: the harness test helpers

template <class T>
class CudaIndexHarness : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CudaIndexHarness, FloatTypes);

std::vector<int64_t> random_indices(size_t count, int64_t n, std::mt19937& rng) {
  std::vector<int64_t> idx(count);
  for (auto& i : idx) i = int64_t(rng() % uint64_t(n));
  return idx;
}

TYPED_TEST(CudaIndexHarness, IndexingMatchesTheCpuKernels) {
  using T = TypeParam;
  std::mt19937 rng(3);
  for (int trial = 0; trial < 12; ++trial) {
    const int64_t outer = 1 + rng() % 4, n = 1 + rng() % 7, inner = 1 + rng() % 5,
                  n_idx = 1 + rng() % 9;
    SCOPED_TRACE(::testing::Message() << "outer " << outer << " n " << n << " inner " << inner
                                      << " n_idx " << n_idx);
    const std::vector<T> x = random_values<T>(size_t(outer * n * inner), rng);
    const std::vector<T> src = random_values<T>(size_t(outer * n_idx * inner), rng);
    const std::vector<int64_t> idx1 = random_indices(size_t(n_idx), n, rng);  // repeats likely
    const std::vector<int64_t> idx3 = random_indices(size_t(outer * n_idx * inner), n, rng);
    const size_t m = size_t(outer * n_idx * inner);
    for (const HarnessLaunch& launch : all_schedules(uint64_t(trial))) {
      SCOPED_TRACE(schedule_name(launch.schedule));
      std::vector<T> want(m, T(-7)), got(m, T(-9));
      ASSERT_EQ(cpu::index_select(x.data(), idx1.data(), want.data(), outer, n, inner, n_idx), -1);
      run_index_select(x.data(), idx1.data(), got.data(), outer, n, inner, n_idx, launch);
      expect_identical("index_select", got, want);
      ASSERT_EQ(cpu::gather(x.data(), idx3.data(), want.data(), outer, n, inner, n_idx), -1);
      run_gather(x.data(), idx3.data(), got.data(), outer, n, inner, n_idx, launch);
      expect_identical("gather", got, want);

      std::vector<T> acc_w = x, acc_g = x;
      ASSERT_EQ(cpu::scatter_add(acc_w.data(), idx3.data(), src.data(), outer, n, inner, n_idx), -1);
      run_scatter_add(acc_g.data(), idx3.data(), src.data(), outer, n, inner, n_idx, launch);
      expect_identical("scatter_add", acc_g, acc_w);
      acc_w = x, acc_g = x;
      ASSERT_EQ(cpu::index_add(acc_w.data(), idx1.data(), src.data(), outer, n, inner, n_idx), -1);
      run_index_add(acc_g.data(), idx1.data(), src.data(), outer, n, inner, n_idx, launch);
      expect_identical("index_add", acc_g, acc_w);

      std::vector<T> cw(x.size()), cg(x.size());
      cpu::cumsum(x.data(), cw.data(), outer, n, inner);
      run_cumsum(x.data(), cg.data(), outer, n, inner, launch);
      expect_identical("cumsum", cg, cw);
    }
  }
}

TYPED_TEST(CudaIndexHarness, SearchsortedMatchesTheCpuKernel) {
  using T = TypeParam;
  std::mt19937 rng(9);
  const int64_t rows = 5, K = 9, M = 40;
  std::vector<T> sorted = random_values<T>(size_t(rows * K), rng, -2, 2);
  for (int64_t r = 0; r < rows; ++r) std::sort(sorted.begin() + r * K, sorted.begin() + (r + 1) * K);
  sorted[size_t(K - 1)] = std::numeric_limits<T>::quiet_NaN();  // NaN sorts last
  std::vector<T> values = random_values<T>(size_t(rows * M), rng, -2.5, 2.5);
  for (int64_t i = 0; i < rows * M; i += 6) values[size_t(i)] = sorted[size_t(i % (rows * K))];  // ties
  values[3] = std::numeric_limits<T>::quiet_NaN();
  for (bool right : {false, true})
    for (int64_t row_stride : {int64_t(0), K}) {
      std::vector<int64_t> want(static_cast<size_t>(rows * M)), got(size_t(rows * M), -5);
      cpu::searchsorted(sorted.data(), row_stride, K, values.data(), rows, M, want.data(), right);
      run_searchsorted(sorted.data(), row_stride, K, values.data(), rows, M, got.data(), right,
                       HarnessLaunch{Schedule::kShuffled, 4});
      expect_identical(right ? "searchsorted right" : "searchsorted left", got, want);
    }
}

TEST(CudaIndexHarness, IndexCheckFindsTheFirstBadPosition) {
  for (const HarnessLaunch& launch : all_schedules(2)) {
    SCOPED_TRACE(schedule_name(launch.schedule));
    std::vector<int64_t> idx(1000, 3);
    int64_t bad = -7;
    run_first_bad_index(idx.data(), int64_t(idx.size()), 4, &bad, launch);
    EXPECT_EQ(bad, -1);
    idx[977] = 4;   // one past the end
    idx[513] = -1;  // negative
    idx[700] = 99;
    run_first_bad_index(idx.data(), int64_t(idx.size()), 4, &bad, launch);
    EXPECT_EQ(bad, 513);
    run_first_bad_index(idx.data(), int64_t(0), 4, &bad, launch);
    EXPECT_EQ(bad, -1);
    idx.assign(3, 0);
    idx[2] = 5;
    run_first_bad_index(idx.data(), int64_t(3), 4, &bad, launch);  // fewer indices than threads
    EXPECT_EQ(bad, 2);
  }
}

}  // namespace
}  // namespace amor::kernels::cuda

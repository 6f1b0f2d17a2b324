// kernels/cuda/reduce_device.cuh through the CPU execution harness against kernels/cpu/reduce:
// rows reduced by a warp (n <= 1024) and by a block (longer rows, the block reduction's shared
// scratch reused between passes), columns, empty axes, NaN, ±inf and tied extremes (first index
// wins), under every schedule.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "tests/kernels/cuda_harness_util.h"
// The device code after the harness.
#include "kernels/cpu/reduce.h"
#include "kernels/cuda/reduce_device.cuh"

namespace amor::kernels::cuda {
namespace {

using namespace testing;  // NOLINT: the harness test helpers

template <class T>
class CudaReduceHarness : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CudaReduceHarness, FloatTypes);

template <ReduceOp Op, class T>
void check_op(const std::vector<T>& x, int64_t outer, int64_t n, int64_t inner, uint64_t seed) {
  const size_t m = size_t(outer * inner);
  std::vector<T> want(m, T(-7));
  std::vector<int64_t> want_at(m, -7);
  switch (Op) {
    case ReduceOp::kSum: cpu::sum_axis(x.data(), want.data(), outer, n, inner); break;
    case ReduceOp::kMean: cpu::mean_axis(x.data(), want.data(), outer, n, inner); break;
    case ReduceOp::kVar: cpu::var_axis(x.data(), want.data(), outer, n, inner, int64_t{1}); break;
    case ReduceOp::kMax: cpu::max_axis(x.data(), want.data(), want_at.data(), outer, n, inner); break;
    case ReduceOp::kMin: cpu::min_axis(x.data(), want.data(), want_at.data(), outer, n, inner); break;
    case ReduceOp::kLogSumExp: cpu::logsumexp_axis(x.data(), want.data(), outer, n, inner); break;
  }
  const bool arg = Op == ReduceOp::kMax || Op == ReduceOp::kMin;
  std::vector<T> first;
  for (const HarnessLaunch& launch : all_schedules(seed)) {
    SCOPED_TRACE(schedule_name(launch.schedule));
    std::vector<T> got(m, T(-7));
    std::vector<int64_t> got_at(m, -7);
    run_reduce<Op, T>(x.data(), got.data(), arg ? got_at.data() : nullptr, outer, n, inner, 1,
                      launch);
    if (arg) {
      expect_identical("extreme", got, want);  // the element itself
      expect_identical("argidx", got_at, want_at);
    } else {
      expect_close("reduction", got, want, std::sqrt(double(n) + 1), Tol<T>::atol,
                   Tol<T>::rtol * std::log2(double(n) + 2));
    }
    if (first.empty()) first = got;
    else expect_identical("reduction", got, first);
  }
}

TYPED_TEST(CudaReduceHarness, MatchesCpuTwin) {
  using T = TypeParam;
  std::mt19937 rng(31);
  const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
  const int64_t shapes[][3] = {{1, 1, 1},   {6, 7, 1},  {3, 33, 1}, {5, 1024, 1}, {2, 1025, 1},
                               {1, 3000, 1}, {4, 0, 1}, {2, 9, 3},  {3, 40, 70},  {1, 0, 5}};
  uint64_t seed = 1;
  for (const auto& s : shapes) {
    const int64_t outer = s[0], n = s[1], inner = s[2];
    SCOPED_TRACE(::testing::Message() << "[" << outer << ", " << n << ", " << inner << "]");
    std::uniform_real_distribution<double> u(-3, 3);
    std::vector<T> x(size_t(outer * n * inner));
    for (auto& e : x) e = T(std::round(u(rng) * 4) / 4);  // quarter steps: many tied extremes
    for (size_t e = 0; e < x.size(); ++e) {
      if (e % 97 == 5) x[e] = nan;
      if (e % 89 == 3) x[e] = -inf;
      if (e % 131 == 7) x[e] = inf;
      if (e % 61 == 1) x[e] = (e % 2) ? T(0) : -T(0);
    }
    // The first row/column of the first slice without NaN, inf or -inf: finite results too.
    for (int64_t k = 0; k < n; ++k)
      if (!std::isfinite(double(x[size_t(k * inner)]))) x[size_t(k * inner)] = T(0.5);
    check_op<ReduceOp::kSum, T>(x, outer, n, inner, seed++);
    check_op<ReduceOp::kMean, T>(x, outer, n, inner, seed++);
    check_op<ReduceOp::kVar, T>(x, outer, n, inner, seed++);
    check_op<ReduceOp::kMax, T>(x, outer, n, inner, seed++);
    check_op<ReduceOp::kMin, T>(x, outer, n, inner, seed++);
    check_op<ReduceOp::kLogSumExp, T>(x, outer, n, inner, seed++);
  }
}

}  // namespace
}  // namespace amor::kernels::cuda

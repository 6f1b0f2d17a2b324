// kernels/cuda/random_device.cuh through the CPU execution harness: every fill gives the bits of
// its kernels/cpu twin (the same Philox words through the same per-element math,
// kernels/cpu/random_math.h), for offsets and streams, in any block order.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/kernels/cuda_harness_util.h"
// The device code after the harness.
#include "kernels/cpu/random.h"
#include "kernels/cuda/random_device.cuh"

namespace amor::kernels::cuda {
namespace {

using namespace testing;  // NOLINT: the harness test helpers

template <class T>
class CudaRandomHarness : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CudaRandomHarness, FloatTypes);

TYPED_TEST(CudaRandomHarness, EveryFillGivesTheCpuBits) {
  using T = TypeParam;
  const int64_t n = 300;  // three blocks, the last one partial
  const uint64_t seed = 0x1234567890ull, stream = 5, offset = (uint64_t{1} << 33) + 7;
  std::vector<T> k(static_cast<size_t>(n)), p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    k[size_t(i)] = T(0.05 + 0.1 * double(i % 40));  // both gamma branches (k < 1 and k >= 1)
    p[size_t(i)] = T(double(i % 11) / 10.0);
  }
  for (const HarnessLaunch& launch : {HarnessLaunch{}, HarnessLaunch{Schedule::kShuffled, 3}}) {
    SCOPED_TRACE(schedule_name(launch.schedule));
    std::vector<T> want(static_cast<size_t>(n)), got(static_cast<size_t>(n), T(-7));
    cpu::fill_uniform<T>(want.data(), n, seed, stream, offset, T(-3), T(2));
    run_fill_uniform<T>(got.data(), n, seed, stream, offset, T(-3), T(2), launch);
    expect_identical("uniform", got, want);
    cpu::fill_normal<T>(want.data(), n, seed, stream, offset, T(1), T(0.5));
    run_fill_normal<T>(got.data(), n, seed, stream, offset, T(1), T(0.5), launch);
    expect_identical("normal", got, want);
    cpu::fill_gamma<T>(want.data(), k.data(), T(0), n, seed, stream, offset);
    run_fill_gamma<T>(got.data(), k.data(), T(0), n, seed, stream, offset, launch);
    expect_identical("gamma", got, want);
    cpu::fill_gamma<T>(want.data(), nullptr, T(2.5), n, seed, stream + 1, 0);
    run_fill_gamma<T>(got.data(), nullptr, T(2.5), n, seed, stream + 1, 0, launch);
    expect_identical("gamma (scalar k)", got, want);

    std::vector<uint8_t> bw(static_cast<size_t>(n)), bg(static_cast<size_t>(n), 7);
    cpu::fill_bernoulli<T>(bw.data(), p.data(), T(0), n, seed, stream, offset);
    run_fill_bernoulli<T>(bg.data(), p.data(), T(0), n, seed, stream, offset, launch);
    expect_identical("bernoulli", bg, bw);
  }
  std::vector<int64_t> iw(static_cast<size_t>(n)), ig(static_cast<size_t>(n), -1);
  ASSERT_TRUE(cpu::fill_randint(iw.data(), n, seed, stream, offset, -5, 1000003));
  ASSERT_TRUE(run_fill_randint(ig.data(), n, seed, stream, offset, -5, 1000003, HarnessLaunch{}));
  expect_identical("randint", ig, iw);
  EXPECT_FALSE(run_fill_randint(ig.data(), n, seed, stream, offset, 3, 3, HarnessLaunch{}));
}

}  // namespace
}  // namespace amor::kernels::cuda

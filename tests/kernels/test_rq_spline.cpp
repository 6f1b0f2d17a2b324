// rq_spline_fwd / rq_spline_bwd on raw buffers: bitwise identical results for 1 and 2 threads,
// optional (null) gradient pointers, and the tails. Values and gradients are checked against the
// composition twin and finite differences in tests/core/test_rq_spline.cpp.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kernels/cpu/rq_spline.h"
#include "tests/kernels/cpu_test_util.h"

namespace amor::kernels::cpu {
namespace {

using namespace testing;  // NOLINT: the kernel test helpers

template <class T>
class RQSplineKernelTest : public ::testing::Test {};
TYPED_TEST_SUITE(RQSplineKernelTest, FloatTypes);

struct Outputs {
  std::vector<double> y, lad, gx, gp;
};

template <class T>
Outputs run(const RQSplineConfig& c, bool inverse, const std::vector<T>& x, const std::vector<T>& p,
            const std::vector<T>& gy, const std::vector<T>& gl, int threads) {
  ThreadCount tc(threads);
  const int64_t n = int64_t(x.size());
  std::vector<T> y(x.size()), lad(x.size()), gx(x.size()), gp(p.size());
  rq_spline_fwd<T>(c, inverse, x.data(), p.data(), n, y.data(), lad.data());
  rq_spline_bwd<T>(c, inverse, x.data(), p.data(), gy.data(), gl.data(), n, gx.data(), gp.data());
  return {{y.begin(), y.end()}, {lad.begin(), lad.end()}, {gx.begin(), gx.end()}, {gp.begin(), gp.end()}};
}

TYPED_TEST(RQSplineKernelTest, SameResultForOneAndTwoThreads) {
  using T = TypeParam;
  RQSplineConfig c;  // K = 10, B = 3
  const int64_t n = 20000;  // n·(3K-1)·4 is far above the threading threshold
  std::mt19937 rng(7);
  const auto x = random_vector<T>(n, rng, -4.0, 4.0);
  const auto p = random_vector<T>(n * rq_spline_num_params(c.num_bins), rng, -2.0, 2.0);
  const auto gy = random_vector<T>(n, rng), gl = random_vector<T>(n, rng);
  for (bool inverse : {false, true}) {
    const Outputs a = run(c, inverse, x, p, gy, gl, 1), b = run(c, inverse, x, p, gy, gl, 2);
    EXPECT_TRUE(bitwise_equal(a.y, b.y));
    EXPECT_TRUE(bitwise_equal(a.lad, b.lad));
    EXPECT_TRUE(bitwise_equal(a.gx, b.gx));
    EXPECT_TRUE(bitwise_equal(a.gp, b.gp));
  }
}

TYPED_TEST(RQSplineKernelTest, NullGradientPointers) {
  // A null upstream gradient counts as zero; a null output gradient is simply not written.
  using T = TypeParam;
  RQSplineConfig c;
  c.num_bins = 4;
  const int64_t n = 50, P = rq_spline_num_params(c.num_bins);
  std::mt19937 rng(8);
  const auto x = random_vector<T>(n, rng, -3.5, 3.5);
  const auto p = random_vector<T>(n * P, rng, -1.5, 1.5);
  const auto gy = random_vector<T>(n, rng);
  const std::vector<T> zero(static_cast<size_t>(n), T(0));
  for (bool inverse : {false, true}) {
    Guarded<T> gx_full(n), gp_full(n * P), gx_null(n), gp_only(n * P);
    rq_spline_bwd<T>(c, inverse, x.data(), p.data(), gy.data(), zero.data(), n, gx_full.data(), gp_full.data());
    rq_spline_bwd<T>(c, inverse, x.data(), p.data(), gy.data(), nullptr, n, gx_null.data(), nullptr);
    rq_spline_bwd<T>(c, inverse, x.data(), p.data(), gy.data(), nullptr, n, nullptr, gp_only.data());
    EXPECT_TRUE(bitwise_equal(gx_full.vec(), gx_null.vec()));
    EXPECT_TRUE(bitwise_equal(gp_full.vec(), gp_only.vec()));
    EXPECT_TRUE(gx_full.guards_intact() && gp_full.guards_intact() && gx_null.guards_intact() &&
                gp_only.guards_intact());
  }
}

TYPED_TEST(RQSplineKernelTest, TailsAreIdentity) {
  using T = TypeParam;
  RQSplineConfig c;
  c.tail_bound = 2.0;
  const std::vector<T> x = {T(-7), T(-2.01), T(2.01), T(1e20)};
  const int64_t n = 4, P = rq_spline_num_params(c.num_bins);
  std::mt19937 rng(9);
  const auto p = random_vector<T>(n * P, rng, -3.0, 3.0);
  const auto gy = random_vector<T>(n, rng), gl = random_vector<T>(n, rng);
  for (bool inverse : {false, true}) {
    const Outputs o = run(c, inverse, x, p, gy, gl, 1);
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_EQ(o.y[i], double(x[i]));
      EXPECT_EQ(o.lad[i], 0.0);
      EXPECT_EQ(o.gx[i], double(gy[i]));
    }
    for (double g : o.gp) EXPECT_EQ(g, 0.0);
  }
}

}  // namespace
}  // namespace amor::kernels::cpu

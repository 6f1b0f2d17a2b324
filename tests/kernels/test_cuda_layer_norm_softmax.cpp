// kernels/cuda/layer_norm_device.cuh and softmax_device.cuh through the CPU execution harness,
// against their kernels/cpu twins: random shapes (rows across several blocks, C and n below,
// at and above one warp), null optional pointers, in-place calls, the all -inf slice contract,
// and the same bits under every schedule.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "tests/kernels/cuda_harness_util.h"
// The device code after the harness.
#include "kernels/cpu/layer_norm.h"
#include "kernels/cpu/softmax.h"
#include "kernels/cuda/layer_norm_device.cuh"
#include "kernels/cuda/softmax_device.cuh"

namespace amor::kernels::cuda {
namespace {

using namespace testing;  // NOLINT: the harness test helpers

template <class T>
class CudaLayerNormHarness : public ::testing::Test {};
template <class T>
class CudaSoftmaxHarness : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CudaLayerNormHarness, FloatTypes);
TYPED_TEST_SUITE(CudaSoftmaxHarness, FloatTypes);

// ---- LayerNorm ----------------------------------------------------------------------------------

template <class T>
struct LayerNormRun {
  std::vector<T> y, mean, rstd, dx, dw, db;
};

template <class T, class Fwd, class Bwd>
LayerNormRun<T> layer_norm(const std::vector<T>& x, const std::vector<T>& dy, const T* w,
                           const T* b, int64_t rows, int64_t C, bool in_place, Fwd&& fwd,
                           Bwd&& bwd) {
  LayerNormRun<T> r;
  r.y = in_place ? x : std::vector<T>(x.size(), T(-7));
  r.mean.assign(size_t(rows), T(-7));
  r.rstd.assign(size_t(rows), T(-7));
  r.dw.assign(size_t(C), T(-7));
  r.db.assign(size_t(C), T(-7));
  fwd(in_place ? r.y.data() : x.data(), w, b, r.y.data(), r.mean.data(), r.rstd.data(), rows, C,
      T(1e-5));
  // Backward in place over a copy of dy (dx aliases dy).
  r.dx = dy;
  bwd(r.dx.data(), x.data(), w, r.mean.data(), r.rstd.data(), r.dx.data(), r.dw.data(),
      r.db.data(), rows, C);
  return r;
}

TYPED_TEST(CudaLayerNormHarness, MatchesCpuTwin) {
  using T = TypeParam;
  std::mt19937 rng(5);
  const int64_t shapes[][2] = {{1, 1}, {3, 7}, {9, 32}, {5, 33}, {17, 100}, {2, 300}, {70, 20}};
  int i = 0;
  for (const auto& s : shapes) {
    const int64_t rows = s[0], C = s[1];
    SCOPED_TRACE(::testing::Message() << "rows=" << rows << " C=" << C);
    const std::vector<T> x = random_values<T>(size_t(rows * C), rng);
    const std::vector<T> dy = random_values<T>(size_t(rows * C), rng);
    const std::vector<T> w = random_values<T>(size_t(C), rng), b = random_values<T>(size_t(C), rng);
    const bool affine = i % 2 == 0, in_place = i % 3 == 0;
    ++i;
    const T* wp = affine ? w.data() : nullptr;
    const T* bp = affine ? b.data() : nullptr;
    const auto want = layer_norm<T>(
        x, dy, wp, bp, rows, C, in_place, [](auto... a) { cpu::layer_norm_fwd<T>(a...); },
        [](auto... a) { cpu::layer_norm_bwd<T>(a...); });
    LayerNormRun<T> first;
    for (const HarnessLaunch& launch : all_schedules(uint64_t(i))) {
      SCOPED_TRACE(schedule_name(launch.schedule));
      const auto got = layer_norm<T>(
          x, dy, wp, bp, rows, C, in_place,
          [&](auto... a) { run_layer_norm_fwd<T>(a..., launch); },
          [&](auto... a) { run_layer_norm_bwd<T>(a..., launch); });
      if (launch.schedule == Schedule::kInOrder) {
        expect_close("y", got.y, want.y);
        expect_close("mean", got.mean, want.mean);
        expect_close("rstd", got.rstd, want.rstd);
        expect_close("dx", got.dx, want.dx, 10);
        expect_close("dw", got.dw, want.dw, std::sqrt(double(rows)));
        expect_close("db", got.db, want.db, std::sqrt(double(rows)));
        first = got;
      } else {
        expect_identical("y", got.y, first.y);
        expect_identical("dx", got.dx, first.dx);
        expect_identical("dw", got.dw, first.dw);
        expect_identical("db", got.db, first.db);
      }
    }
  }
}

TYPED_TEST(CudaLayerNormHarness, NullOutputsAndEmptyRows) {
  using T = TypeParam;
  std::mt19937 rng(6);
  const int64_t rows = 6, C = 40;
  const std::vector<T> x = random_values<T>(size_t(rows * C), rng);
  std::vector<T> y(x.size()), y_cpu(x.size()), mean(static_cast<size_t>(rows)), rstd(static_cast<size_t>(rows));
  run_layer_norm_fwd<T>(x.data(), nullptr, nullptr, y.data(), nullptr, nullptr, rows, C, T(1e-5),
                        HarnessLaunch{});
  cpu::layer_norm_fwd<T>(x.data(), nullptr, nullptr, y_cpu.data(), mean.data(), rstd.data(), rows,
                         C, T(1e-5));
  expect_close("y", y, y_cpu);
  // Only parameter gradients, and with rows == 0 they are zeros.
  std::vector<T> dw(size_t(C), T(-7)), db(size_t(C), T(-7));
  run_layer_norm_bwd<T>(x.data(), x.data(), nullptr, mean.data(), rstd.data(), nullptr, dw.data(),
                        db.data(), 0, C, HarnessLaunch{});
  for (int64_t c = 0; c < C; ++c) EXPECT_TRUE(dw[size_t(c)] == T(0) && db[size_t(c)] == T(0));
}

// ---- softmax ------------------------------------------------------------------------------------

template <class T, SoftmaxOp Op>
void check_softmax_op(const std::vector<T>& a, const std::vector<T>& g, int64_t outer, int64_t n,
                      int64_t inner, uint64_t seed) {
  std::vector<T> want(a.size(), T(-7));
  switch (Op) {
    case SoftmaxOp::kSoftmaxFwd: cpu::softmax_fwd(a.data(), want.data(), outer, n, inner); break;
    case SoftmaxOp::kLogSoftmaxFwd: cpu::log_softmax_fwd(a.data(), want.data(), outer, n, inner); break;
    case SoftmaxOp::kSoftmaxBwd: cpu::softmax_bwd(a.data(), g.data(), want.data(), outer, n, inner); break;
    case SoftmaxOp::kLogSoftmaxBwd:
      cpu::log_softmax_bwd(a.data(), g.data(), want.data(), outer, n, inner);
      break;
  }
  const bool backward = Op == SoftmaxOp::kSoftmaxBwd || Op == SoftmaxOp::kLogSoftmaxBwd;
  std::vector<T> first;
  for (const HarnessLaunch& launch : all_schedules(seed)) {
    SCOPED_TRACE(schedule_name(launch.schedule));
    // In place: out aliases the input the CPU kernels also allow (x forward, dy backward).
    std::vector<T> got = backward ? g : a;
    run_softmax<Op, T>(backward ? a.data() : got.data(), backward ? got.data() : nullptr,
                       got.data(), outer, n, inner, launch);
    if (first.empty()) {
      expect_close("softmax", got, want, 4);
      first = got;
    } else {
      expect_identical("softmax", got, first);
    }
  }
}

TYPED_TEST(CudaSoftmaxHarness, MatchesCpuTwinOnEveryOp) {
  using T = TypeParam;
  std::mt19937 rng(8);
  const int64_t shapes[][3] = {{1, 1, 1}, {5, 7, 1}, {3, 32, 1}, {9, 70, 1},
                               {2, 5, 3},  {3, 40, 7}, {1, 3, 200}};
  uint64_t seed = 1;
  for (const auto& s : shapes) {
    const int64_t outer = s[0], n = s[1], inner = s[2];
    SCOPED_TRACE(::testing::Message() << "[" << outer << ", " << n << ", " << inner << "]");
    std::vector<T> x = random_values<T>(size_t(outer * n * inner), rng, -4, 4);
    // The first slice entirely -inf (a fully masked row), and a few -inf elsewhere.
    const T ninf = -std::numeric_limits<T>::infinity();
    for (int64_t k = 0; k < n; ++k) x[size_t(k * inner)] = ninf;
    for (size_t e = 0; e < x.size(); e += 5) x[e] = ninf;
    const std::vector<T> dy = random_values<T>(x.size(), rng);
    std::vector<T> y(x.size()), logy(x.size());
    cpu::softmax_fwd(x.data(), y.data(), outer, n, inner);
    cpu::log_softmax_fwd(x.data(), logy.data(), outer, n, inner);
    check_softmax_op<T, SoftmaxOp::kSoftmaxFwd>(x, {}, outer, n, inner, seed++);
    check_softmax_op<T, SoftmaxOp::kLogSoftmaxFwd>(x, {}, outer, n, inner, seed++);
    check_softmax_op<T, SoftmaxOp::kSoftmaxBwd>(y, dy, outer, n, inner, seed++);
    check_softmax_op<T, SoftmaxOp::kLogSoftmaxBwd>(logy, dy, outer, n, inner, seed++);
  }
}

}  // namespace
}  // namespace amor::kernels::cuda

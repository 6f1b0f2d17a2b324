// kernels/cuda/flow_transforms_device.cuh through the CPU execution harness: the
// rational-quadratic spline and the affine coupling, forward and inverse, values, log-dets and
// every gradient, against their kernels/cpu twins (which share the per-element math), with
// strided inputs, null optional pointers, elements in the tails, and the same bits under every
// schedule.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/kernels/cuda_harness_util.h"
// The device code after the harness.
#include "kernels/cpu/affine_coupling.h"
#include "kernels/cpu/rq_spline.h"
#include "kernels/cuda/flow_transforms_device.cuh"

namespace amor::kernels::cuda {
namespace {

using namespace testing;  // NOLINT: the harness test helpers

template <class T>
class CudaFlowTransformsHarness : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CudaFlowTransformsHarness, FloatTypes);

template <class T>
struct SplineRun {
  std::vector<T> y, lad, gx, gp;
};

TYPED_TEST(CudaFlowTransformsHarness, RQSplineMatchesCpuTwin) {
  using T = TypeParam;
  std::mt19937 rng(21);
  for (int64_t K : {1, 4, 10}) {
    cpu::RQSplineConfig c;
    c.num_bins = K;
    c.tail_bound = K == 4 ? 2.5 : 3.0;
    const int64_t n = 300, P = cpu::rq_spline_num_params(K);
    const auto x = random_values<T>(size_t(n), rng, -4, 4);  // some in the tails
    const auto p = random_values<T>(size_t(n * P), rng, -2, 2);
    const auto gy = random_values<T>(size_t(n), rng, -1, 1);
    const auto gl = random_values<T>(size_t(n), rng, -1, 1);
    for (bool inverse : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "K=" << K << " inverse=" << inverse);
      SplineRun<T> want{std::vector<T>(static_cast<size_t>(n)), std::vector<T>(static_cast<size_t>(n)),
                        std::vector<T>(static_cast<size_t>(n)), std::vector<T>(size_t(n * P))};
      cpu::rq_spline_fwd<T>(c, inverse, x.data(), p.data(), n, want.y.data(), want.lad.data());
      cpu::rq_spline_bwd<T>(c, inverse, x.data(), p.data(), gy.data(), gl.data(), n,
                            want.gx.data(), want.gp.data());
      SplineRun<T> first;
      for (const HarnessLaunch& launch : all_schedules(uint64_t(K))) {
        SCOPED_TRACE(schedule_name(launch.schedule));
        SplineRun<T> got{std::vector<T>(size_t(n), T(-7)), std::vector<T>(size_t(n), T(-7)),
                         std::vector<T>(size_t(n), T(-7)), std::vector<T>(size_t(n * P), T(-7))};
        run_rq_spline_fwd<T>(c, inverse, x.data(), p.data(), n, got.y.data(), got.lad.data(),
                             launch);
        run_rq_spline_bwd<T>(c, inverse, x.data(), p.data(), gy.data(), gl.data(), n,
                             got.gx.data(), got.gp.data(), launch);
        if (first.y.empty()) {
          expect_close("y", got.y, want.y);
          expect_close("logabsdet", got.lad, want.lad);
          expect_close("gx", got.gx, want.gx);
          expect_close("gparams", got.gp, want.gp);
          first = got;
        } else {
          expect_identical("y", got.y, first.y);
          expect_identical("gparams", got.gp, first.gp);
        }
      }
    }
  }
}

TYPED_TEST(CudaFlowTransformsHarness, RQSplineNullGradients) {
  using T = TypeParam;
  std::mt19937 rng(22);
  cpu::RQSplineConfig c;
  c.num_bins = 5;
  const int64_t n = 40, P = cpu::rq_spline_num_params(c.num_bins);
  const auto x = random_values<T>(size_t(n), rng, -3, 3);
  const auto p = random_values<T>(size_t(n * P), rng, -2, 2);
  const auto gl = random_values<T>(size_t(n), rng, -1, 1);
  std::vector<T> gx(static_cast<size_t>(n)), gx_cpu(static_cast<size_t>(n));
  // No gy (zero), no gparams (not written).
  run_rq_spline_bwd<T>(c, false, x.data(), p.data(), nullptr, gl.data(), n, gx.data(), nullptr,
                       HarnessLaunch{});
  cpu::rq_spline_bwd<T>(c, false, x.data(), p.data(), nullptr, gl.data(), n, gx_cpu.data(), nullptr);
  expect_close("gx", gx, gx_cpu);
  c.num_bins = cpu::kRQSplineMaxBins + 1;
  EXPECT_THROW(run_rq_spline_fwd<T>(c, false, x.data(), p.data(), n, gx.data(), gx.data(),
                                    HarnessLaunch{}),
               std::invalid_argument);
}

TYPED_TEST(CudaFlowTransformsHarness, AffineCouplingMatchesCpuTwin) {
  using T = TypeParam;
  std::mt19937 rng(23);
  const int64_t shapes[][2] = {{1, 1}, {7, 3}, {300, 5}};
  for (const auto& s : shapes) {
    const int64_t n = s[0], k = s[1];
    // x, r, t as column slices of wider matrices (row strides > k).
    const int64_t ldx = k + 2, ldr = 2 * k, ldt = 2 * k;
    const auto x = random_values<T>(size_t(n * ldx), rng, -3, 3);
    const auto rt = random_values<T>(size_t(n * ldr), rng, -4, 4);  // r | t halves
    const T* r = rt.data();
    const T* t = rt.data() + k;
    const auto gy = random_values<T>(size_t(n * k), rng, -1, 1);
    const auto gl = random_values<T>(size_t(n), rng, -1, 1);
    for (bool inverse : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "n=" << n << " k=" << k << " inverse=" << inverse);
      std::vector<T> y(static_cast<size_t>(n * k)), ld(static_cast<size_t>(n)), dx(static_cast<size_t>(n * k)), dr(static_cast<size_t>(n * k)),
          dt(static_cast<size_t>(n * k));
      cpu::affine_coupling_fwd<T>(x.data(), ldx, r, ldr, t, ldt, y.data(), ld.data(), n, k, inverse);
      cpu::affine_coupling_bwd<T>(gy.data(), gl.data(), x.data(), ldx, r, ldr, t, ldt, dx.data(),
                                  dr.data(), dt.data(), n, k, inverse);
      std::vector<T> first_y, first_dr;
      for (const HarnessLaunch& launch : all_schedules(uint64_t(n))) {
        SCOPED_TRACE(schedule_name(launch.schedule));
        std::vector<T> gy_(size_t(n * k), T(-7)), gld(size_t(n), T(-7)), gdx(size_t(n * k), T(-7)),
            gdr(size_t(n * k), T(-7)), gdt(size_t(n * k), T(-7));
        run_affine_coupling_fwd<T>(x.data(), ldx, r, ldr, t, ldt, gy_.data(), gld.data(), n, k,
                                   inverse, launch);
        run_affine_coupling_bwd<T>(gy.data(), gl.data(), x.data(), ldx, r, ldr, t, ldt, gdx.data(),
                                   gdr.data(), gdt.data(), n, k, inverse, launch);
        if (first_y.empty()) {
          expect_close("y", gy_, y);
          expect_close("logdet", gld, ld);
          expect_close("dx", gdx, dx);
          expect_close("dr", gdr, dr);
          expect_close("dt", gdt, dt);
          first_y = gy_;
          first_dr = gdr;
        } else {
          expect_identical("y", gy_, first_y);
          expect_identical("dr", gdr, first_dr);
        }
      }
      // Null upstream gradients count as zero; null outputs are not written.
      std::vector<T> only_dr(size_t(n * k), T(-7)), only_dr_cpu(size_t(n * k), T(-7));
      run_affine_coupling_bwd<T>(nullptr, gl.data(), x.data(), ldx, r, ldr, t, ldt, nullptr,
                                 only_dr.data(), nullptr, n, k, inverse, HarnessLaunch{});
      cpu::affine_coupling_bwd<T>(nullptr, gl.data(), x.data(), ldx, r, ldr, t, ldt, nullptr,
                                  only_dr_cpu.data(), nullptr, n, k, inverse);
      expect_close("dr (gy null)", only_dr, only_dr_cpu);
    }
  }
}

}  // namespace
}  // namespace amor::kernels::cuda

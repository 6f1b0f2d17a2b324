// The kernels/cuda kernels on a real device against their kernels/cpu twins, forward and
// backward: fused masked attention (T 4..256, [T,T] and [B,T,T] masks, the fully-masked contract
// exactly, deterministic backward), LayerNorm, softmax/log-softmax, the rational-quadratic spline,
// the affine coupling, the axis reductions and the Philox random fills. Labelled `gpu`; every test skips when there is
// no device.
//
// Tolerances (GPU vs CPU): float32 atol 5e-6 (times sqrt(T) for sums over T), rtol 2e-5 — both
// sides round differently (nvcc contracts into FMA, CUDA's expf is within 2 ulp, the CPU uses
// polynomial exp/log); float64 atol 1e-12, rtol 1e-10 (the spline's gradients are
// ill-conditioned in their parameters, kernels/cpu/rq_spline.h).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu/affine_coupling.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/layer_norm.h"
#include "kernels/cpu/random.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cpu/rq_spline.h"
#include "kernels/cpu/softmax.h"
#include "kernels/cuda/affine_coupling.h"
#include "kernels/cuda/attention.h"
#include "kernels/cuda/layer_norm.h"
#include "kernels/cuda/random.h"
#include "kernels/cuda/reduce.h"
#include "kernels/cuda/rq_spline.h"
#include "kernels/cuda/softmax.h"
#include "tests/gpu/device_buffer.h"
#include "tests/kernels/kernel_compare.h"

namespace amor::kernels {
namespace {

using amor::testing::DeviceBuffer;
using testing::expect_close;
using testing::expect_identical;
using testing::random_values;

template <class T>
struct GpuTol;
template <>
struct GpuTol<float> {
  static constexpr double atol = 5e-6, rtol = 2e-5;
};
template <>
struct GpuTol<double> {
  static constexpr double atol = 1e-12, rtol = 1e-10;
};

template <class T>
void expect_gpu_close(const char* what, const std::vector<T>& got, const std::vector<T>& want,
                      double scale = 1.0) {
  expect_close(what, got, want, scale, GpuTol<T>::atol, GpuTol<T>::rtol);
}

template <class T>
class CudaKernels : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CudaKernels, FloatTypes);

// ---- attention ------------------------------------------------------------------------------------

enum class MaskKind { none, shared, per_batch, diagonal, all_false };

template <class T>
void check_attention(int64_t B, int64_t Tn, int64_t H, int64_t D, MaskKind mk, bool packed,
                     uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "B=" << B << " T=" << Tn << " H=" << H << " D=" << D
                                    << " mask=" << int(mk) << " packed=" << packed);
  std::mt19937 rng(seed);
  // q, k, v: packed [B, T, 3, H, D] or three contiguous [B, T, H, D]; out, dout, grads contiguous.
  const int64_t n = B * Tn * H * D;
  const int64_t st = packed ? 3 * H * D : H * D, slot = packed ? H * D : n;
  cpu::AttentionParams p;
  p.B = B, p.T = Tn, p.H = H, p.D = D;
  p.q = p.k = p.v = {Tn * st, st, D};
  p.out = p.dout = p.dq = p.dk = p.dv = {Tn * H * D, H * D, D};
  p.scale = 1.0 / std::sqrt(double(D));
  std::vector<uint8_t> mask;
  if (mk != MaskKind::none) {
    const int64_t nb = mk == MaskKind::per_batch ? B : 1;
    p.mask_sb = mk == MaskKind::per_batch ? Tn * Tn : 0;
    mask.assign(size_t(nb * Tn * Tn), 0);
    std::bernoulli_distribution half(0.5);
    for (int64_t b = 0; b < nb; ++b) {
      for (int64_t i = 0; i < Tn; ++i)
        for (int64_t j = 0; j < Tn; ++j)
          mask[size_t((b * Tn + i) * Tn + j)] =
              mk == MaskKind::all_false ? 0 : (i == j || (mk != MaskKind::diagonal && half(rng)));
      if (mk == MaskKind::shared || mk == MaskKind::per_batch) {
        const int64_t row = int64_t(rng() % uint64_t(Tn));
        for (int64_t j = 0; j < Tn; ++j) mask[size_t((b * Tn + row) * Tn + j)] = 0;
      }
    }
  }
  const std::vector<T> qkv = random_values<T>(size_t(3 * n), rng, -1.5, 1.5);
  const std::vector<T> dout = random_values<T>(size_t(n), rng, -1.5, 1.5);

  std::vector<T> out(static_cast<size_t>(n)), lse(size_t(B * H * Tn)), dq(static_cast<size_t>(n)), dk(static_cast<size_t>(n)), dv(static_cast<size_t>(n));
  p.mask = mask.empty() ? nullptr : mask.data();
  cpu::attention_fwd<T>(p, qkv.data(), qkv.data() + slot, qkv.data() + 2 * slot, out.data(), lse.data());
  cpu::attention_bwd<T>(p, qkv.data(), qkv.data() + slot, qkv.data() + 2 * slot, out.data(),
                        lse.data(), dout.data(), dq.data(), dk.data(), dv.data());

  DeviceBuffer<T> d_qkv(qkv), d_dout(dout);
  DeviceBuffer<T> d_out(size_t(n), 0xFF), d_lse(size_t(B * H * Tn), 0xFF);
  DeviceBuffer<T> d_dq(size_t(n), 0xFF), d_dk(size_t(n), 0xFF), d_dv(size_t(n), 0xFF);
  std::vector<uint8_t> no_mask(1, 0);
  DeviceBuffer<uint8_t> d_mask(mask.empty() ? no_mask : mask);
  cpu::AttentionParams pd = p;
  pd.mask = mask.empty() ? nullptr : d_mask.get();
  const T* q = d_qkv.get();
  cuda::attention_fwd<T>(pd, q, q + slot, q + 2 * slot, d_out.get(), d_lse.get());
  cuda::attention_bwd<T>(pd, q, q + slot, q + 2 * slot, d_out.get(), d_lse.get(), d_dout.get(),
                         d_dq.get(), d_dk.get(), d_dv.get());
  const std::vector<T> g_out = d_out.host(), g_lse = d_lse.host(), g_dq = d_dq.host(),
                       g_dk = d_dk.host(), g_dv = d_dv.host();
  const double sum_scale = std::sqrt(double(Tn));
  expect_gpu_close("out", g_out, out);
  expect_gpu_close("lse", g_lse, lse);
  expect_gpu_close("dq", g_dq, dq, sum_scale);
  expect_gpu_close("dk", g_dk, dk, sum_scale);
  expect_gpu_close("dv", g_dv, dv, sum_scale);
  // Fully masked rows: exactly zero output and dq, lse = +inf (never NaN).
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < Tn; ++i) {
      bool masked = !mask.empty();
      for (int64_t j = 0; j < Tn && masked; ++j)
        masked = mask[size_t(b * p.mask_sb + i * Tn + j)] == 0;
      if (!masked) continue;
      for (int64_t h = 0; h < H; ++h) {
        EXPECT_EQ(g_lse[size_t((b * H + h) * Tn + i)], std::numeric_limits<T>::infinity());
        for (int64_t d = 0; d < D; ++d) {
          const size_t at = size_t(((b * Tn + i) * H + h) * D + d);
          ASSERT_EQ(g_out[at], T(0));
          ASSERT_EQ(g_dq[at], T(0));
        }
      }
    }
  // The backward has no atomics: a second run gives the same bits.
  cuda::attention_bwd<T>(pd, q, q + slot, q + 2 * slot, d_out.get(), d_lse.get(), d_dout.get(),
                         d_dq.get(), d_dk.get(), d_dv.get());
  expect_identical("dq (rerun)", d_dq.host(), g_dq);
  expect_identical("dk (rerun)", d_dk.host(), g_dk);
  expect_identical("dv (rerun)", d_dv.host(), g_dv);
}

TYPED_TEST(CudaKernels, AttentionMatchesCpu) {
  AMOR_REQUIRE_GPU();
  uint32_t seed = 1;
  for (int64_t Tn : {4, 20, 33, 64, 100, 256})
    for (MaskKind mk : {MaskKind::none, MaskKind::shared, MaskKind::per_batch})
      check_attention<TypeParam>(3, Tn, 4, Tn == 100 ? 50 : 16, mk, Tn % 2 == 0, seed++);
  check_attention<TypeParam>(2, 20, 2, 128, MaskKind::diagonal, true, seed++);
  check_attention<TypeParam>(2, 20, 2, 7, MaskKind::all_false, false, seed++);
  check_attention<TypeParam>(64, 64, 4, 64, MaskKind::per_batch, true, seed++);  // many blocks
}

// ---- LayerNorm --------------------------------------------------------------------------------------

TYPED_TEST(CudaKernels, LayerNormMatchesCpu) {
  AMOR_REQUIRE_GPU();
  using T = TypeParam;
  std::mt19937 rng(3);
  const int64_t shapes[][2] = {{1, 1}, {7, 33}, {1000, 50}, {64, 512}, {5000, 4}};
  for (const auto& s : shapes) {
    const int64_t rows = s[0], C = s[1];
    SCOPED_TRACE(::testing::Message() << "rows=" << rows << " C=" << C);
    const auto x = random_values<T>(size_t(rows * C), rng, -3, 3);
    const auto dy = random_values<T>(size_t(rows * C), rng, -1.5, 1.5);
    const auto w = random_values<T>(size_t(C), rng, -1.5, 1.5);
    const auto b = random_values<T>(size_t(C), rng, -1.5, 1.5);
    std::vector<T> y(x.size()), mean(static_cast<size_t>(rows)), rstd(static_cast<size_t>(rows)),
        dx(x.size()), dw(static_cast<size_t>(C)), db(static_cast<size_t>(C));
    cpu::layer_norm_fwd<T>(x.data(), w.data(), b.data(), y.data(), mean.data(), rstd.data(), rows,
                           C, T(1e-5));
    cpu::layer_norm_bwd<T>(dy.data(), x.data(), w.data(), mean.data(), rstd.data(), dx.data(),
                           dw.data(), db.data(), rows, C);
    DeviceBuffer<T> d_x(x), d_dy(dy), d_w(w), d_b(b);
    DeviceBuffer<T> d_y(x.size(), 0xFF), d_mean(size_t(rows), 0xFF), d_rstd(size_t(rows), 0xFF),
        d_dx(x.size(), 0xFF), d_dw(size_t(C), 0xFF), d_db(size_t(C), 0xFF);
    cuda::layer_norm_fwd<T>(d_x.get(), d_w.get(), d_b.get(), d_y.get(), d_mean.get(), d_rstd.get(),
                            rows, C, T(1e-5));
    cuda::layer_norm_bwd<T>(d_dy.get(), d_x.get(), d_w.get(), d_mean.get(), d_rstd.get(),
                            d_dx.get(), d_dw.get(), d_db.get(), rows, C);
    expect_gpu_close("y", d_y.host(), y);
    expect_gpu_close("mean", d_mean.host(), mean);
    expect_gpu_close("rstd", d_rstd.host(), rstd);
    expect_gpu_close("dx", d_dx.host(), dx, 10);
    expect_gpu_close("dw", d_dw.host(), dw, std::sqrt(double(rows)));
    expect_gpu_close("db", d_db.host(), db, std::sqrt(double(rows)));
  }
}

// ---- softmax ------------------------------------------------------------------------------------------

TYPED_TEST(CudaKernels, SoftmaxMatchesCpu) {
  AMOR_REQUIRE_GPU();
  using T = TypeParam;
  std::mt19937 rng(4);
  const int64_t shapes[][3] = {{1, 1, 1}, {100, 37, 1}, {4000, 100, 1}, {3, 50, 17}, {2, 9, 1000}};
  for (const auto& s : shapes) {
    const int64_t outer = s[0], n = s[1], inner = s[2], N = outer * n * inner;
    SCOPED_TRACE(::testing::Message() << "[" << outer << ", " << n << ", " << inner << "]");
    auto x = random_values<T>(size_t(N), rng, -5, 5);
    for (int64_t k = 0; k < n; ++k) x[size_t(k * inner)] = -std::numeric_limits<T>::infinity();
    const auto dy = random_values<T>(size_t(N), rng, -1.5, 1.5);
    std::vector<T> y(x.size()), ly(x.size()), dx(x.size()), ldx(x.size());
    cpu::softmax_fwd(x.data(), y.data(), outer, n, inner);
    cpu::log_softmax_fwd(x.data(), ly.data(), outer, n, inner);
    cpu::softmax_bwd(y.data(), dy.data(), dx.data(), outer, n, inner);
    cpu::log_softmax_bwd(ly.data(), dy.data(), ldx.data(), outer, n, inner);
    DeviceBuffer<T> d_x(x), d_dy(dy), d_y(y), d_ly(ly);
    DeviceBuffer<T> o1(x.size(), 0xFF), o2(x.size(), 0xFF), o3(x.size(), 0xFF), o4(x.size(), 0xFF);
    cuda::softmax_fwd(d_x.get(), o1.get(), outer, n, inner);
    cuda::log_softmax_fwd(d_x.get(), o2.get(), outer, n, inner);
    cuda::softmax_bwd(d_y.get(), d_dy.get(), o3.get(), outer, n, inner);
    cuda::log_softmax_bwd(d_ly.get(), d_dy.get(), o4.get(), outer, n, inner);
    expect_gpu_close("softmax", o1.host(), y);
    expect_gpu_close("log_softmax", o2.host(), ly, 4);
    expect_gpu_close("softmax_bwd", o3.host(), dx, 4);
    expect_gpu_close("log_softmax_bwd", o4.host(), ldx, 4);
  }
}

// ---- flow transforms ------------------------------------------------------------------------------------

TYPED_TEST(CudaKernels, RQSplineMatchesCpu) {
  AMOR_REQUIRE_GPU();
  using T = TypeParam;
  std::mt19937 rng(5);
  cpu::RQSplineConfig c;  // K = 10, B = 3
  const int64_t n = 20000, P = cpu::rq_spline_num_params(c.num_bins);
  const auto x = random_values<T>(size_t(n), rng, -4, 4);
  const auto p = random_values<T>(size_t(n * P), rng, -2, 2);
  const auto gy = random_values<T>(size_t(n), rng, -1.5, 1.5);
  const auto gl = random_values<T>(size_t(n), rng, -1.5, 1.5);
  DeviceBuffer<T> d_x(x), d_p(p), d_gy(gy), d_gl(gl);
  for (bool inverse : {false, true}) {
    SCOPED_TRACE(inverse ? "inverse" : "forward");
    std::vector<T> y(static_cast<size_t>(n)), lad(static_cast<size_t>(n)),
        gx(static_cast<size_t>(n)), gp(p.size());
    cpu::rq_spline_fwd<T>(c, inverse, x.data(), p.data(), n, y.data(), lad.data());
    cpu::rq_spline_bwd<T>(c, inverse, x.data(), p.data(), gy.data(), gl.data(), n, gx.data(), gp.data());
    DeviceBuffer<T> d_y(size_t(n), 0xFF), d_lad(size_t(n), 0xFF), d_gx(size_t(n), 0xFF),
        d_gp(p.size(), 0xFF);
    cuda::rq_spline_fwd<T>(c, inverse, d_x.get(), d_p.get(), n, d_y.get(), d_lad.get());
    cuda::rq_spline_bwd<T>(c, inverse, d_x.get(), d_p.get(), d_gy.get(), d_gl.get(), n, d_gx.get(),
                           d_gp.get());
    expect_gpu_close("y", d_y.host(), y);
    expect_gpu_close("logabsdet", d_lad.host(), lad);
    expect_gpu_close("gx", d_gx.host(), gx);
    expect_gpu_close("gparams", d_gp.host(), gp);
  }
}

TYPED_TEST(CudaKernels, AffineCouplingMatchesCpu) {
  AMOR_REQUIRE_GPU();
  using T = TypeParam;
  std::mt19937 rng(6);
  const int64_t n = 5000, k = 7, ld = 2 * k;  // r | t halves of one conditioner output
  const auto x = random_values<T>(size_t(n * k), rng, -3, 3);
  const auto rt = random_values<T>(size_t(n * ld), rng, -4, 4);
  const auto gy = random_values<T>(size_t(n * k), rng, -1.5, 1.5);
  const auto gl = random_values<T>(size_t(n), rng, -1.5, 1.5);
  DeviceBuffer<T> d_x(x), d_rt(rt), d_gy(gy), d_gl(gl);
  for (bool inverse : {false, true}) {
    SCOPED_TRACE(inverse ? "inverse" : "forward");
    std::vector<T> y(x.size()), logdet(static_cast<size_t>(n)), dx(x.size()), dr(x.size()),
        dt(x.size());
    cpu::affine_coupling_fwd<T>(x.data(), k, rt.data(), ld, rt.data() + k, ld, y.data(),
                                logdet.data(), n, k, inverse);
    cpu::affine_coupling_bwd<T>(gy.data(), gl.data(), x.data(), k, rt.data(), ld, rt.data() + k, ld,
                                dx.data(), dr.data(), dt.data(), n, k, inverse);
    DeviceBuffer<T> d_y(x.size(), 0xFF), d_logdet(size_t(n), 0xFF), d_dx(x.size(), 0xFF),
        d_dr(x.size(), 0xFF), d_dt(x.size(), 0xFF);
    cuda::affine_coupling_fwd<T>(d_x.get(), k, d_rt.get(), ld, d_rt.get() + k, ld, d_y.get(),
                                 d_logdet.get(), n, k, inverse);
    cuda::affine_coupling_bwd<T>(d_gy.get(), d_gl.get(), d_x.get(), k, d_rt.get(), ld,
                                 d_rt.get() + k, ld, d_dx.get(), d_dr.get(), d_dt.get(), n, k,
                                 inverse);
    expect_gpu_close("y", d_y.host(), y);
    expect_gpu_close("logdet", d_logdet.host(), logdet, 4);
    expect_gpu_close("dx", d_dx.host(), dx);
    expect_gpu_close("dr", d_dr.host(), dr);
    expect_gpu_close("dt", d_dt.host(), dt);
  }
}

// ---- axis reductions -----------------------------------------------------------------------------------

TYPED_TEST(CudaKernels, ReductionsMatchCpu) {
  AMOR_REQUIRE_GPU();
  using T = TypeParam;
  std::mt19937 rng(7);
  const int64_t shapes[][3] = {{1000, 50, 1}, {3, 100000, 1}, {64, 1025, 1}, {20, 300, 33}, {1, 5000, 4}};
  for (const auto& s : shapes) {
    const int64_t outer = s[0], n = s[1], inner = s[2], m = outer * inner;
    SCOPED_TRACE(::testing::Message() << "[" << outer << ", " << n << ", " << inner << "]");
    auto x = random_values<T>(size_t(outer * n * inner), rng, -3, 3);
    x[7] = std::numeric_limits<T>::quiet_NaN();  // NaN propagates into one output
    DeviceBuffer<T> d_x(x), d_out(size_t(m), 0xFF);
    DeviceBuffer<int64_t> d_at(size_t(m), 0xFF);
    std::vector<T> want(static_cast<size_t>(m));
    std::vector<int64_t> want_at(static_cast<size_t>(m));
    const double sum_scale = std::sqrt(double(n));
    cpu::sum_axis(x.data(), want.data(), outer, n, inner);
    cuda::sum_axis(d_x.get(), d_out.get(), outer, n, inner);
    expect_gpu_close("sum", d_out.host(), want, sum_scale);
    cpu::mean_axis(x.data(), want.data(), outer, n, inner);
    cuda::mean_axis(d_x.get(), d_out.get(), outer, n, inner);
    expect_gpu_close("mean", d_out.host(), want, sum_scale);
    cpu::var_axis(x.data(), want.data(), outer, n, inner, int64_t{1});
    cuda::var_axis(d_x.get(), d_out.get(), outer, n, inner, int64_t{1});
    expect_gpu_close("var", d_out.host(), want, sum_scale);
    cpu::logsumexp_axis(x.data(), want.data(), outer, n, inner);
    cuda::logsumexp_axis(d_x.get(), d_out.get(), outer, n, inner);
    expect_gpu_close("logsumexp", d_out.host(), want, 4);
    cpu::max_axis(x.data(), want.data(), want_at.data(), outer, n, inner);
    cuda::max_axis(d_x.get(), d_out.get(), d_at.get(), outer, n, inner);
    expect_identical("max", d_out.host(), want);
    expect_identical("argmax", d_at.host(), want_at);
    cpu::min_axis(x.data(), want.data(), want_at.data(), outer, n, inner);
    cuda::min_axis(d_x.get(), d_out.get(), d_at.get(), outer, n, inner);
    expect_identical("min", d_out.host(), want);
    expect_identical("argmin", d_at.host(), want_at);
  }
}

// ---- random fills ---------------------------------------------------------------------------------------

// Same Philox words as the CPU: uniform, bernoulli and randint bit for bit; normal to CUDA's
// log/cos accuracy; gamma to its log/pow accuracy, except (very rarely) an element whose
// rejection test falls the other way at the last ulp.
TYPED_TEST(CudaKernels, RandomFillsMatchCpuStreams) {
  AMOR_REQUIRE_GPU();
  using T = TypeParam;
  const int64_t n = 200000;
  const uint64_t seed = 42, stream = 3, offset = (uint64_t{1} << 32) + 5;
  std::vector<T> k(static_cast<size_t>(n)), p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    k[size_t(i)] = T(0.05 + 0.1 * double(i % 50));
    p[size_t(i)] = T(double(i % 11) / 10.0);
  }
  DeviceBuffer<T> d_k(k), d_p(p), d_out(static_cast<size_t>(n), 0xFF);
  std::vector<T> want(static_cast<size_t>(n));

  cpu::fill_uniform<T>(want.data(), n, seed, stream, offset, T(-3), T(2));
  cuda::fill_uniform<T>(d_out.get(), n, seed, stream, offset, T(-3), T(2));
  expect_identical("uniform", d_out.host(), want);

  cpu::fill_normal<T>(want.data(), n, seed, stream, offset, T(1), T(0.5));
  cuda::fill_normal<T>(d_out.get(), n, seed, stream, offset, T(1), T(0.5));
  expect_gpu_close("normal", d_out.host(), want);

  cpu::fill_gamma<T>(want.data(), k.data(), T(0), n, seed, stream, offset);
  cuda::fill_gamma<T>(d_out.get(), d_k.get(), T(0), n, seed, stream, offset);
  const std::vector<T> gamma = d_out.host();
  int64_t far = 0;
  for (int64_t i = 0; i < n; ++i)
    far += testing::close(double(gamma[size_t(i)]), double(want[size_t(i)]), GpuTol<T>::atol,
                          GpuTol<T>::rtol) ? 0 : 1;
  EXPECT_LE(far, n / 10000) << "gamma elements that differ beyond rounding";

  std::vector<uint8_t> bw(static_cast<size_t>(n));
  DeviceBuffer<uint8_t> d_b(static_cast<size_t>(n), 7);
  cpu::fill_bernoulli<T>(bw.data(), p.data(), T(0), n, seed, stream, offset);
  cuda::fill_bernoulli<T>(d_b.get(), d_p.get(), T(0), n, seed, stream, offset);
  expect_identical("bernoulli", d_b.host(), bw);

  std::vector<int64_t> iw(static_cast<size_t>(n));
  DeviceBuffer<int64_t> d_i(static_cast<size_t>(n), 0xFF);
  ASSERT_TRUE(cpu::fill_randint(iw.data(), n, seed, stream, offset, -5, 1000003));
  ASSERT_TRUE(cuda::fill_randint(d_i.get(), n, seed, stream, offset, -5, 1000003));
  expect_identical("randint", d_i.host(), iw);
}

}  // namespace
}  // namespace amor::kernels

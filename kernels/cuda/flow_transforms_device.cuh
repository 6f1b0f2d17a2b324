// The elementwise flow transforms, device code and launch plan: the rational-quadratic spline
// (kernels/cpu/rq_spline.h) and the affine coupling (kernels/cpu/affine_coupling.h), both calling
// the per-element math the CPU kernels use (rq_spline::forward/backward,
// affine_coupling_math::affine_apply/affine_backward), so the two sides cannot drift apart.
// GPU entry points: kernels/cuda/rq_spline.h and kernels/cuda/affine_coupling.h.
//   spline          one thread per element, computed in double like the CPU kernel (see
//                   "Precision" in kernels/cpu/rq_spline.h).
//   affine forward  one thread per row: the row's log-det is summed in column order, as on the CPU.
//   affine backward one thread per element.
#pragma once

#include <stdexcept>
#include <string>

#include "kernels/cpu/affine_coupling_math.h"
#include "kernels/cpu/rq_spline.h"
#include "kernels/cuda/kernel_support.cuh"

namespace amor::kernels::cuda {

inline constexpr int kElementwiseThreads = 128;

template <class T>
__global__ void rq_spline_fwd_kernel(cpu::rq_spline::Spec<double> sp, bool inverse, const T* x,
                                     const T* params, int64_t count, int64_t P, T* y,
                                     T* logabsdet) {
  const int64_t e = int64_t(blockIdx.x) * kElementwiseThreads + threadIdx.x;
  if (e >= count) return;
  double ye = 0, lad = 0;
  cpu::rq_spline::forward(sp, inverse, double(x[e]), params + e * P, ye, lad);
  y[e] = T(ye);
  logabsdet[e] = T(lad);
}

template <class T>
__global__ void rq_spline_bwd_kernel(cpu::rq_spline::Spec<double> sp, bool inverse, const T* x,
                                     const T* params, const T* gy, const T* glogabsdet,
                                     int64_t count, int64_t P, T* gx, T* gparams) {
  const int64_t e = int64_t(blockIdx.x) * kElementwiseThreads + threadIdx.x;
  if (e >= count) return;
  double gxe = 0;
  cpu::rq_spline::backward(sp, inverse, double(x[e]), params + e * P, gy ? double(gy[e]) : 0.0,
                           glogabsdet ? double(glogabsdet[e]) : 0.0, gx ? &gxe : nullptr,
                           gparams ? gparams + e * P : nullptr);
  if (gx) gx[e] = T(gxe);
}

template <class T>
__global__ void affine_coupling_fwd_kernel(const T* x, int64_t ldx, const T* r, int64_t ldr,
                                           const T* t, int64_t ldt, T* y, T* logdet, int64_t n,
                                           int64_t k, bool inverse) {
  const int64_t i = int64_t(blockIdx.x) * kElementwiseThreads + threadIdx.x;
  if (i >= n) return;
  T ld = T(0);
  for (int64_t j = 0; j < k; ++j)
    y[i * k + j] = cpu::affine_coupling_math::affine_apply(x[i * ldx + j], r[i * ldr + j],
                                                           t[i * ldt + j], inverse, &ld);
  logdet[i] = ld;
}

template <class T>
__global__ void affine_coupling_bwd_kernel(const T* gy, const T* glogdet, const T* x, int64_t ldx,
                                           const T* r, int64_t ldr, const T* t, int64_t ldt,
                                           T* dx, T* dr, T* dt, int64_t n, int64_t k,
                                           bool inverse) {
  const int64_t e = int64_t(blockIdx.x) * kElementwiseThreads + threadIdx.x;
  if (e >= n * k) return;
  const int64_t i = e / k, j = e % k;
  const cpu::affine_coupling_math::AffineGrads<T> d = cpu::affine_coupling_math::affine_backward(
      gy ? gy[e] : T(0), glogdet ? glogdet[i] : T(0), x[i * ldx + j], r[i * ldr + j],
      t[i * ldt + j], inverse);
  if (dx) dx[e] = d.dx;
  if (dr) dr[e] = d.dr;
  if (dt) dt[e] = d.dt;
}

inline LaunchShape elementwise_shape(int64_t count, const char* what) {
  if (ceil_div(count, kElementwiseThreads) > int64_t{0x7fffffff})
    throw std::invalid_argument(std::string(what) + ": too many elements for one grid");
  return {dim3(unsigned(ceil_div(count, kElementwiseThreads))), dim3(kElementwiseThreads), 0};
}

inline void check_rq_spline_config(const cpu::RQSplineConfig& c) {
  if (c.num_bins < 1 || c.num_bins > cpu::kRQSplineMaxBins || !(c.tail_bound > 0) ||
      c.min_bin_width * double(c.num_bins) > 1 || c.min_bin_height * double(c.num_bins) > 1)
    throw std::invalid_argument("cuda rq_spline: invalid spline configuration");
}

template <class T, class Launch>
void run_rq_spline_fwd(const cpu::RQSplineConfig& config, bool inverse, const T* x,
                       const T* params, int64_t count, T* y, T* logabsdet, Launch&& launch) {
  check_rq_spline_config(config);
  if (count <= 0) return;
  launch(elementwise_shape(count, "cuda rq_spline_fwd"), rq_spline_fwd_kernel<T>,
         cpu::rq_spline::make_spec<double>(config), inverse, x, params, count,
         cpu::rq_spline_num_params(config.num_bins), y, logabsdet);
}

template <class T, class Launch>
void run_rq_spline_bwd(const cpu::RQSplineConfig& config, bool inverse, const T* x,
                       const T* params, const T* gy, const T* glogabsdet, int64_t count, T* gx,
                       T* gparams, Launch&& launch) {
  check_rq_spline_config(config);
  if (count <= 0 || (gx == nullptr && gparams == nullptr)) return;
  launch(elementwise_shape(count, "cuda rq_spline_bwd"), rq_spline_bwd_kernel<T>,
         cpu::rq_spline::make_spec<double>(config), inverse, x, params, gy, glogabsdet, count,
         cpu::rq_spline_num_params(config.num_bins), gx, gparams);
}

template <class T, class Launch>
void run_affine_coupling_fwd(const T* x, int64_t ldx, const T* r, int64_t ldr, const T* t,
                             int64_t ldt, T* y, T* logdet, int64_t n, int64_t k, bool inverse,
                             Launch&& launch) {
  if (n < 0 || k < 0) throw std::invalid_argument("cuda affine_coupling_fwd: negative shape");
  if (n == 0) return;
  launch(elementwise_shape(n, "cuda affine_coupling_fwd"), affine_coupling_fwd_kernel<T>, x, ldx,
         r, ldr, t, ldt, y, logdet, n, k, inverse);
}

template <class T, class Launch>
void run_affine_coupling_bwd(const T* gy, const T* glogdet, const T* x, int64_t ldx, const T* r,
                             int64_t ldr, const T* t, int64_t ldt, T* dx, T* dr, T* dt, int64_t n,
                             int64_t k, bool inverse, Launch&& launch) {
  if (n < 0 || k < 0) throw std::invalid_argument("cuda affine_coupling_bwd: negative shape");
  if (n == 0 || k == 0 || (!dx && !dr && !dt)) return;
  launch(elementwise_shape(n * k, "cuda affine_coupling_bwd"), affine_coupling_bwd_kernel<T>, gy,
         glogdet, x, ldx, r, ldr, t, ldt, dx, dr, dt, n, k, inverse);
}

}  // namespace amor::kernels::cuda

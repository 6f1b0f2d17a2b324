// Monotone rational-quadratic spline with linear tails (Durkan, Bekasov, Murray & Papamakarios,
// "Neural Spline Flows", NeurIPS 2019), with the semantics of nflows'
// unconstrained_rational_quadratic_spline(tails="linear"), the transform of sbi's NSF.
//
// Each element x has its own spline, given by 3K - 1 unnormalised parameters
//   p = [ u_w (K widths) | u_h (K heights) | u_d (K - 1 interior derivatives) ].
// On [-B, B] (B = tail_bound):
//   bin sizes   w'_k = min_w + (1 - min_w·K)·softmax(u_w)_k, likewise h'_k with min_h;
//   knots       X_0 = -B, X_j = 2B·cumsum(w')_j - B (0 < j < K), X_K = B; W_k = X_{k+1} - X_k;
//               Y_j and H_k the same from h';
//   derivatives D_0 = D_K = min_d + softplus(log(e^{1 - min_d} - 1)) (= 1: linear tails),
//               D_j = min_d + softplus(u_d[j - 1]) for 0 < j < K;
//   bin of x    k = #{0 < j < K : X_j <= x}  (nflows' searchsorted; its eps on the last knot only
//               keeps x = B in bin K-1, which this count does by construction);
//   in bin k    θ = (x - X_k)/W_k, s = H_k/W_k, θ(1-θ) = τ,
//               y = Y_k + H_k·(s θ² + D_k τ) / (s + (D_k + D_{k+1} - 2s) τ),
//               log|dy/dx| = log(s²·(D_{k+1} θ² + 2 s τ + D_k (1-θ)²)) - 2 log(s + (D_k + D_{k+1} - 2s) τ).
// Outside [-B, B] (and for NaN x) y = x and log|dy/dx| = 0. The inverse locates x among the
// Y_j and solves the quadratic for θ with the cancellation-free root 2c / (-b - sqrt(b² - 4ac)).
//
// Two departures from nflows, both below float32 resolution: softplus is the smooth
// max(x, 0) + log1p(e^{-|x|}) of core/ops (torch switches to x above 20, a difference under
// 2.1e-9), and the inverse clamps a discriminant that rounding made negative to 0 (nflows
// asserts instead).
//
// Gradients. The backward recomputes the element's bin and differentiates analytically: first
// with respect to the bin's local quantities (X_k, W_k, Y_k, H_k, D_k, D_{k+1}), then through the
// cumulative sum and softmax of each axis and the softplus of the derivatives. The inverse's θ is
// differentiated implicitly (dθ/dv = -(∂y/∂v)/(∂y/∂θ)), which is exact for the true root and
// needs no derivative of the square root. Elements outside [-B, B] get dx = dy and zero
// parameter gradients.
//
// Everything per element is a plain inline function below (AMOR_HOST_DEVICE, no allocation; the
// softmax probabilities live in a local array), so a CUDA kernel can call the same code.
// They take the parameters' storage type S and compute in a type T. rq_spline_fwd /
// rq_spline_bwd run them over contiguous buffers on OpenMP threads, each element writing only its
// own outputs, so results do not depend on the thread count.
//
// Precision: the CPU kernels compute in double for float32 data too. In float32 the spline is
// ill-conditioned in its own parameters (θ = (x - X_k)/W_k with knots that are running sums of
// softmax terms, gradients that subtract nearly equal terms), so a float32 evaluation, nflows'
// included, is off by up to ~5e-5 (relative) in log|det| and the gradients for N(0, 1)
// parameters; computed in double only the final rounding to float32 remains. The per-element
// code is scalar, so double costs little here.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/host_device.h"

namespace amor::kernels::cpu {

// The spline's fixed settings; the minima are nflows' defaults.
struct RQSplineConfig {
  int64_t num_bins = 10;  // K
  double tail_bound = 3.0;  // B
  double min_bin_width = 1e-3;
  double min_bin_height = 1e-3;
  double min_derivative = 1e-3;
};

// The most bins a spline may have: the per-element code keeps the softmax probabilities of both
// axes in a local array of 2·kRQSplineMaxBins values.
inline constexpr int64_t kRQSplineMaxBins = 64;

// Parameters per element: K widths, K heights, K - 1 interior derivatives.
constexpr int64_t rq_spline_num_params(int64_t num_bins) { return 3 * num_bins - 1; }

// x, y, logabsdet: [count] contiguous; params: [count, 3K-1] contiguous. Forward (inverse =
// false) maps x to y = g(x); inverse maps x to g^{-1}(x). logabsdet is log|d out / d in|.
// The config must satisfy 1 <= K <= kRQSplineMaxBins, B > 0, min_bin_width·K <= 1,
// min_bin_height·K <= 1 (checked by core).
template <class T>
void rq_spline_fwd(const RQSplineConfig& config, bool inverse, const T* x, const T* params,
                   int64_t count, T* y, T* logabsdet);

// x, params as given to rq_spline_fwd; gy, glogabsdet: [count] upstream gradients of y and
// logabsdet (either may be null: zero). gx: [count], gparams: [count, 3K-1], overwritten (either
// may be null: not wanted).
template <class T>
void rq_spline_bwd(const RQSplineConfig& config, bool inverse, const T* x, const T* params,
                   const T* gy, const T* glogabsdet, int64_t count, T* gx, T* gparams);

// ---------------------------------------------------------------------------------------------
// Per-element math
// ---------------------------------------------------------------------------------------------
namespace rq_spline {

// The config converted to T once per call.
template <class T>
struct Spec {
  int K;
  T bound;  // B
  T min_width, min_height, min_derivative;
  T boundary_derivative;  // D_0 = D_K
};

template <class T>
AMOR_HOST_DEVICE inline T softplus(T x) {
  return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::fabs(x)));
}

template <class T>
AMOR_HOST_DEVICE inline T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

template <class T>
inline Spec<T> make_spec(const RQSplineConfig& c) {
  Spec<T> s{};
  s.K = static_cast<int>(c.num_bins);
  s.bound = T(c.tail_bound);
  s.min_width = T(c.min_bin_width);
  s.min_height = T(c.min_bin_height);
  s.min_derivative = T(c.min_derivative);
  // nflows pads u_d with this float64 constant, cast to the tensor's dtype, then applies the
  // same min_d + softplus as to the interior derivatives.
  const double pad = std::log(std::exp(1.0 - c.min_derivative) - 1.0);
  s.boundary_derivative = s.min_derivative + softplus(T(pad));
  return s;
}

// One axis of the spline (widths along x or heights along y): K bins of sizes
// min + (1 - min·K)·softmax(u) laid end to end on [-B, B]. Knot j is E_j = 2B·cw_j - B with
// cw_j = Σ_{i<j} size_i summed in order (torch.cumsum), E_0 = -B and E_K = B exactly.
// The softmax probabilities are computed once, as torch does (exp(u - max) · (1/Σ)), into the
// caller's scratch p[0..K).
template <class T, class S>
struct Axis {
  T* p;  // [K] softmax(u), in the caller's scratch
  int K;
  T lo, hi, span;      // -B, B, 2B
  T min_size, scale;   // scale = 1 - min_size·K

  AMOR_HOST_DEVICE Axis(const S* u, int K_, T bound, T min_size_, T* scratch)
      : p(scratch), K(K_), lo(-bound), hi(bound), span(T(2) * bound), min_size(min_size_),
        scale(T(1) - min_size_ * T(K_)) {
    T max_u = T(u[0]);
    for (int j = 1; j < K; ++j) max_u = T(u[j]) > max_u ? T(u[j]) : max_u;
    T sum = T(0);
    for (int j = 0; j < K; ++j) {
      p[j] = std::exp(T(u[j]) - max_u);
      sum += p[j];
    }
    const T inv = T(1) / sum;
    for (int j = 0; j < K; ++j) p[j] *= inv;
  }

  // The bin holding v: the number of interior knots E_1..E_{K-1} at or below v.
  AMOR_HOST_DEVICE int find(T v) const {
    T cw = T(0);
    int bin = 0;
    for (int j = 0; j + 1 < K; ++j) {
      cw += min_size + scale * p[j];
      bin += (span * cw + lo <= v) ? 1 : 0;
    }
    return bin;
  }

  // Knot E_b, size E_{b+1} - E_b, the softmax mass Σ_{j<b} p_j before bin b, and p_b.
  AMOR_HOST_DEVICE void bin(int b, T& left, T& size, T& mass_before, T& p_b) const {
    T cw = T(0);
    mass_before = T(0);
    for (int j = 0; j < b; ++j) {
      mass_before += p[j];
      cw += min_size + scale * p[j];
    }
    p_b = p[b];
    left = b > 0 ? span * cw + lo : lo;
    const T right = b + 1 < K ? span * (cw + (min_size + scale * p_b)) + lo : hi;
    size = right - left;
  }

  // gu[0..K) = dL/du given g_left = dL/dE_b and g_size = dL/d(E_{b+1} - E_b).
  //   dL/dcw_b = 2B·(g_left - g_size) (b > 0), dL/dcw_{b+1} = 2B·g_size (b + 1 < K);
  //   dL/dp_i = scale·(dL/dcw_b·[i < b] + dL/dcw_{b+1}·[i <= b]);
  //   dL/du_i = p_i·(dL/dp_i - Σ_j p_j·dL/dp_j)  (softmax).
  AMOR_HOST_DEVICE void backward(int b, T g_left, T g_size, T mass_before, T p_b, S* gu) const {
    const T g_lo = b > 0 ? span * (g_left - g_size) : T(0);
    const T g_hi = b + 1 < K ? span * g_size : T(0);
    const T dot = scale * (g_lo * mass_before + g_hi * (mass_before + p_b));
    for (int i = 0; i < K; ++i) {
      const T gp = scale * ((i < b ? g_lo : T(0)) + (i <= b ? g_hi : T(0)));
      gu[i] = S(p[i] * (gp - dot));
    }
  }
};

// D_j: the boundary constant at j = 0 and j = K, min_d + softplus(u_d[j - 1]) inside.
template <class T, class S>
AMOR_HOST_DEVICE inline T knot_derivative(const Spec<T>& sp, const S* ud, int j) {
  return (j == 0 || j == sp.K) ? sp.boundary_derivative : sp.min_derivative + softplus(T(ud[j - 1]));
}

// Everything about the bin of one element inside [-B, B].
template <class T>
struct Located {
  int b;
  T x_lo, w, y_lo, h;  // X_b, W_b, Y_b, H_b
  T d0, d1;            // D_b, D_{b+1}
  T w_mass, w_p, h_mass, h_p;  // softmax masses for Axis::backward
};

template <class T, class S>
AMOR_HOST_DEVICE inline Located<T> locate(const Spec<T>& sp, bool inverse, T v,
                                          const Axis<T, S>& wa, const Axis<T, S>& ha, const S* ud) {
  Located<T> L{};
  L.b = inverse ? ha.find(v) : wa.find(v);
  wa.bin(L.b, L.x_lo, L.w, L.w_mass, L.w_p);
  ha.bin(L.b, L.y_lo, L.h, L.h_mass, L.h_p);
  L.d0 = knot_derivative(sp, ud, L.b);
  L.d1 = knot_derivative(sp, ud, L.b + 1);
  return L;
}

// The forward map inside bin (θ, s = H/W) as nflows writes it: y and log|dy/dx|.
template <class T>
AMOR_HOST_DEVICE inline void bin_forward(T t, T s, const Located<T>& L, T& y, T& lad) {
  const T tau = t * (T(1) - t);
  const T numerator = L.h * (s * t * t + L.d0 * tau);
  const T denominator = s + (L.d0 + L.d1 - T(2) * s) * tau;
  y = L.y_lo + numerator / denominator;
  const T dnum = s * s * (L.d1 * t * t + T(2) * s * tau + L.d0 * (T(1) - t) * (T(1) - t));
  lad = std::log(dnum) - T(2) * std::log(denominator);
}

// θ in [0, 1] with y(θ) = v inside the bin: the root of a θ² + b θ + c = 0 in nflows' form.
template <class T>
AMOR_HOST_DEVICE inline T bin_inverse_theta(T v, T s, const Located<T>& L) {
  const T dy = v - L.y_lo;
  const T q = L.d0 + L.d1 - T(2) * s;
  const T a = dy * q + L.h * (s - L.d0);
  const T b = L.h * L.d0 - dy * q;
  const T c = -s * dy;
  const T disc = b * b - T(4) * a * c;
  return (T(2) * c) / (-b - std::sqrt(disc > T(0) ? disc : T(0)));
}

// Partial derivatives at θ of f = Y + H·num/den (y as a function of θ, s, H, D_b, D_{b+1}) and
// of lf = log(s²·N) - 2 log(den), with num = sθ² + D_b τ, den = s + (D_b + D_{b+1} - 2s) τ,
// N = D_{b+1} θ² + 2 s τ + D_b (1-θ)², τ = θ(1-θ).
template <class T>
struct Partials {
  T f_t, f_s, f_h, f_d0, f_d1;
  T l_t, l_s, l_d0, l_d1;
};

template <class T>
AMOR_HOST_DEVICE inline Partials<T> partials(T t, T s, const Located<T>& L) {
  const T d0 = L.d0, d1 = L.d1, h = L.h;
  const T tau = t * (T(1) - t), dtau = T(1) - T(2) * t, omt = T(1) - t;
  const T q = d0 + d1 - T(2) * s;
  const T num = s * t * t + d0 * tau;
  const T den = s + q * tau;
  const T n2 = d1 * t * t + T(2) * s * tau + d0 * omt * omt;
  const T inv_den = T(1) / den, inv_n2 = T(1) / n2;
  const T hd2 = h * inv_den * inv_den;
  Partials<T> P{};
  // ∂(num/den)/∂θ = s·N/den² (the familiar dy/dx = s²N/den² times W = H/s); always > 0.
  P.f_t = h * s * n2 * inv_den * inv_den;
  P.f_s = hd2 * (t * t * den - num * (T(1) - T(2) * tau));
  P.f_h = num * inv_den;
  P.f_d0 = hd2 * tau * (den - num);
  P.f_d1 = -hd2 * tau * num;
  P.l_t = (T(2) * d1 * t + T(2) * s * dtau - T(2) * d0 * omt) * inv_n2 - T(2) * q * dtau * inv_den;
  P.l_s = T(2) / s + T(2) * tau * inv_n2 - T(2) * (T(1) - T(2) * tau) * inv_den;
  P.l_d0 = omt * omt * inv_n2 - T(2) * tau * inv_den;
  P.l_d1 = t * t * inv_n2 - T(2) * tau * inv_den;
  return P;
}

// y and log|dy/dx| of one element; p: [3K-1] stored as S, everything computed in T.
template <class T, class S>
AMOR_HOST_DEVICE inline void forward(const Spec<T>& sp, bool inverse, T x, const S* p, T& y,
                                     T& lad) {
  if (!(x >= -sp.bound && x <= sp.bound)) {  // tails (and NaN): identity
    y = x;
    lad = T(0);
    return;
  }
  T scratch[2 * kRQSplineMaxBins];
  const Axis<T, S> wa(p, sp.K, sp.bound, sp.min_width, scratch);
  const Axis<T, S> ha(p + sp.K, sp.K, sp.bound, sp.min_height, scratch + kRQSplineMaxBins);
  const Located<T> L = locate(sp, inverse, x, wa, ha, p + 2 * sp.K);
  const T s = L.h / L.w;
  if (!inverse) {
    bin_forward((x - L.x_lo) / L.w, s, L, y, lad);
  } else {
    const T t = bin_inverse_theta(x, s, L);
    T y_unused, lad_fwd;
    bin_forward(t, s, L, y_unused, lad_fwd);
    y = t * L.w + L.x_lo;
    lad = -lad_fwd;
  }
}

// Gradients of one element given the upstream gradients gy (of y) and gl (of log|det|).
// gx may be null (not wanted); gp: [3K-1] or null.
template <class T, class S>
AMOR_HOST_DEVICE inline void backward(const Spec<T>& sp, bool inverse, T x, const S* p, T gy,
                                      T gl, T* gx, S* gp) {
  const int P = 3 * sp.K - 1;
  if (!(x >= -sp.bound && x <= sp.bound)) {
    if (gx) *gx = gy;
    if (gp)
      for (int i = 0; i < P; ++i) gp[i] = S(0);
    return;
  }
  const S* ud = p + 2 * sp.K;
  T scratch[2 * kRQSplineMaxBins];
  const Axis<T, S> wa(p, sp.K, sp.bound, sp.min_width, scratch);
  const Axis<T, S> ha(p + sp.K, sp.K, sp.bound, sp.min_height, scratch + kRQSplineMaxBins);
  const Located<T> L = locate(sp, inverse, x, wa, ha, ud);
  const T s = L.h / L.w;
  // Gradients with respect to the bin's local quantities; s = H/W is folded in at the end.
  T g_xlo, g_w, g_ylo, g_h, g_s, g_d0, g_d1;
  if (!inverse) {
    const T t = (x - L.x_lo) / L.w;
    const Partials<T> d = partials(t, s, L);
    const T g_t = gy * d.f_t + gl * d.l_t;
    g_s = gy * d.f_s + gl * d.l_s;
    g_d0 = gy * d.f_d0 + gl * d.l_d0;
    g_d1 = gy * d.f_d1 + gl * d.l_d1;
    g_h = gy * d.f_h;
    g_ylo = gy;
    if (gx) *gx = g_t / L.w;
    g_xlo = -g_t / L.w;
    g_w = -g_t * t / L.w;
  } else {
    // out = X + W·θ with f(θ) = x; lad = -lf(θ). θ's dependence on (x, Y, H, s, D) is implicit.
    const T t = bin_inverse_theta(x, s, L);
    const Partials<T> d = partials(t, s, L);
    const T g_t = gy * L.w - gl * d.l_t;
    const T g_f = g_t / d.f_t;  // dL/d(target value of f)
    g_s = -gl * d.l_s - g_f * d.f_s;
    g_d0 = -gl * d.l_d0 - g_f * d.f_d0;
    g_d1 = -gl * d.l_d1 - g_f * d.f_d1;
    g_h = -g_f * d.f_h;
    g_ylo = -g_f;
    if (gx) *gx = g_f;
    g_xlo = gy;
    g_w = gy * t;
  }
  if (!gp) return;
  g_h += g_s / L.w;
  g_w -= g_s * s / L.w;
  wa.backward(L.b, g_xlo, g_w, L.w_mass, L.w_p, gp);
  ha.backward(L.b, g_ylo, g_h, L.h_mass, L.h_p, gp + sp.K);
  S* gd = gp + 2 * sp.K;
  for (int j = 0; j + 1 < sp.K; ++j) gd[j] = S(0);
  if (L.b > 0) gd[L.b - 1] = S(g_d0 * sigmoid(T(ud[L.b - 1])));
  if (L.b + 1 < sp.K) gd[L.b] = S(g_d1 * sigmoid(T(ud[L.b])));
}

}  // namespace rq_spline
}  // namespace amor::kernels::cpu

// Per-element math of the affine coupling transform (BayesFlow's AffineTransform with its soft
// clamp), as plain inline functions that a CUDA kernel can call too (AMOR_HOST_DEVICE, only C
// math functions that both libm and the CUDA math library provide).
//
// For a raw (unconstrained) scale parameter r:
//   a = asinh(r)                         soft clamp: ~r near 0, ~sign(r)·log(2|r|) for large |r|
//   σ = softplus(a + log(e − 1))         positive, σ = 1 at r = 0 (BayesFlow's shifted_softplus)
//   s = log σ                            the log-scale
// forward:  y = x·σ + t,        log|det| contribution  s
// inverse:  y = (x − t) / σ,    log|det| contribution −s
// Derivatives, with q = ds/dr = sigmoid(a + log(e − 1)) / (σ·√(1 + r²)):
// forward:  ∂y/∂x = σ, ∂y/∂t = 1, ∂y/∂r = x·σ·q, ∂s/∂r = q
// inverse:  ∂y/∂x = 1/σ, ∂y/∂t = −1/σ, ∂y/∂r = −y·q, ∂(−s)/∂r = −q
#pragma once

#include <math.h>

#include "kernels/host_device.h"

namespace amor::kernels::cpu::affine_coupling_math {

// log(e − 1): the shift that makes softplus(0 + shift) = 1.
inline constexpr double kSoftplusShift = 0.54132485461291805;

AMOR_HOST_DEVICE inline float m_asinh(float x) { return asinhf(x); }
AMOR_HOST_DEVICE inline double m_asinh(double x) { return asinh(x); }
AMOR_HOST_DEVICE inline float m_exp(float x) { return expf(x); }
AMOR_HOST_DEVICE inline double m_exp(double x) { return exp(x); }
AMOR_HOST_DEVICE inline float m_log(float x) { return logf(x); }
AMOR_HOST_DEVICE inline double m_log(double x) { return log(x); }
AMOR_HOST_DEVICE inline float m_log1p(float x) { return log1pf(x); }
AMOR_HOST_DEVICE inline double m_log1p(double x) { return log1p(x); }
AMOR_HOST_DEVICE inline float m_hypot(float x, float y) { return hypotf(x, y); }
AMOR_HOST_DEVICE inline double m_hypot(double x, double y) { return hypot(x, y); }

// Everything the forward, inverse and backward need from r.
template <class T>
struct AffineScale {
  T scale;      // σ
  T log_scale;  // s = log σ
  T dlog_scale; // q = ds/dr
};

template <class T>
AMOR_HOST_DEVICE inline AffineScale<T> affine_scale(T r) {
  const T z = m_asinh(r) + T(kSoftplusShift);
  // softplus(z) = max(z, 0) + log1p(e^−|z|), sigmoid(z) = e^{min(z,0)} / (1 + e^−|z|): stable both ways.
  const T e = m_exp(z < T(0) ? z : -z);  // e^−|z|
  const T softplus = (z > T(0) ? z : T(0)) + m_log1p(e);
  const T sigmoid = z >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
  AffineScale<T> out;
  out.scale = softplus;
  out.log_scale = m_log(softplus);
  out.dlog_scale = sigmoid / (softplus * m_hypot(T(1), r));  // hypot: no overflow for huge r
  return out;
}

// y = x·σ + t (forward) or (x − t)/σ (inverse); returns y and adds ±s to *logdet.
template <class T>
AMOR_HOST_DEVICE inline T affine_apply(T x, T r, T t, bool inverse, T* logdet) {
  const AffineScale<T> a = affine_scale(r);
  if (inverse) {
    *logdet -= a.log_scale;
    return (x - t) / a.scale;
  }
  *logdet += a.log_scale;
  return x * a.scale + t;
}

// Gradients of one element given gy = ∂L/∂y and gl = ∂L/∂logdet of its row.
template <class T>
struct AffineGrads {
  T dx, dr, dt;
};

template <class T>
AMOR_HOST_DEVICE inline AffineGrads<T> affine_backward(T gy, T gl, T x, T r, T t, bool inverse) {
  const AffineScale<T> a = affine_scale(r);
  AffineGrads<T> g;
  if (inverse) {
    const T inv = T(1) / a.scale;
    const T y = (x - t) * inv;
    g.dx = gy * inv;
    g.dt = -gy * inv;
    g.dr = -a.dlog_scale * (gy * y + gl);
  } else {
    g.dx = gy * a.scale;
    g.dt = gy;
    g.dr = a.dlog_scale * (gy * x * a.scale + gl);
  }
  return g;
}

}  // namespace amor::kernels::cpu::affine_coupling_math

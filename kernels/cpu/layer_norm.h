// Layer normalisation over the last axis, fused forward and backward (llm.c's layernorm pair).
//
//   mean = sum(x) / C,  var = sum((x - mean)^2) / C   (two-pass, biased),
//   rstd = 1 / sqrt(var + eps),  xhat = (x - mean) * rstd,  y = xhat * w + b.
//
// Rows are independent and split over OpenMP threads. The parameter gradients, which sum over
// rows, are accumulated per fixed block of rows and the block partials added in a fixed order,
// so every output is bitwise identical whatever the thread count. Instantiated for float and
// double.
#pragma once

#include <cstdint>

namespace amor::kernels::cpu {

// Rows a block of the layer_norm_bwd parameter-gradient reduction covers.
inline constexpr int64_t kLayerNormRowBlock = 64;

// x, y: [rows, C] contiguous; w, b: [C] (each may be null: weight 1, bias 0);
// mean, rstd: [rows] (each may be null when not needed). y may alias x.
template <class T>
void layer_norm_fwd(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t rows,
                    int64_t C, T eps);

// dy, x, dx: [rows, C] contiguous; w: [C] (null = weight 1); mean, rstd: [rows] from the forward.
//   dx = rstd * (g - mean_C(g) - xhat * mean_C(g * xhat)),  g = dy * w
//   dw = sum_rows(dy * xhat),  db = sum_rows(dy)
// dx, dw, db may each be null (not wanted); dw and db are overwritten, not accumulated.
// dx may alias dy or x.
template <class T>
void layer_norm_bwd(const T* dy, const T* x, const T* w, const T* mean, const T* rstd, T* dx, T* dw,
                    T* db, int64_t rows, int64_t C);

}  // namespace amor::kernels::cpu

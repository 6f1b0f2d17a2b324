// The differentiable (and a few non-differentiable) tensor ops. Each is implemented in
// core/ops/<family>.cpp with its backward written beside its forward.
//
// Conventions:
// - Binary ops broadcast NumPy-style; both operands must have the same dtype and device
//   (a C++ double operand adopts the tensor's dtype).
// - Floating ops accept float32 and float64; comparisons return bool tensors.
// - Axes may be negative. `keepdim` keeps reduced axes with size 1.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace amor {

// ---- elementwise binary (core/ops/binary.cpp) -------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);  // a > 0 where b is not an integer
Tensor pow(const Tensor& a, double exponent);
Tensor minimum(const Tensor& a, const Tensor& b);  // ties send the gradient half to each
Tensor maximum(const Tensor& a, const Tensor& b);
// Selects a where mask is true, else b (mask: bool, broadcasts). Gradient flows to the chosen side.
Tensor where(const Tensor& mask, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& mask, const Tensor& a, double b);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator-(const Tensor& a);

// Comparisons and logic (no gradient; bool results).
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, double b);
Tensor gt(const Tensor& a, double b);
Tensor logical_not(const Tensor& a);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor isfinite(const Tensor& a);
bool all(const Tensor& mask);
bool any(const Tensor& mask);
// True when every element is finite (fast check for NaN/inf in simulations and losses).
bool all_finite(const Tensor& a);

// ---- elementwise unary (core/ops/unary.cpp) ---------------------------------------------------
Tensor neg(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor log1p(const Tensor& a);
Tensor expm1(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor rsqrt(const Tensor& a);
Tensor abs(const Tensor& a);  // gradient 0 at 0
Tensor square(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor sigmoid(const Tensor& a);
Tensor logsigmoid(const Tensor& a);
Tensor softplus(const Tensor& a);  // log(1 + e^a), stable for large |a|
Tensor relu(const Tensor& a);
Tensor gelu(const Tensor& a, bool tanh_approximation = false);
Tensor silu(const Tensor& a);
Tensor sin(const Tensor& a);
Tensor cos(const Tensor& a);
// Limits to [lo, hi]; either bound may be absent. Gradient 1 strictly inside, 0 outside.
Tensor clamp(const Tensor& a, std::optional<double> lo, std::optional<double> hi);

// ---- matmul (core/ops/matmul.cpp) -------------------------------------------------------------
// 1-D·1-D dot, 2-D·2-D, and batched [..., M, K]·[..., K, N] with broadcast batch axes.
Tensor matmul(const Tensor& a, const Tensor& b);
// y = x·Wᵀ + b with x: [..., in], weight: [out, in], bias: [out] or undefined. One GEMM.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// ---- reductions (core/ops/reduce.cpp) ---------------------------------------------------------
// An empty `axes` list reduces over every axis.
Tensor sum(const Tensor& a, const std::vector<int64_t>& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& a, const std::vector<int64_t>& axes = {}, bool keepdim = false);
// Variance with `correction` (1 = unbiased, as torch.var's default).
Tensor var(const Tensor& a, const std::vector<int64_t>& axes = {}, int64_t correction = 1,
           bool keepdim = false);
// Max/min over one axis; the gradient goes to the first maximal element.
Tensor max(const Tensor& a, int64_t axis, bool keepdim = false);
Tensor min(const Tensor& a, int64_t axis, bool keepdim = false);
Tensor argmax(const Tensor& a, int64_t axis, bool keepdim = false);  // int64, no gradient
Tensor max(const Tensor& a);  // over all elements
Tensor min(const Tensor& a);
Tensor logsumexp(const Tensor& a, int64_t axis, bool keepdim = false);
Tensor softmax(const Tensor& a, int64_t axis);
Tensor log_softmax(const Tensor& a, int64_t axis);
Tensor cumsum(const Tensor& a, int64_t axis);
// Sums `a` down to `shape` (the reverse of broadcasting); the gradient of expand.
Tensor sum_to(const Tensor& a, const Shape& shape);

// ---- joining and indexing (core/ops/index.cpp) ------------------------------------------------
Tensor concat(const std::vector<Tensor>& tensors, int64_t axis);
Tensor stack(const std::vector<Tensor>& tensors, int64_t axis);
std::vector<Tensor> split(const Tensor& a, const std::vector<int64_t>& sizes, int64_t axis);
std::vector<Tensor> chunk(const Tensor& a, int64_t chunks, int64_t axis);
// index: int64, 1-D. out = a.index over `axis` at `index`.
Tensor index_select(const Tensor& a, int64_t axis, const Tensor& index);
// out[i][j] = a[i][index[i][j]] (axis 1), etc.; index has a's number of axes.
Tensor gather(const Tensor& a, int64_t axis, const Tensor& index);
// Returns a copy of `a` with src added at index along axis (duplicates accumulate).
Tensor scatter_add(const Tensor& a, int64_t axis, const Tensor& index, const Tensor& src);
// Sets elements where mask (bool, broadcasts to a) is true to value; their gradient is 0.
Tensor masked_fill(const Tensor& a, const Tensor& mask, double value);
// For each value, the index of the first sorted element >= value (or > value when right).
// sorted: [..., K] ascending along the last axis; values: [..., M]; returns int64. No gradient.
Tensor searchsorted(const Tensor& sorted, const Tensor& values, bool right = false);

// ---- normalisation (core/ops/layer_norm.cpp) --------------------------------------------------
// Normalises over the last axis; weight and bias: [C] or undefined. Fused forward and backward.
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps = 1e-5);

// ---- attention (core/ops/attention.cpp) -------------------------------------------------------
// Fused masked multi-head attention: out = softmax(q·kᵀ·scale, masked)·v per (batch, head).
// q, k, v: [B, T, H, D] (any strides with a unit head-dim stride, e.g. slices of a packed QKV
// projection); mask: bool [T, T] or [B, T, T], true = query row may attend key column, or
// undefined for full attention; scale <= 0 means 1/√D. Returns [B, T, H, D] contiguous.
// Mask contract: a query row with no allowed key gets output 0 and zero gradients, never NaN.
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask = Tensor(),
                 double scale = 0.0);
// The same on a packed projection: qkv [B, T, 3, H, D] holds q, k, v at index 0, 1, 2 of axis 2
// (what a d → 3·H·D Linear gives, viewed as [B, T, 3, H, D]). Returns [B, T, H, D] contiguous.
// Equal to attention(qkv.select(2, 0), qkv.select(2, 1), qkv.select(2, 2), mask, scale), but the
// backward writes one [B, T, 3, H, D] gradient instead of three that autograd would scatter into
// zero-filled copies of qkv and add.
Tensor attention_qkv(const Tensor& qkv, const Tensor& mask = Tensor(), double scale = 0.0);

// ---- convolution (core/ops/conv.cpp) ----------------------------------------------------------
// 1-D convolution (cross-correlation, as PyTorch's conv1d) along the length axis of a
// channels-last input, the layout of time series ([B, L, channels]) throughout amor:
//   out[b, t, o] = bias[o] + Σ_{c, k} weight[o, c, k] · x_pad[b, t·stride + k·dilation, c]
// where x_pad is x with `pad_left` zeros before and `pad_right` zeros after the sequence.
// x: [B, L, C_in]; weight: [C_out, C_in, K] (PyTorch's layout); bias: [C_out] or undefined.
// Returns [B, L_out, C_out] with L_out = (L + pad_left + pad_right - dilation·(K - 1) - 1) / stride + 1.
// ShapeError when the shapes disagree or L_out < 1; ValueError for stride/dilation < 1 or negative
// padding. Built from slices, one concat (an im2col) and one GEMM, so autodiff gives its gradient.
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), int64_t stride = 1,
              int64_t pad_left = 0, int64_t pad_right = 0, int64_t dilation = 1);

// ---- normalizing flows (core/ops/affine_coupling.cpp) ------------------------------------------
// The elementwise part of an affine coupling layer, one fused kernel forward and backward
// (kernels/cpu/affine_coupling). x, raw_scale, shift: [n, k], same dtype; each may be any 2-D
// view with a unit column stride (e.g. column slices of one conditioner output) -- others are
// copied. With BayesFlow's soft-clamped scale σ = softplus(asinh(raw_scale) + log(e − 1)):
//   forward:  y = x·σ + shift,      logabsdet = Σ_j log σ        -> {y [n, k], logabsdet [n]}
//   inverse:  y = (x − shift)/σ,    logabsdet = −Σ_j log σ
// Differentiable in all three inputs.
std::pair<Tensor, Tensor> affine_coupling(const Tensor& x, const Tensor& raw_scale,
                                          const Tensor& shift, bool inverse = false);

// ---- rational-quadratic spline (core/ops/rq_spline.cpp) ----------------------------------------
// The monotone rational-quadratic spline of Neural Spline Flows with linear tails, as nflows'
// unconstrained_rational_quadratic_spline(tails="linear"); kernels/cpu/rq_spline.h has the math.
struct RQSplineOptions {
  int64_t num_bins = 10;   // K
  double tail_bound = 3.0;  // B: the spline maps [-B, B] onto itself, identity outside
  double min_bin_width = 1e-3;
  double min_bin_height = 1e-3;
  double min_derivative = 1e-3;
  bool inverse = false;  // evaluate the inverse spline instead
};
struct RQSplineOutputs {
  Tensor outputs;    // shaped like the inputs
  Tensor logabsdet;  // per element, shaped like the inputs: log|d output_i / d input_i|
};
// inputs: [...]; params: [..., 3K-1] unnormalised (K widths, K heights, K-1 interior
// derivatives), each element's spline in its own row. The log-determinant is returned per element
// (the Jacobian is diagonal) so callers sum over whichever features they transform. Fused kernel
// forward and backward; differentiable with respect to inputs and params. Both contiguous copies
// are saved for the backward.
RQSplineOutputs rational_quadratic_spline(const Tensor& inputs, const Tensor& params,
                                          const RQSplineOptions& options = {});

}  // namespace amor

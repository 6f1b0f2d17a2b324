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

}  // namespace amor

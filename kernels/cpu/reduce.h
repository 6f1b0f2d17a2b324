// Axis reductions on contiguous tensors.
//
// Layout: the input is viewed as x: [outer, n, inner] contiguous, where n is the length of the
// reduced axis and inner the product of the trailing sizes; the output is [outer, inner]
// contiguous. A full reduction is outer = inner = 1.
//
// Summation is pairwise (error O(log n)), and its order depends only on the sizes: results are
// bitwise identical whatever the number of OpenMP threads. Instantiated for float and double.
#pragma once

#include <cstdint>

namespace amor::kernels::cpu {

// x: [outer, n, inner] contiguous; out: [outer, inner]. out = sum over n (0 when n == 0).
template <class T>
void sum_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner);

// x: [outer, n, inner] contiguous; out: [outer, inner]. out = sum / n (NaN when n == 0).
template <class T>
void mean_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner);

// x: [outer, n, inner] contiguous; out: [outer, inner]. Two-pass variance:
// out = sum((x - mean)^2) / max(0, n - correction); so n - correction <= 0 gives NaN or inf,
// as in PyTorch. correction = 1 is the unbiased estimator.
template <class T>
void var_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner, int64_t correction);

// x: [outer, n, inner] contiguous; out, argidx: [outer, inner] (argidx may be null).
// out = max over n, argidx = the first index reaching it. NaN propagates: if the slice holds a
// NaN the result is NaN and argidx is the index of the first NaN. n == 0 gives NaN and -1 (the
// caller rejects empty max/min before calling).
template <class T>
void max_axis(const T* x, T* out, int64_t* argidx, int64_t outer, int64_t n, int64_t inner);

// As max_axis, for the minimum.
template <class T>
void min_axis(const T* x, T* out, int64_t* argidx, int64_t outer, int64_t n, int64_t inner);

// x: [outer, n, inner] contiguous; out: [outer, inner]. out = log(sum(exp(x))) with the max
// subtracted first. All -inf (or n == 0) gives -inf; any +inf gives +inf; any NaN gives NaN.
template <class T>
void logsumexp_axis(const T* x, T* out, int64_t outer, int64_t n, int64_t inner);

// x: [n] contiguous. Pairwise sum in blocks, threaded for large n, same bits for any thread
// count; equal to sum_axis with outer = inner = 1.
template <class T>
T sum_all(const T* x, int64_t n);

}  // namespace amor::kernels::cpu

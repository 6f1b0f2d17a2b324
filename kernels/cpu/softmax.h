// Softmax and log-softmax along one axis, forward and backward.
//
// Layout: x: [outer, n, inner] contiguous, n = the softmax axis; every other tensor has the same
// shape. The row max is subtracted before exponentiating. A slice that is entirely -inf (a fully
// masked row) gives softmax 0 everywhere (not NaN) and log-softmax -inf everywhere; NaN inputs
// propagate. Instantiated for float and double.
#pragma once

#include <cstdint>

namespace amor::kernels::cpu {

// x, y: [outer, n, inner] contiguous. y = exp(x - max) / sum(exp(x - max)) over n.
template <class T>
void softmax_fwd(const T* x, T* y, int64_t outer, int64_t n, int64_t inner);

// y (softmax output), dy, dx: [outer, n, inner] contiguous. dx = y * (dy - sum_n(dy * y)).
template <class T>
void softmax_bwd(const T* y, const T* dy, T* dx, int64_t outer, int64_t n, int64_t inner);

// x, y: [outer, n, inner] contiguous. y = x - max - log(sum(exp(x - max))) over n.
template <class T>
void log_softmax_fwd(const T* x, T* y, int64_t outer, int64_t n, int64_t inner);

// y (log-probabilities), dy, dx: [outer, n, inner] contiguous. dx = dy - exp(y) * sum_n(dy).
template <class T>
void log_softmax_bwd(const T* y, const T* dy, T* dx, int64_t outer, int64_t n, int64_t inner);

}  // namespace amor::kernels::cpu

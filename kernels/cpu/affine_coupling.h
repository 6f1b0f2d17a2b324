// The elementwise part of an affine coupling layer, fused: for the transformed half x [n, k] and
// the conditioner's raw scales r and shifts t [n, k],
//   forward:  y = x·σ(r) + t,      logdet[i] = Σ_j log σ(r_ij)
//   inverse:  y = (x − t)/σ(r),    logdet[i] = −Σ_j log σ(r_ij)
// with BayesFlow's soft-clamped scale σ(r) = softplus(asinh(r) + log(e − 1)) (the per-element
// math is in kernels/cpu/affine_coupling_math.h, shared with a future CUDA kernel).
//
// One pass over the data instead of the ~10 core ops (and their saved intermediates) of the
// composition. Rows are split over OpenMP threads; each row's log-det is summed in column order
// on one thread, so results do not depend on the thread count. Instantiated for float and
// double.
#pragma once

#include <cstdint>

namespace amor::kernels::cpu {

// x, r, t: [n, k] with unit column stride and row strides ldx, ldr, ldt (so column slices of a
// wider matrix, e.g. the two halves of a conditioner's output, need no copy);
// y: [n, k] contiguous; logdet: [n].
template <class T>
void affine_coupling_fwd(const T* x, int64_t ldx, const T* r, int64_t ldr, const T* t, int64_t ldt,
                         T* y, T* logdet, int64_t n, int64_t k, bool inverse);

// gy: [n, k] contiguous, or null (no gradient reached y: zeros); glogdet: [n] or null.
// dx, dr, dt: [n, k] contiguous, each may be null (not wanted); they are overwritten.
template <class T>
void affine_coupling_bwd(const T* gy, const T* glogdet, const T* x, int64_t ldx, const T* r,
                         int64_t ldr, const T* t, int64_t ldt, T* dx, T* dr, T* dt, int64_t n,
                         int64_t k, bool inverse);

}  // namespace amor::kernels::cpu

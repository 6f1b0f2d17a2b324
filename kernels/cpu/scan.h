// Inclusive scans along one axis. Instantiated for float and double.
#pragma once

#include <cstdint>

namespace amor::kernels::cpu {

// x, y: [outer, n, inner] contiguous. y[o, k, j] = sum of x[o, 0..k, j] (inclusive, summed in
// order along n). y may alias x.
template <class T>
void cumsum(const T* x, T* y, int64_t outer, int64_t n, int64_t inner);

}  // namespace amor::kernels::cpu

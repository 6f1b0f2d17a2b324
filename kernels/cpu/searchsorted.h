// Binary search of values in sorted rows (torch.searchsorted / numpy.searchsorted).
// Instantiated for float, double and int64_t.
#pragma once

#include <cstdint>

namespace amor::kernels::cpu {

// sorted: [rows, K] with row stride sorted_row_stride (0 = one row shared by all), each row
// ascending; values, out: [rows, M] contiguous.
// out[r, m] = the first i in [0, K] with sorted[r, i] >= v (right: sorted[r, i] > v), where
// v = values[r, m]; K when there is none. NaN sorts after everything (as in numpy): a NaN value
// gives the position after the last non-NaN entry (left) or K (right).
template <class T>
void searchsorted(const T* sorted, int64_t sorted_row_stride, int64_t K, const T* values,
                  int64_t rows, int64_t M, int64_t* out, bool right);

}  // namespace amor::kernels::cpu

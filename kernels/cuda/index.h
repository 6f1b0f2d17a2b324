// Indexing along one axis on a CUDA device: the GPU twins of kernels/cpu/index.h (same layout,
// parameters and contract: the flat position in idx of the first index outside [0, n), or -1,
// and on error the output untouched), plus the twins of kernels/cpu/scan.h's cumsum and
// kernels/cpu/searchsorted.h.
//
// The index checks run first on the device (one block reducing to the first bad position) and
// the 8-byte result is copied back, so every index op waits for the device once. scatter_add,
// index_add and cumsum give each (outer, inner) column to one thread that walks the indexed axis
// in increasing order: the CPU kernels' summation order, hence the CPU's bits, and no atomics.
// All pointers are device pointers; work is queued on the current device's amor stream
// (kernels/cuda/stream.h); a launch error throws std::runtime_error. Device code:
// kernels/cuda/index_device.cuh. Plain C++ header.
#pragma once

#include <cstdint>

namespace amor::kernels::cuda {

// float, double, int64_t, uint8_t.
template <class T>
int64_t index_select(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t n_in,
                     int64_t inner, int64_t n_idx);
template <class T>
int64_t gather(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t n_in, int64_t inner,
               int64_t n_idx);
// float, double, int64_t.
template <class T>
int64_t scatter_add(T* out, const int64_t* idx, const T* src, int64_t outer, int64_t n_out,
                    int64_t inner, int64_t n_idx);
template <class T>
int64_t index_add(T* out, const int64_t* idx, const T* src, int64_t outer, int64_t n_out,
                  int64_t inner, int64_t n_idx);

// float, double: y[o, k, j] = sum of x[o, 0..k, j] in order. y may alias x.
template <class T>
void cumsum(const T* x, T* y, int64_t outer, int64_t n, int64_t inner);

// float, double, int64_t (kernels/cpu/searchsorted.h: NaN sorts last).
template <class T>
void searchsorted(const T* sorted, int64_t sorted_row_stride, int64_t K, const T* values,
                  int64_t rows, int64_t M, int64_t* out, bool right);

}  // namespace amor::kernels::cuda

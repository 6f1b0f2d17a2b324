// Indexing along one axis: select, gather, and their scatter-add backwards.
//
// Layout: tensors are [outer, n, inner] contiguous, n being the indexed axis (n_in / n_out for
// the indexed tensor, n_idx for the index and result). Indices are int64; an index outside
// [0, n) (negative ones included: the caller wraps Python-style negatives first) is an error.
// These kernels never throw: they return the flat position in idx of the first bad index, or -1
// when every index is valid. Indices are checked before anything is written, so on error the
// output is untouched.
//
// index_select and gather are instantiated for float, double, int64_t and uint8_t (bool);
// scatter_add and index_add for float, double and int64_t.
#pragma once

#include <cstdint>

namespace amor::kernels::cpu {

// x: [outer, n_in, inner]; idx: [n_idx]; out: [outer, n_idx, inner].
// out[o, j, i] = x[o, idx[j], i].
template <class T>
int64_t index_select(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t n_in,
                     int64_t inner, int64_t n_idx);

// x: [outer, n_in, inner]; idx, out: [outer, n_idx, inner].
// out[o, j, i] = x[o, idx[o, j, i], i].
template <class T>
int64_t gather(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t n_in, int64_t inner,
               int64_t n_idx);

// out: [outer, n_out, inner], accumulated into; idx, src: [outer, n_idx, inner].
// out[o, idx[o, j, i], i] += src[o, j, i], in increasing j for every (o, i): deterministic
// (threads split outer and inner, never the scattered axis). The backward of gather.
template <class T>
int64_t scatter_add(T* out, const int64_t* idx, const T* src, int64_t outer, int64_t n_out,
                    int64_t inner, int64_t n_idx);

// out: [outer, n_out, inner], accumulated into; idx: [n_idx]; src: [outer, n_idx, inner].
// out[o, idx[j], i] += src[o, j, i], in increasing j. The backward of index_select.
template <class T>
int64_t index_add(T* out, const int64_t* idx, const T* src, int64_t outer, int64_t n_out,
                  int64_t inner, int64_t n_idx);

}  // namespace amor::kernels::cpu

// Row-major GEMM on a CUDA device through cuBLAS: the GPU twins of kernels/cpu/gemm.h's gemm and
// gemm_batched (same parameters: row-major C[M, N] = alpha·op(A)·op(B) + beta·C, op a transpose
// when trans_*; leading dimensions in elements; batch strides in elements, 0 to reuse one matrix
// for every batch entry). cuBLAS is column-major, so the call computes Cᵀ = op(B)ᵀ·op(A)ᵀ with the
// operands swapped — no copies. One cuBLAS handle per device, bound to the device's amor stream
// (kernels/cuda/stream.h), created on first use. float and double (cublas{S,D}gemmStridedBatched,
// full-precision math: no TF32). All pointers are device pointers; errors throw
// std::runtime_error naming the cuBLAS status. Plain C++ header.
#pragma once

#include <cstdint>

namespace amor::kernels::cuda {

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

template <class T>
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                  T alpha, const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb,
                  int64_t stride_b, T beta, T* C, int64_t ldc, int64_t stride_c);

}  // namespace amor::kernels::cuda

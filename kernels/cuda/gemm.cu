#include "kernels/cuda/gemm.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <array>
#include <climits>
#include <mutex>
#include <stdexcept>
#include <string>

#include "kernels/cuda/stream.h"

namespace amor::kernels::cuda {
namespace {

constexpr int kMaxDevices = 64;

void check(cublasStatus_t s, const char* what) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  throw std::runtime_error(std::string(what) + ": " + cublasGetStatusName(s) + ": " +
                           cublasGetStatusString(s));
}

// The current device's handle, bound to its stream (never destroyed: see allocator.cu).
cublasHandle_t handle() {
  static std::mutex mutex;
  static std::array<cublasHandle_t, kMaxDevices> handles{};
  const int device = current_device();
  std::lock_guard<std::mutex> lock(mutex);
  cublasHandle_t& h = handles[size_t(device)];
  if (!h) {
    set_current_device(device);
    check(cublasCreate(&h), "cublasCreate");
    check(cublasSetStream(h, static_cast<cudaStream_t>(device_stream(device))), "cublasSetStream");
    check(cublasSetMathMode(h, CUBLAS_PEDANTIC_MATH), "cublasSetMathMode");  // no TF32
  }
  return h;
}

int checked_int(int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX)
    throw std::invalid_argument(std::string("cuda gemm: ") + what + " " + std::to_string(v) +
                                " outside cuBLAS's int range");
  return int(v);
}

cublasStatus_t strided_batched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                               int n, int k, const float* alpha, const float* A, int lda,
                               long long sa, const float* B, int ldb, long long sb,
                               const float* beta, float* C, int ldc, long long sc, int batch) {
  return cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc,
                                   sc, batch);
}
cublasStatus_t strided_batched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                               int n, int k, const double* alpha, const double* A, int lda,
                               long long sa, const double* B, int ldb, long long sb,
                               const double* beta, double* C, int ldc, long long sc, int batch) {
  return cublasDgemmStridedBatched(h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc,
                                   sc, batch);
}

}  // namespace

template <class T>
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                  T alpha, const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb,
                  int64_t stride_b, T beta, T* C, int64_t ldc, int64_t stride_c) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  // Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: B's buffer is cuBLAS's first
  // operand, transposed iff trans_b (a row-major [K, N] B read column-major is already Bᵀ).
  const cublasOperation_t tb = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t ta = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  // K == 0: C = beta·C (cuBLAS handles it; leading dimensions must still be >= 1).
  check(strided_batched(handle(), tb, ta, checked_int(N, "N"), checked_int(M, "M"),
                        checked_int(K, "K"), &alpha, B, checked_int(ldb < 1 ? 1 : ldb, "ldb"),
                        stride_b, A, checked_int(lda < 1 ? 1 : lda, "lda"), stride_a, &beta, C,
                        checked_int(ldc, "ldc"), stride_c, checked_int(batch, "batch")),
        "cublas gemm");
}

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  gemm_batched<T>(1, trans_a, trans_b, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0);
}

#define AMOR_INSTANTIATE(T)                                                                   \
  template void gemm<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, \
                        int64_t, T, T*, int64_t);                                             \
  template void gemm_batched<T>(int64_t, bool, bool, int64_t, int64_t, int64_t, T, const T*,  \
                                int64_t, int64_t, const T*, int64_t, int64_t, T, T*, int64_t, \
                                int64_t);
AMOR_INSTANTIATE(float)
AMOR_INSTANTIATE(double)
#undef AMOR_INSTANTIATE

}  // namespace amor::kernels::cuda

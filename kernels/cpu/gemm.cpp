#include "kernels/cpu/gemm.h"

#include "kernels/cpu/gemm_packed.h"
#include "kernels/cpu/reduce.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace amor::kernels::cpu {

namespace {

// ---------------------------------------------------------------------------------------------
// amor's own kernel (kernels/cpu/gemm_packed.h)
// ---------------------------------------------------------------------------------------------

// M·N·K <= limit without overflow (all three are >= 1 here).
bool work_at_most(int64_t M, int64_t N, int64_t K, int64_t limit) {
  return double(M) * double(N) * double(K) <= double(limit);
}

template <class T>
struct PartialScratch {
  std::vector<T> data;
};

// K split: a small C with a long K (a weight gradient dW[out, in] = dyᵀ·x, K = batch rows) has
// too few output tiles to share out without every thread packing all of B, so K is cut into
// chunks of about kSplitChunk rows, each chunk's product goes to its own partial, and the
// partials are summed in chunk order. The chunk count is a multiple of 4 (2 or 4 threads get
// equal shares) fixed by K alone, never by the thread count.
constexpr int64_t kSplitChunk = 1024;
int64_t k_chunks(int64_t M, int64_t N, int64_t K) {
  if (K < 2 * kSplitChunk || M * N > (int64_t{1} << 16)) return 1;
  return 4 * ((K + 4 * kSplitChunk - 1) / (4 * kSplitChunk));
}

// amor's kernel for one GEMM, on up to `threads` OpenMP threads. Either whole output tiles per
// thread (gemm_packed.h) or, for a small C with a long K, whole K chunks per thread (above); so
// the bits never depend on the thread count. A small C whose rows fill the SIMD lanes better
// than its columns (weight gradients such as [150, 50]) is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ into
// a scratch and written back transposed. Both choices depend on the shape alone.
// Requires M, N, K >= 1.
template <class T>
void own_gemm(int threads, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
              const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc,
              const T* bias) {
  const int64_t chunks = k_chunks(M, N, K), kc = (K + chunks - 1) / chunks, MN = M * N;
  const bool tr = packed::better_transposed<T>(M, N, kc);
  if (chunks == 1 && !tr) {
    packed::run<T>({trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias},
                   threads);
    return;
  }
  // Partial c = op(A)[:, chunk c]·op(B)[chunk c, :], as [M, N] or as its transpose [N, M]
  // (op(B)ᵀ is B read with the other transpose flag, likewise op(A)ᵀ).
  thread_local PartialScratch<T> scratch;  // of the calling thread; workers only write into it
  if (int64_t(scratch.data.size()) < chunks * MN) scratch.data.resize(size_t(chunks * MN));
  T* S = scratch.data.data();
  auto partial = [&](int64_t c, int inner_threads) {
    const int64_t k0 = c * kc, kn = std::min(kc, K - k0);
    const T* Ac = trans_a ? A + k0 * lda : A + k0;
    const T* Bc = trans_b ? B + k0 : B + k0 * ldb;
    if (tr)
      packed::run<T>({!trans_b, !trans_a, N, M, kn, T(1), Bc, ldb, Ac, lda, T(0), S + c * MN, M,
                      nullptr}, inner_threads);
    else
      packed::run<T>({trans_a, trans_b, M, N, kn, T(1), Ac, lda, Bc, ldb, T(0), S + c * MN, N,
                      nullptr}, inner_threads);
  };
  if (chunks == 1) {
    partial(0, threads);
  } else {
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
    for (int64_t c = 0; c < chunks; ++c) partial(c, 1);
  }
  // C = alpha · (P_0 + P_1 + ...) + beta · C + bias, the partials summed in chunk order.
  const int64_t si = tr ? 1 : N, sj = tr ? M : 1;
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    for (int64_t j = 0; j < N; ++j) {
      const T* p = S + i * si + j * sj;
      T acc = p[0];
      for (int64_t q = 1; q < chunks; ++q) acc += p[q * MN];
      T out = alpha * acc;
      if (beta != T(0)) out += beta * c[j];
      if (bias) out += bias[j];
      c[j] = out;
    }
  }
}

// Threads for amor's kernel: 1 below kGemmParallelWork or inside a parallel region.
int own_threads(bool may_thread, int64_t M, int64_t N, int64_t K) {
  if (!may_thread || omp_in_parallel() || work_at_most(M, N, K, kGemmParallelWork - 1)) return 1;
  return omp_get_max_threads();
}

// ---------------------------------------------------------------------------------------------
// BLAS
// ---------------------------------------------------------------------------------------------

bool fits_blas_int(int64_t v) { return v >= 0 && v <= INT_MAX; }

// Caller guarantees M, N, K >= 1.
template <class T>
void blas_gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
               int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  // A single-row operand never uses its leading dimension; raise it to the legal minimum so a
  // view with an unusual stride does not trip cblas's argument check.
  const int64_t a_rows = trans_a ? K : M, a_cols = trans_a ? M : K;
  const int64_t b_rows = trans_b ? N : K, b_cols = trans_b ? K : N;
  if (a_rows == 1) lda = std::max(lda, a_cols);
  if (b_rows == 1) ldb = std::max(ldb, b_cols);
  if (M == 1) ldc = std::max(ldc, N);
  if (!fits_blas_int(M) || !fits_blas_int(N) || !fits_blas_int(K) || !fits_blas_int(lda) ||
      !fits_blas_int(ldb) || !fits_blas_int(ldc)) {
    // Beyond 32-bit BLAS: amor's kernel.
    own_gemm<T>(own_threads(true, M, N, K), trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta,
                C, ldc, nullptr);
    return;
  }
  const CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, ta, tb, int(M), int(N), int(K), alpha, A, int(lda), B, int(ldb),
                beta, C, int(ldc));
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, int(M), int(N), int(K), alpha, A, int(lda), B, int(ldb),
                beta, C, int(ldc));
  }
}

// C = beta · C + bias (bias nullable, [N] added to every row): the K == 0 case, and the prefill
// of C before a BLAS call when there is a bias.
template <class T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc, const T* bias = nullptr) {
  if (beta == T(1) && !bias) return;
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    if (beta == T(0)) {
      for (int64_t j = 0; j < N; ++j) c[j] = T(0);
    } else if (beta != T(1)) {
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
    if (bias)
      for (int64_t j = 0; j < N; ++j) c[j] += bias[j];
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public entry points
// ---------------------------------------------------------------------------------------------

template <class T>
void gemm_small(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc, const T* bias) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) return scale_c(M, N, beta, C, ldc, bias);
  own_gemm(1, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
}

template <class T>
void gemm_own(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
              int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc, const T* bias) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) return scale_c(M, N, beta, C, ldc, bias);
  own_gemm(own_threads(true, M, N, K), trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C,
           ldc, bias);
}

// OpenBLAS 0.3.21 does not recognise recent CPUs (e.g. Sapphire Rapids, Zen 4) and, unless
// OPENBLAS_CORETYPE is set, falls back to its SSE3 "Prescott" kernels: 15-19 GFLOP/s per core
// where the machine does 100+. amor does not touch the environment; when it finds such a
// fallback on a CPU with AVX2 it runs its own kernel for every GEMM instead.
bool blas_falls_back_to_generic_kernels() {
  static const bool slow = [] {
#if defined(__x86_64__) || defined(__i386__)
    if (!__builtin_cpu_supports("avx2")) return false;
    const std::string core = blas_core_name();
    for (const char* old : {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai",
                            "Coppermine", "Northwood", "Banias", "Unknown"})
      if (core == old) return true;
#endif
    return false;
  }();
  return slow;
}

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc, const T* bias) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) return scale_c(M, N, beta, C, ldc, bias);
  // Never call the pthread OpenBLAS from an OpenMP team (own_threads gives 1 there).
  if (omp_in_parallel() || work_at_most(M, N, K, kSmallGemmMaxWork) ||
      std::min({M, N, K}) <= kOwnKernelMaxSide || blas_falls_back_to_generic_kernels()) {
    own_gemm(own_threads(true, M, N, K), trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta,
             C, ldc, bias);
    return;
  }
  if (bias) {  // BLAS has no bias: C = beta·C + bias first, then accumulate onto it
    scale_c(M, N, beta, C, ldc, bias);
    beta = T(1);
  }
  blas_gemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <class T>
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                  T alpha, const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb,
                  int64_t stride_b, T beta, T* C, int64_t ldc, int64_t stride_c) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (int64_t b = 0; b < batch; ++b) scale_c(M, N, beta, C + b * stride_c, ldc);
    return;
  }
  if (work_at_most(M, N, K, kSmallGemmMaxWork) || omp_in_parallel()) {
    // Small matrices: one per task, OpenMP over the batch (each matrix computed whole by one
    // thread, so the bits do not depend on the thread count).
    const double work = double(batch) * double(M) * double(N) * double(K);
    const bool parallel = work >= double(kGemmParallelWork) && stride_c != 0 && batch > 1 &&
                          !omp_in_parallel();
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t b = 0; b < batch; ++b)
      own_gemm<T>(1, trans_a, trans_b, M, N, K, alpha, A + b * stride_a, lda, B + b * stride_b,
                  ldb, beta, C + b * stride_c, ldc, nullptr);
    return;
  }
  for (int64_t b = 0; b < batch; ++b)
    gemm<T>(trans_a, trans_b, M, N, K, alpha, A + b * stride_a, lda, B + b * stride_b, ldb, beta,
            C + b * stride_c, ldc);
}

template <class T>
void linear_weight_grad(int64_t rows, int64_t out, int64_t in, const T* dy, const T* x, T* dw,
                        T* db) {
  if (out > 0 && in > 0)
    gemm<T>(true, false, out, in, rows, T(1), dy, out, x, in, T(0), dw, in);
  if (db && out > 0) sum_axis<T>(dy, db, 1, rows, out);
}

void set_blas_threads(int n) { openblas_set_num_threads(std::max(n, 1)); }
int blas_threads() { return openblas_get_num_threads(); }
const char* blas_core_name() { return openblas_get_corename(); }

// ---------------------------------------------------------------------------------------------
// Instantiations
// ---------------------------------------------------------------------------------------------

#define AMOR_GEMM_INSTANTIATE(T)                                                                 \
  template void gemm<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*,  \
                        int64_t, T, T*, int64_t, const T*);                                      \
  template void gemm_small<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t,      \
                              const T*, int64_t, T, T*, int64_t, const T*);                      \
  template void gemm_own<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t,        \
                            const T*, int64_t, T, T*, int64_t, const T*);                        \
  template void linear_weight_grad<T>(int64_t, int64_t, int64_t, const T*, const T*, T*, T*);  \
  template void gemm_batched<T>(int64_t, bool, bool, int64_t, int64_t, int64_t, T, const T*,    \
                                int64_t, int64_t, const T*, int64_t, int64_t, T, T*, int64_t,   \
                                int64_t);
AMOR_GEMM_INSTANTIATE(float)
AMOR_GEMM_INSTANTIATE(double)
#undef AMOR_GEMM_INSTANTIATE

}  // namespace amor::kernels::cpu

// Row-major GEMM on the CPU: amor's own packed kernel (kernels/cpu/gemm_packed.h) for small
// GEMMs, products with a short side (kOwnKernelMaxSide), calls inside OpenMP regions, and for
// everything when OpenBLAS fell back to its generic kernels; OpenBLAS (cblas) for the rest.
//
// All matrices are row-major. `lda` is the row length of A *as stored* (so for trans_a it is
// >= M, otherwise >= K), the same convention as cblas with CblasRowMajor. Transposes are passed
// as flags, never materialised.
//
// Threading: the BLAS path uses OpenBLAS's own (pthread) pool, sized by set_blas_threads. amor's
// kernel uses OpenMP, sharing out whole output tiles (never parts of a sum), so its results are
// bitwise the same for any thread count. OpenBLAS is never called from inside an OpenMP
// parallel region: there `gemm` runs amor's kernel on the calling thread.
#pragma once

#include <cstdint>

namespace amor::kernels::cpu {

// gemm_batched runs matrices with M·N·K <= this on the hand-written kernel, OpenMP over the
// batch. 64³ is also where OpenBLAS 0.3.21 stops threading a single GEMM (it runs
// M·N·K <= 65536·4 on one thread), so below it a loop of BLAS calls would use one core. Covers
// attention per head (T <= 64, D = 10: 64·64·10).
inline constexpr int64_t kSmallGemmMaxWork = 64 * 64 * 64;
// A product with a side (M, N or K) at most this long runs on amor's kernel even when OpenBLAS
// has a real kernel set: the layers of SBI networks (widths 2-256, batch·tokens rows). There
// amor's kernel is as fast as OpenBLAS on one thread, and on several it shares amor's OpenMP
// team instead of waking OpenBLAS's pthread pool next to it (the two pools spinning against each
// other made 2-thread transformer steps slower than 1-thread ones). See bench/RESULTS.md.
inline constexpr int64_t kOwnKernelMaxSide = 256;
// Total batch·M·N·K below this stays on the calling thread (amor's kernel: ~10-20 µs of work
// on one core). Forking a team for less buys nothing on an idle machine (the 2→50→50→2 MLP step,
// GEMMs of 200·50·50, ran as fast on 1 thread as on 2) and costs a scheduler quantum at every
// barrier when another process holds the second core (the same step went from 0.15 to 6.8 ms).
inline constexpr int64_t kGemmParallelWork = int64_t{1} << 20;

// C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C[M,N] + bias
//   A: [M,K] with row stride lda (trans_a: stored as [K,M], row stride lda)
//   B: [K,N] with row stride ldb (trans_b: stored as [N,K], row stride ldb)
//   C: [M,N] with row stride ldc
//   bias: nullptr, or [N] contiguous, added to every row of C (linear's bias: the hand-written
//         kernel adds it in its epilogue; before a BLAS call it is written into C first)
// beta == 0 overwrites C without reading it (NaN in C does not propagate), as in BLAS.
// M == 0 or N == 0 is a no-op; K == 0 gives C = beta·C + bias. Leading dimensions of operands
// with a single row are not checked (their value is never used), so views with odd strides are
// fine.
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc,
          const T* bias = nullptr);

// For b in [0, batch):
//   C_b[M,N] = alpha · op(A_b) · op(B_b) + beta · C_b,  with
//   A_b = A + b·stride_a, B_b = B + b·stride_b, C_b = C + b·stride_c  (strides in elements).
// stride_a == 0 or stride_b == 0 broadcasts that operand over the batch. The C_b must not
// overlap (stride_c == 0 with batch > 1 is run serially, so the last matrix wins).
// M·N·K <= kSmallGemmMaxWork: amor's kernel, OpenMP over the batch when the total work is
// >= kGemmParallelWork. Otherwise one `gemm` per matrix, sequentially (each threads itself).
// Called from inside an active OpenMP region: amor's kernel, serially.
template <class T>
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                  T alpha, const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb,
                  int64_t stride_b, T beta, T* C, int64_t ldc, int64_t stride_c);

// amor's kernel on the calling thread (no BLAS, no threads): same contract as `gemm`. K is
// taken in slabs of <= 256, and for a small C with K >= 2048 in chunks whose partial products
// are summed in chunk order; both are fixed by the shape alone, so gemm_small, gemm_own and
// gemm's own-kernel path give the same bits for any thread count.
template <class T>
void gemm_small(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc,
                const T* bias = nullptr);

// amor's kernel with its OpenMP split (whole output tiles, or whole K chunks), never BLAS: what
// `gemm` runs when OpenBLAS fell back to its generic kernels. Same contract and same bits as
// gemm_small, whatever the number of threads.
template <class T>
void gemm_own(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
              int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc,
              const T* bias = nullptr);

// The weight and bias gradients of a Linear y = x·Wᵀ + b:
//   dw[out, in] = dyᵀ·x (gemm),  db[out] = Σ_rows dy (sum_axis)   (dy: [rows, out], x: [rows, in],
// contiguous). db may be null.
template <class T>
void linear_weight_grad(int64_t rows, int64_t out, int64_t in, const T* dy, const T* x, T* dw,
                        T* db);

// OpenBLAS's thread pool size (openblas_set_num_threads / openblas_get_num_threads).
void set_blas_threads(int n);
int blas_threads();
// The kernel set OpenBLAS picked at load time (openblas_get_corename), e.g. "Haswell". A
// DYNAMIC_ARCH build that does not recognise the CPU falls back to "Prescott" (SSE3 kernels,
// ~5-10x slower); OPENBLAS_CORETYPE=Haswell (or SkylakeX) in the environment overrides it.
const char* blas_core_name();

}  // namespace amor::kernels::cpu

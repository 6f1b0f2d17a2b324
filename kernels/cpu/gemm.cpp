#include "kernels/cpu/gemm.h"

#include "kernels/cpu/loops.h"
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
// Hand-written kernel
// ---------------------------------------------------------------------------------------------

// The kernel works on column panels of compile-time width W (one or two SIMD vectors of
// kVec<T> elements) and row blocks of kRows rows; the kRows × W accumulator is held in vector
// registers over the whole k loop (i-k-j order: per k, W/kVec loads of B, kRows broadcasts
// of A, kRows·W/kVec FMAs). Per core this runs at ~85% of OpenBLAS's SkylakeX sgemm for
// 32³..96³ on the development machine. B is read as a row-major
// [K, Np] panel with Np = N rounded up to kVec<T>: either B itself (not transposed and N a
// multiple of kVec) or a zero-padded packed copy, so every inner loop has a fixed trip count.
constexpr int64_t kRows = 8;
// Rows of C per block: each block runs over all column panels while its rows of A stay in L1
// (a multiple of kRows, so blocks do not change which rows share a tile).
constexpr int64_t kBlockRows = 128;
template <class T>
constexpr int64_t kVec = 64 / int64_t(sizeof(T));  // one 512-bit vector

// C[rows, cols] = alpha · acc + beta · C + bias (beta == 0: overwrite without reading C;
// bias: nullable, [cols], added to every row).
template <class T, int64_t W>
inline void store_tile(T* C, int64_t ldc, int64_t rows, int64_t cols, const T (*acc)[W],
                       T alpha, T beta, const T* bias) {
  for (int64_t r = 0; r < rows; ++r) {
    T* c = C + r * ldc;
    if (beta == T(0)) {
      for (int64_t j = 0; j < cols; ++j) c[j] = alpha * acc[r][j];
    } else {
      for (int64_t j = 0; j < cols; ++j) c[j] = alpha * acc[r][j] + beta * c[j];
    }
    if (bias)
      for (int64_t j = 0; j < cols; ++j) c[j] += bias[j];
  }
}

// One SIMD register of T (GCC/Clang vector extension; lowered to two halves on targets with
// narrower vectors). Explicit vector accumulators keep the register tile in registers: written
// as plain arrays with `omp simd`, GCC 12 versions the k loop and spills the tile every step.
template <class T>
struct Simd {
  typedef T type __attribute__((vector_size(64)));
};

template <class T>
inline typename Simd<T>::type load_vec(const T* p) {
  typename Simd<T>::type v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Rows [i0, i0 + R) × columns [j0, j0 + cols) of C, cols <= W: the R × W accumulator tile in
// vector registers over the whole k loop. A'(i,k) = A[i·rsa + k·csa] covers both layouts of A;
// Bp rows are readable for W elements from j0. Every row's sum runs in k order whatever R is,
// so a row gets the same bits in any tile size.
template <class T, int64_t W, int64_t R>
inline void row_tile(int64_t i0, int64_t K, int64_t j0, int64_t cols, T alpha, const T* A,
                     int64_t rsa, int64_t csa, const T* Bp, int64_t ldbp, T beta, T* C,
                     int64_t ldc, const T* bias) {
  using Vec = typename Simd<T>::type;
  constexpr int64_t NV = W / kVec<T>;  // vectors per row of the tile
  Vec c[R][NV] = {};
  const T* a0 = A + i0 * rsa;
  for (int64_t k = 0; k < K; ++k) {
    const T* b = Bp + k * ldbp + j0;
    const T* ak = a0 + k * csa;
    Vec bv[NV];
    for (int64_t v = 0; v < NV; ++v) bv[v] = load_vec(b + v * kVec<T>);
    for (int64_t r = 0; r < R; ++r) {
      const T x = ak[r * rsa];
      for (int64_t v = 0; v < NV; ++v) c[r][v] += x * bv[v];
    }
  }
  T* c0 = C + i0 * ldc + j0;
  if (cols == W) {  // full tile: vector epilogue straight from the registers
    Vec bv[NV] = {};
    if (bias)
      for (int64_t v = 0; v < NV; ++v) bv[v] = load_vec(bias + j0 + v * kVec<T>);
    for (int64_t r = 0; r < R; ++r)
      for (int64_t v = 0; v < NV; ++v) {
        T* cp = c0 + r * ldc + v * kVec<T>;
        Vec out = alpha * c[r][v];
        if (beta != T(0)) out += beta * load_vec(cp);
        if (bias) out += bv[v];
        std::memcpy(cp, &out, sizeof out);
      }
    return;
  }
  alignas(64) T acc[R][W];  // a partial tile, spilled once for the epilogue
  std::memcpy(acc, c, sizeof acc);
  store_tile<T, W>(c0, ldc, R, cols, acc, alpha, beta, bias ? bias + j0 : nullptr);
}

// Columns [j0, j0 + cols) of C, cols <= W, for all M rows: tiles of kRows rows; the last one to
// four rows join the last full tile (9 to 12 rows: M = 50 runs 5 x 8 + 10), and a remainder of
// five to seven rows gets a tile of its own. A tile of 1 or 2 rows holds too few accumulators
// to hide the FMA latency (it ran at a quarter of the 8-row rate).
template <class T, int64_t W>
void column_panel(int64_t M, int64_t K, int64_t j0, int64_t cols, T alpha, const T* A,
                  int64_t rsa, int64_t csa, const T* Bp, int64_t ldbp, T beta, T* C,
                  int64_t ldc, const T* bias) {
  auto tile = [&]<int64_t R>(int64_t i0) {
    row_tile<T, W, R>(i0, K, j0, cols, alpha, A, rsa, csa, Bp, ldbp, beta, C, ldc, bias);
  };
  int64_t i0 = 0;
  for (; M - i0 >= kRows; i0 += kRows) {
    switch (M - i0 - kRows) {  // rows left after this tile
      case 1: return tile.template operator()<kRows + 1>(i0);
      case 2: return tile.template operator()<kRows + 2>(i0);
      case 3: return tile.template operator()<kRows + 3>(i0);
      case 4: return tile.template operator()<kRows + 4>(i0);
      default: tile.template operator()<kRows>(i0);
    }
  }
  switch (M - i0) {
    case 7: return tile.template operator()<7>(i0);
    case 6: return tile.template operator()<6>(i0);
    case 5: return tile.template operator()<5>(i0);
    case 4: return tile.template operator()<4>(i0);
    case 3: return tile.template operator()<3>(i0);
    case 2: return tile.template operator()<2>(i0);
    case 1: return tile.template operator()<1>(i0);
    default: return;
  }
}

// Per-thread scratch for a packed B. Grows, never shrinks; `src` remembers what it holds so a
// broadcast B (stride 0) is packed once per thread and call, not once per matrix.
template <class T>
struct PackBuffer {
  std::vector<T> data;
  const T* src = nullptr;
  bool trans = false;
  int64_t K = -1, N = -1, ld = -1;
};

template <class T>
PackBuffer<T>& pack_buffer() {
  thread_local PackBuffer<T> buf;
  return buf;
}

// Forgets the packed copy at the end of a call: the caller may overwrite B afterwards.
template <class T>
void release_pack() {
  pack_buffer<T>().src = nullptr;
}

// One K slab of one matrix on the calling thread, any transposes: op(A) through its strides,
// op(B) read directly or through a padded packed copy (see above).
template <class T>
void gemm_slab(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
               int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc, const T* bias) {
  constexpr int64_t V = kVec<T>;
  const int64_t rsa = trans_a ? 1 : lda;
  const int64_t csa = trans_a ? lda : 1;
  const int64_t Np = (N + V - 1) / V * V;
  const T* Bp = B;
  int64_t ldbp = ldb;
  if (K > 0 && (trans_b || Np != N)) {
    PackBuffer<T>& p = pack_buffer<T>();
    if (p.src != B || p.trans != trans_b || p.K != K || p.N != N || p.ld != ldb) {
      if (int64_t(p.data.size()) < K * Np) p.data.resize(size_t(K * Np));
      T* dst = p.data.data();
      if (trans_b) {  // B stored [N,K]: read its rows, write columns of the [K,Np] panel
        for (int64_t j = 0; j < N; ++j) {
          const T* src = B + j * ldb;
          for (int64_t k = 0; k < K; ++k) dst[k * Np + j] = src[k];
        }
        for (int64_t k = 0; k < K; ++k)
          for (int64_t j = N; j < Np; ++j) dst[k * Np + j] = T(0);
      } else {
        for (int64_t k = 0; k < K; ++k) {
          const T* src = B + k * ldb;
          T* d = dst + k * Np;
          for (int64_t j = 0; j < N; ++j) d[j] = src[j];
          for (int64_t j = N; j < Np; ++j) d[j] = T(0);
        }
      }
      p.src = B;
      p.trans = trans_b;
      p.K = K;
      p.N = N;
      p.ld = ldb;
    }
    Bp = p.data.data();
    ldbp = Np;
  }
  // Row blocks of kBlockRows rows (their A rows stay in L1), each across all column panels.
  for (int64_t i0 = 0; i0 < M; i0 += kBlockRows) {
    const int64_t mb = std::min(kBlockRows, M - i0);
    const T* Ai = A + i0 * rsa;
    T* Ci = C + i0 * ldc;
    int64_t j0 = 0;
    for (; j0 + 2 * V <= Np; j0 += 2 * V)
      column_panel<T, 2 * V>(mb, K, j0, std::min(2 * V, N - j0), alpha, Ai, rsa, csa, Bp, ldbp,
                             beta, Ci, ldc, bias);
    for (; j0 < Np; j0 += V)
      column_panel<T, V>(mb, K, j0, std::min(V, N - j0), alpha, Ai, rsa, csa, Bp, ldbp, beta, Ci,
                         ldc, bias);
  }
}

// One matrix on the calling thread. K is taken in slabs of at most kSlabK rows (of equal size,
// fixed by K alone): each slab's [kc, Np] panel of B is packed once and stays in L1/L2 while
// every row block of C runs over it, and C accumulates across slabs (the first slab applies
// beta, later ones add). Without the slabs, a large K streamed the whole of B from memory once
// per 4-row block of C (a [20000, 64] panel, 5 MB, 30-40 times per weight-gradient GEMM).
constexpr int64_t kSlabK = 256;

// bias (nullable, [N]): added to every row of C, with the first slab.
template <class T>
void small_gemm_one(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                    const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc,
                    const T* bias = nullptr) {
  if (M <= 0 || N <= 0) return;
  if (K <= kSlabK)
    return gemm_slab(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
  const int64_t slabs = (K + kSlabK - 1) / kSlabK;
  const int64_t kc = (K + slabs - 1) / slabs;
  for (int64_t k0 = 0; k0 < K; k0 += kc) {
    const int64_t kn = std::min(kc, K - k0);
    gemm_slab(trans_a, trans_b, M, N, kn, alpha, trans_a ? A + k0 * lda : A + k0, lda,
              trans_b ? B + k0 : B + k0 * ldb, ldb, k0 == 0 ? beta : T(1), C, ldc,
              k0 == 0 ? bias : nullptr);
  }
}

// K split: for a small C and a long K (the weight gradient dW[out, in] = dyᵀ·x with K = batch
// rows), rows of C are too few to share out, so K is cut into chunks of kSplitChunk rows (the
// count fixed by K alone, never by the thread count), each chunk's product goes to its own
// partial [M, N], and C = alpha · (P_0 + P_1 + ...) + beta · C sums them in chunk order. Every
// partial is computed whole by one thread, so the result is the same for any number of threads.
constexpr int64_t kSplitChunk = 1024;

bool use_k_split(int64_t M, int64_t N, int64_t K) {
  return K >= 2 * kSplitChunk && double(M) * double(N) <= double(1 << 16);
}

// Share of the SIMD lanes a row of n elements fills (n over n rounded up to whole vectors).
template <class T>
double lane_fill(int64_t n) {
  return double(n) / double((n + kVec<T> - 1) / kVec<T> * kVec<T>);
}

template <class T>
struct SplitScratch {
  std::vector<T> data;
};

template <class T>
// a_sums (nullable, trans_a only): also the row sums of op(A), Σ_k A[k, i] (a Linear's bias
// gradient when A = dy), each chunk's taken while the chunk is in cache (the pairwise tree of
// detail::sum_rows_wide over its rows), summed in chunk order like the products.
void k_split_gemm(bool parallel, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                  T alpha, const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C,
                  int64_t ldc, const T* bias, T* a_sums = nullptr) {
  const int64_t chunks = (K + kSplitChunk - 1) / kSplitChunk;
  const int64_t kc = (K + chunks - 1) / chunks;
  const int64_t MN = M * N;
  // The kernel's column panels are whole SIMD vectors: N = 50 fills 50 of 64 lanes. The
  // partials are small, so when M fills its vectors better they are computed transposed,
  // Pᵀ = op(B)ᵀ·op(A)ᵀ, and transposed back in the reduction. Each element is the same sequence
  // of fused multiply-adds (a·b = b·a), so the bits do not change.
  const bool transposed = lane_fill<T>(M) > lane_fill<T>(N);
  const bool sums = a_sums != nullptr && trans_a;
  thread_local SplitScratch<T> scratch;  // of the calling thread; workers only write into it
  const int64_t need = chunks * MN + (sums ? chunks * M : 0);
  if (int64_t(scratch.data.size()) < need) scratch.data.resize(size_t(need));
  T* partial = scratch.data.data();
  T* sum_part = partial + chunks * MN;  // [chunks, M] when sums
#pragma omp parallel if (parallel)
  {
    std::vector<T> tree(sums ? size_t(detail::rows_tree_depth(kc) * M) : 0);
#pragma omp for schedule(dynamic, 1)
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t k0 = c * kc, kn = std::min(kc, K - k0);
      const T* Ac = trans_a ? A + k0 * lda : A + k0;
      const T* Bc = trans_b ? B + k0 : B + k0 * ldb;
      if (transposed)
        small_gemm_one(!trans_b, !trans_a, N, M, kn, T(1), Bc, ldb, Ac, lda, T(0),
                       partial + c * MN, M);
      else
        small_gemm_one(trans_a, trans_b, M, N, kn, T(1), Ac, lda, Bc, ldb, T(0),
                       partial + c * MN, N);
      if (sums)  // rows k0 .. k0 + kn of A ([K, M]), still in cache
        detail::sum_rows_wide<T>(
            0, kn, M, [Ac, lda](int64_t k, int64_t i) { return Ac[k * lda + i]; },
            sum_part + c * M, tree.data());
    }
    release_pack<T>();
    // Reduction over chunks, in chunk order, rows of C shared out.
#pragma omp for schedule(static)
    for (int64_t i = 0; i < M; ++i) {
      T* ci = C + i * ldc;
      const T* p0 = transposed ? partial + i : partial + i * N;
      const int64_t sj = transposed ? M : 1;
      for (int64_t j = 0; j < N; ++j) {
        T acc = p0[j * sj];
        for (int64_t c = 1; c < chunks; ++c) acc += p0[c * MN + j * sj];
        T out = beta == T(0) ? alpha * acc : alpha * acc + beta * ci[j];
        if (bias) out += bias[j];
        ci[j] = out;
      }
      if (sums) {
        T acc = sum_part[i];
        for (int64_t c = 1; c < chunks; ++c) acc += sum_part[c * M + i];
        a_sums[i] = acc;
      }
    }
  }
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
    // Beyond 32-bit BLAS: slow but correct.
    small_gemm_one(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    release_pack<T>();
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

// M·N·K <= limit without overflow (all three are >= 1 here).
bool work_at_most(int64_t M, int64_t N, int64_t K, int64_t limit) {
  return double(M) * double(N) * double(K) <= double(limit);
}

// amor's kernel for one GEMM, OpenMP threads allowed when `may_thread` and the work is large
// enough. Long K with a small C: the K split above. Otherwise row blocks of C (multiples of 8
// rows, so every row sees the same kernel path whatever the thread count) computed
// independently. Both are deterministic and race-free.
template <class T>
void own_gemm(bool may_thread, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
              T alpha, const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C,
              int64_t ldc, const T* bias) {
  if (M <= 0 || N <= 0) return;
  const double work = double(M) * double(N) * double(K);
  const bool parallel = may_thread && work >= double(kGemmParallelWork) && !omp_in_parallel();
  if (use_k_split(M, N, K)) {
    k_split_gemm(parallel, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
    return;
  }
#pragma omp parallel if (parallel && M >= 16)
  {
    const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t blocks = (M + 7) / 8;
    const int64_t b0 = blocks * t / nt, b1 = blocks * (t + 1) / nt;
    const int64_t r0 = b0 * 8, r1 = std::min(M, b1 * 8);
    if (r0 < r1) {
      const T* A0 = trans_a ? A + r0 : A + r0 * lda;
      small_gemm_one(trans_a, trans_b, r1 - r0, N, K, alpha, A0, lda, B, ldb, beta, C + r0 * ldc,
                     ldc, bias);
    }
    release_pack<T>();
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public entry points
// ---------------------------------------------------------------------------------------------

template <class T>
void gemm_small(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc, const T* bias) {
  own_gemm(false, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
}

template <class T>
void gemm_own(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
              int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc, const T* bias) {
  if (M > 0 && N > 0 && K <= 0) return scale_c(M, N, beta, C, ldc, bias);
  own_gemm(true, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
}

// OpenBLAS 0.3.21 does not recognise recent CPUs (e.g. Sapphire Rapids) and, unless
// OPENBLAS_CORETYPE is set, falls back to its SSE3 "Prescott" kernels: about 7 GFLOP/s where the
// machine does 40+. amor does not touch the environment; when it finds such a fallback on a CPU
// with AVX2 it runs its own kernel instead (row blocks over OpenMP threads), which is several
// times faster at the sizes SBI networks use.
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
  if (K <= 0) {
    scale_c(M, N, beta, C, ldc, bias);
    return;
  }
  if (omp_in_parallel()) {  // never call the pthread OpenBLAS from an OpenMP team
    gemm_small(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
    return;
  }
  const bool small = work_at_most(M, N, K, kSmallGemmMaxWork);
  if (small || blas_falls_back_to_generic_kernels()) {
    own_gemm(!small, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
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
    const double work = double(batch) * double(M) * double(N) * double(K);
    const bool parallel = work >= double(kGemmParallelWork) && stride_c != 0 && batch > 1;
#pragma omp parallel if (parallel)
    {
#pragma omp for schedule(static)
      for (int64_t b = 0; b < batch; ++b)
        small_gemm_one(trans_a, trans_b, M, N, K, alpha, A + b * stride_a, lda, B + b * stride_b,
                       ldb, beta, C + b * stride_c, ldc);
      release_pack<T>();
    }
    return;
  }
  for (int64_t b = 0; b < batch; ++b)
    blas_gemm(trans_a, trans_b, M, N, K, alpha, A + b * stride_a, lda, B + b * stride_b, ldb,
              beta, C + b * stride_c, ldc);
}

template <class T>
void linear_weight_grad(int64_t rows, int64_t out, int64_t in, const T* dy, const T* x, T* dw,
                        T* db) {
  if (out <= 0 || in <= 0) {
    if (db && out > 0) sum_axis<T>(dy, db, 1, rows, out);
    return;
  }
  const bool own = omp_in_parallel() || work_at_most(out, in, std::max<int64_t>(rows, 1), kSmallGemmMaxWork) ||
                   blas_falls_back_to_generic_kernels();
  if (db && own && use_k_split(out, in, rows)) {
    const double work = double(out) * double(in) * double(rows);
    const bool parallel = !omp_in_parallel() && work >= double(kGemmParallelWork);
    k_split_gemm(parallel, true, false, out, in, rows, T(1), dy, out, x, in, T(0), dw, in,
                 static_cast<const T*>(nullptr), db);
    return;
  }
  gemm<T>(true, false, out, in, rows, T(1), dy, out, x, in, T(0), dw, in);
  if (db) sum_axis<T>(dy, db, 1, rows, out);
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

// amor's own GEMM kernel (included by kernels/cpu/gemm.cpp only): B packed into contiguous
// column panels per K slab, a register-tile micro-kernel of kTileRows rows × two SIMD vectors,
// and a driver that shares out whole output tiles among OpenMP threads.
//
//   C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C + bias      (row-major, as in gemm.h)
//
// Layout of the work:
//   - K is cut into slabs of at most kSlabK (equal sizes, fixed by K alone). Per slab, op(B)'s
//     [kc, N] block is packed into panels of kPanel<T> = 2 vectors' worth of columns (the last
//     panel only as wide as it needs, down to half a vector on AVX-512), panel-major and
//     zero-padded: the micro-kernel then reads one contiguous row of the panel per k.
//   - C is cut into tiles: row tiles of kTileRows rows (on AVX-512 the last 1-4 rows join the
//     last full tile: 12 × 2 accumulators still fit in 32 registers) × the column panels.
//   - Per tile and slab the micro-kernel keeps the R × NV accumulator tile in vector registers
//     over the slab (per k: NV loads of B, R broadcasts of A, R·NV fused multiply-adds), then
//     writes alpha·acc + beta·C (+ bias) for the first slab and alpha·acc + C for later ones,
//     with masked loads and stores (AVX-512) or partial copies for a partial panel.
// Every element of C is the same sequence of operations whatever tile it falls in and whoever
// computes it: threads get whole tiles and never split a sum, so the bits do not depend on the
// thread count.
//
// ISA: the vector width is the widest the compiler targets (AVX-512: 64 bytes, 8-row tiles;
// AVX/AVX2: 32 bytes, 6-row tiles; otherwise 16 bytes, 6-row tiles), chosen at compile time.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace amor::kernels::cpu::packed {

#if defined(__AVX512F__)
inline constexpr int64_t kVecBytes = 64;
inline constexpr int64_t kTileRows = 8;
inline constexpr int64_t kMaxTileRows = 12;  // 24 accumulators + 2 B vectors + 1 broadcast
#elif defined(__AVX__)
inline constexpr int64_t kVecBytes = 32;
inline constexpr int64_t kTileRows = 6;  // 16 registers: 12 accumulators + 2 B + 1 broadcast
inline constexpr int64_t kMaxTileRows = 6;
#else
inline constexpr int64_t kVecBytes = 16;
inline constexpr int64_t kTileRows = 6;
inline constexpr int64_t kMaxTileRows = 6;
#endif

// K rows per slab: a [kSlabK, kPanel] panel of B is 32 KiB in float, read once per row tile.
inline constexpr int64_t kSlabK = 256;

template <class T>
inline constexpr int64_t kLanes = kVecBytes / int64_t(sizeof(T));
template <class T>
inline constexpr int64_t kPanel = 2 * kLanes<T>;

// One SIMD register of T (GCC/Clang vector extension).
template <class T>
struct Simd {
  typedef T type __attribute__((vector_size(kVecBytes)));
};
template <class T>
using Vec = typename Simd<T>::type;

template <class T>
[[gnu::always_inline]] inline Vec<T> load(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
[[gnu::always_inline]] inline void store(T* p, Vec<T> v) {
  std::memcpy(p, &v, sizeof v);
}

// The first n (1 <= n <= kLanes) elements; the other lanes read as zero and are never touched.
template <class T>
[[gnu::always_inline]] inline Vec<T> load_first(const T* p, int64_t n) {
  if (n == kLanes<T>) return load(p);
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 4)
    return (Vec<T>)_mm512_maskz_loadu_ps(__mmask16((1u << n) - 1u), p);
  else
    return (Vec<T>)_mm512_maskz_loadu_pd(__mmask8((1u << n) - 1u), p);
#else
  Vec<T> v = {};
  std::memcpy(&v, p, size_t(n) * sizeof(T));
  return v;
#endif
}
template <class T>
[[gnu::always_inline]] inline void store_first(T* p, Vec<T> v, int64_t n) {
  if (n == kLanes<T>) return store(p, v);
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 4)
    _mm512_mask_storeu_ps(p, __mmask16((1u << n) - 1u), (__m512)v);
  else
    _mm512_mask_storeu_pd(p, __mmask8((1u << n) - 1u), (__m512d)v);
#else
  std::memcpy(p, &v, size_t(n) * sizeof(T));
#endif
}

// Half a SIMD register (AVX-512 builds only: a ymm). A panel's last columns may sit in one: on
// CPUs that run 512-bit FMAs as two 256-bit halves (AMD Zen 4) it costs half a full vector, so
// N = 50 = 32 + 16 + 2 computes 56 lanes instead of 64 (N = 40: exactly 40 instead of 48).
#if defined(__AVX512F__) && defined(__AVX512VL__)
inline constexpr bool kHasHalf = true;
#else
inline constexpr bool kHasHalf = false;
#endif
template <class T>
struct SimdHalf {
  typedef T type __attribute__((vector_size(kVecBytes / 2)));
};
template <class T>
using Half = typename SimdHalf<T>::type;
template <class T>
inline constexpr int64_t kHalfLanes = kLanes<T> / 2;

template <class T>
[[gnu::always_inline]] inline Half<T> load_half(const T* p) {
  Half<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
// The first n (1 <= n <= kHalfLanes) elements, as load_first / store_first.
template <class T>
[[gnu::always_inline]] inline Half<T> load_half_first(const T* p, int64_t n) {
#if defined(__AVX512F__) && defined(__AVX512VL__)
  if constexpr (sizeof(T) == 4)
    return (Half<T>)_mm256_maskz_loadu_ps(__mmask8((1u << n) - 1u), p);
  else
    return (Half<T>)_mm256_maskz_loadu_pd(__mmask8((1u << n) - 1u), p);
#else
  Half<T> v = {};
  std::memcpy(&v, p, size_t(n) * sizeof(T));
  return v;
#endif
}
template <class T>
[[gnu::always_inline]] inline void store_half_first(T* p, Half<T> v, int64_t n) {
#if defined(__AVX512F__) && defined(__AVX512VL__)
  if constexpr (sizeof(T) == 4)
    _mm256_mask_storeu_ps(p, __mmask8((1u << n) - 1u), (__m256)v);
  else
    _mm256_mask_storeu_pd(p, __mmask8((1u << n) - 1u), (__m256d)v);
#else
  std::memcpy(p, &v, size_t(n) * sizeof(T));
#endif
}

// ---- geometry --------------------------------------------------------------------------------

// Row tiles of C: kTileRows rows each; a remainder of at most kMaxTileRows - kTileRows rows joins
// the last full tile, a larger one gets a tile of its own.
inline int64_t row_tiles(int64_t M) {
  const int64_t full = M / kTileRows, rem = M % kTileRows;
  if (rem == 0) return full;
  return full > 0 && rem <= kMaxTileRows - kTileRows ? full : full + 1;
}
inline int64_t tile_rows(int64_t M, int64_t tiles, int64_t t) {
  return t + 1 == tiles ? M - t * kTileRows : kTileRows;
}

// Column panels: kPanel<T> wide (two vectors); the last one only as wide as its columns need, in
// whole vectors plus, where kHasHalf, half a vector: `full` vectors and `half` (0 or 1) halves.
template <class T>
int64_t panels(int64_t N) {
  return (N + kPanel<T> - 1) / kPanel<T>;
}
struct PanelShape {
  int64_t full, half;
};
template <class T>
PanelShape panel_shape(int64_t cols) {
  constexpr int64_t L = kLanes<T>, H = kHasHalf ? kHalfLanes<T> : 0;
  if (cols > L + H) return {2, 0};
  if (cols > L) return {1, 1};
  if (cols > H) return {1, 0};
  return {0, 1};
}

// Slabs of K: equal sizes of at most kSlabK, fixed by K alone.
struct Slabs {
  int64_t count, size;
  explicit Slabs(int64_t K)
      : count(std::max<int64_t>(1, (K + kSlabK - 1) / kSlabK)), size((K + count - 1) / count) {}
};

// ---- packing ---------------------------------------------------------------------------------

// op(B)[0:kc, 0:N] (B already offset to the slab) → panel p at dst + p·kc·kPanel: its full
// vectors' columns as [kc, full·kLanes] (element (k, j) at [k·w + j]), then its half vector's as
// [kc, kHalfLanes]; columns past N are zero.
template <class T>
void pack_b(bool trans_b, const T* B, int64_t ldb, int64_t kc, int64_t N, int64_t p0, int64_t p1,
            T* dst) {
  constexpr int64_t P = kPanel<T>, L = kLanes<T>;
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t j0 = p * P, cols = std::min(P, N - j0);
    const PanelShape ps = panel_shape<T>(cols);
    // Two blocks: columns [0, wf) as [kc, wf], then [wf, wf + wh) as [kc, wh].
    const int64_t wf = ps.full * L, wh = ps.half * kHalfLanes<T>;
    for (int64_t blk = 0; blk < 2; ++blk) {
      const int64_t c0 = blk == 0 ? 0 : wf, w = blk == 0 ? wf : wh;
      const int64_t n = std::clamp<int64_t>(cols - c0, 0, w);  // real columns in the block
      if (w == 0) continue;
      T* d = dst + p * kc * P + (blk == 0 ? 0 : kc * wf);
      if (trans_b) {  // B stored [N, K]: row j of B is column j of op(B)
        if (n < w)
          for (int64_t k = 0; k < kc; ++k) std::fill(d + k * w + n, d + k * w + w, T(0));
        for (int64_t j = 0; j < n; ++j) {
          const T* src = B + (j0 + c0 + j) * ldb;
          for (int64_t k = 0; k < kc; ++k) d[k * w + j] = src[k];
        }
      } else {
        for (int64_t k = 0; k < kc; ++k) {
          const T* src = B + k * ldb + j0 + c0;
          T* dk = d + k * w;
          std::memcpy(dk, src, size_t(n) * sizeof(T));
          for (int64_t j = n; j < w; ++j) dk[j] = T(0);
        }
      }
    }
  }
}

// ---- micro-kernel ----------------------------------------------------------------------------

// Operands of one call after the slab offset: op(A)(i, k) = a[i·rsa + k·csa].
template <class T>
struct Operands {
  const T* a;
  int64_t rsa, csa;
  const T* bp;  // packed slab (all panels)
  int64_t kc;
  T* c;
  int64_t ldc;
  T alpha, beta;   // beta == 0: C is not read
  const T* bias;   // nullable, [N]
};

// Rows [i0, i0 + R) × panel p (cols columns in NV full vectors and NH = 0 or 1 half vectors)
// for one slab.
template <class T, int64_t R, int64_t NV, int64_t NH>
[[gnu::always_inline]] inline void micro_tile(const Operands<T>& o, int64_t i0, int64_t p,
                                              int64_t cols) {
  constexpr int64_t L = kLanes<T>, W = NV * L, HL = kHalfLanes<T>;
  constexpr int64_t NVa = NV > 0 ? NV : 1, NHa = NH > 0 ? NH : 1;  // array sizes
  const T* a = o.a + i0 * o.rsa;
  const T* b = o.bp + p * o.kc * kPanel<T>;  // full vectors' block
  const T* bh = b + o.kc * W;                 // half vector's block
  Vec<T> acc[R][NVa];
  Half<T> acch[R][NHa];
#pragma GCC unroll 16
  for (int64_t r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int64_t v = 0; v < NV; ++v) acc[r][v] = Vec<T>{};
    if constexpr (NH > 0) acch[r][0] = Half<T>{};
  }
  for (int64_t k = 0; k < o.kc; ++k) {
    Vec<T> bv[NVa];
#pragma GCC unroll 4
    for (int64_t v = 0; v < NV; ++v) bv[v] = load(b + k * W + v * L);
    Half<T> hv = {};
    if constexpr (NH > 0) hv = load_half(bh + k * HL);
    const T* ak = a + k * o.csa;
#pragma GCC unroll 16
    for (int64_t r = 0; r < R; ++r) {
      const T x = ak[r * o.rsa];
#pragma GCC unroll 4
      for (int64_t v = 0; v < NV; ++v) acc[r][v] += x * bv[v];
      if constexpr (NH > 0) acch[r][0] += x * hv;
    }
  }
  // Epilogue straight from the registers (loops fully unrolled so the tile never spills).
  const int64_t j0 = p * kPanel<T>;
  T* c = o.c + i0 * o.ldc + j0;
  int64_t n[NVa];  // valid columns per vector of the panel (0 for a padding-only vector)
  Vec<T> bias[NVa] = {};
#pragma GCC unroll 4
  for (int64_t v = 0; v < NV; ++v) {
    n[v] = std::clamp<int64_t>(cols - v * L, 0, L);
    if (o.bias && n[v] > 0) bias[v] = load_first(o.bias + j0 + v * L, n[v]);
  }
  const int64_t nh = NH > 0 ? std::clamp<int64_t>(cols - W, 0, HL) : 0;
  Half<T> biash = {};
  if (NH > 0 && o.bias && nh > 0) biash = load_half_first(o.bias + j0 + W, nh);
#pragma GCC unroll 16
  for (int64_t r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int64_t v = 0; v < NV; ++v) {
      if (n[v] == 0) continue;
      T* cp = c + r * o.ldc + v * L;
      Vec<T> out = o.alpha * acc[r][v];
      if (o.beta != T(0)) out += o.beta * load_first(cp, n[v]);
      if (o.bias) out += bias[v];
      store_first(cp, out, n[v]);
    }
    if constexpr (NH > 0) {
      if (nh > 0) {
        T* cp = c + r * o.ldc + W;
        Half<T> out = o.alpha * acch[r][0];
        if (o.beta != T(0)) out += o.beta * load_half_first(cp, nh);
        if (o.bias) out += biash;
        store_half_first(cp, out, nh);
      }
    }
  }
}

template <class T, int64_t NV, int64_t NH, int64_t R = 1>
void tile_dispatch(const Operands<T>& o, int64_t i0, int64_t rows, int64_t p, int64_t cols) {
  if constexpr (R <= kMaxTileRows) {
    if (rows == R) return micro_tile<T, R, NV, NH>(o, i0, p, cols);
    return tile_dispatch<T, NV, NH, R + 1>(o, i0, rows, p, cols);
  }
}

template <class T>
void tile(const Operands<T>& o, int64_t i0, int64_t rows, int64_t p, int64_t cols) {
  const PanelShape ps = panel_shape<T>(cols);
  if (ps.full == 2) return tile_dispatch<T, 2, 0>(o, i0, rows, p, cols);
  if (ps.full == 0) {
    if constexpr (kHasHalf) return tile_dispatch<T, 0, 1>(o, i0, rows, p, cols);
  }
  if (ps.half == 1) {
    if constexpr (kHasHalf) return tile_dispatch<T, 1, 1>(o, i0, rows, p, cols);
  }
  return tile_dispatch<T, 1, 0>(o, i0, rows, p, cols);
}

// ---- driver ----------------------------------------------------------------------------------

template <class T>
struct Problem {
  bool trans_a, trans_b;
  int64_t M, N, K;
  T alpha;
  const T* A;
  int64_t lda;
  const T* B;
  int64_t ldb;
  T beta;
  T* C;
  int64_t ldc;
  const T* bias;
};

// Per-thread packing scratch (grows, never shrinks).
template <class T>
T* pack_scratch(int64_t n) {
  thread_local std::vector<T> buf;
  if (int64_t(buf.size()) < n) buf.resize(size_t(n));
  return buf.data();
}

// Tiles [t0, t1) of the row-tile-major order (tile t: row tile t / panels, panel t % panels),
// every slab, on the calling thread. Requires M, N, K >= 1.
template <class T>
void run_tiles(const Problem<T>& g, int64_t t0, int64_t t1) {
  if (t0 >= t1) return;
  constexpr int64_t P = kPanel<T>;
  const int64_t np = panels<T>(g.N), nrt = row_tiles(g.M);
  const Slabs slabs(g.K);
  // Panels this range touches.
  const bool one_row = t0 / np == (t1 - 1) / np;
  const int64_t p0 = one_row ? t0 % np : 0, p1 = one_row ? (t1 - 1) % np + 1 : np;
  T* bp = pack_scratch<T>(slabs.size * np * P);
  for (int64_t s = 0; s < slabs.count; ++s) {
    const int64_t k0 = s * slabs.size, kc = std::min(slabs.size, g.K - k0);
    pack_b(g.trans_b, g.trans_b ? g.B + k0 : g.B + k0 * g.ldb, g.ldb, kc, g.N, p0, p1, bp);
    const Operands<T> o{g.trans_a ? g.A + k0 * g.lda : g.A + k0,
                        g.trans_a ? 1 : g.lda,
                        g.trans_a ? g.lda : 1,
                        bp,
                        kc,
                        g.C,
                        g.ldc,
                        g.alpha,
                        s == 0 ? g.beta : T(1),
                        s == 0 ? g.bias : nullptr};
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t rt = t / np, p = t % np;
      const int64_t rows = tile_rows(g.M, nrt, rt);
      tile<T>(o, rt * kTileRows, rows, p, std::min(P, g.N - p * P));
    }
  }
}

// Relative cost of a tile: half-vector FMAs per k, with a floor for tiles too small to hide the
// FMA latency.
template <class T>
int64_t tile_cost(int64_t rows, int64_t cols) {
  const PanelShape ps = panel_shape<T>(cols);
  return std::max<int64_t>(rows * (2 * ps.full + ps.half), 16);
}

// The whole of C, threaded over tiles when `threads` > 1: thread i gets the i-th of `threads`
// contiguous ranges of the tile order with about equal cost. Which thread computes a tile never
// changes its bits. Requires M, N, K >= 1.
template <class T>
void run(const Problem<T>& g, int threads) {
  const int64_t np = panels<T>(g.N), nrt = row_tiles(g.M), tiles = nrt * np;
  threads = int(std::min<int64_t>(threads, tiles));
  if (threads <= 1) return run_tiles(g, 0, tiles);
  // Equal row tiles cost the same, so cut by cost over whole row tiles where there are enough
  // of them, else by tile.
  std::vector<int64_t> bounds(size_t(threads) + 1, tiles);
  std::vector<int64_t> cum(size_t(tiles) + 1, 0);
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t rt = t / np, p = t % np;
    cum[size_t(t + 1)] = cum[size_t(t)] + tile_cost<T>(tile_rows(g.M, nrt, rt),
                                                        std::min(kPanel<T>, g.N - p * kPanel<T>));
  }
  bounds[0] = 0;
  for (int i = 1; i < threads; ++i) {
    const int64_t target = cum[size_t(tiles)] * i / threads;
    bounds[size_t(i)] = std::lower_bound(cum.begin(), cum.end(), target) - cum.begin();
  }
#pragma omp parallel num_threads(threads)
  {
    // The team may be smaller than asked for: its threads then take the ranges in turn.
    const int nt = omp_get_num_threads();
    for (int i = omp_get_thread_num(); i < threads; i += nt)
      run_tiles(g, bounds[size_t(i)], bounds[size_t(i) + 1]);
  }
}

// Whether C is cheaper computed as Cᵀ = op(B)ᵀ·op(A)ᵀ (into a scratch, then transposed back):
// a small C (weight gradients) whose rows fill the SIMD lanes better than its columns, e.g.
// [150, 50] = 150 of 160 lanes as Cᵀ against 50 of 64 as C. Fixed by the shape alone.
template <class T>
bool better_transposed(int64_t M, int64_t N, int64_t K) {
  if (K < 64 || M * N > (int64_t{1} << 16)) return false;
  auto cost = [](int64_t rows, int64_t cols) {
    const int64_t nrt = row_tiles(rows), np = panels<T>(cols);
    int64_t c = 0;
    for (int64_t rt = 0; rt < nrt; ++rt)
      for (int64_t p = 0; p < np; ++p)
        c += tile_cost<T>(tile_rows(rows, nrt, rt), std::min(kPanel<T>, cols - p * kPanel<T>));
    return c;
  };
  return 10 * cost(N, M) < 9 * cost(M, N);
}

}  // namespace amor::kernels::cpu::packed

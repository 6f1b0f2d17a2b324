// Internal helpers shared by the reduction-style CPU kernels (reduce, softmax, layer_norm, scan,
// index): the threading policy and deterministic summation. Not part of the kernel API: core
// calls the kernels, never these.
//
// Determinism: every summation order below depends only on the sizes, never on the number of
// threads. Work is split into tasks whose results are written to disjoint outputs, and partial
// sums are combined in a fixed order on one thread.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/cpu/fast_math.h"

namespace amor::kernels::cpu::detail {

// Total elements above which a kernel forks OpenMP threads.
inline constexpr int64_t kParallelWork = 32768;
// Column tile of an [n, inner] reduction: inner loops run over at most this many contiguous
// columns, so per-task scratch lives on the stack.
inline constexpr int64_t kTile = 64;
// Block length of contig_sum: the unit of parallel work for one long contiguous sum.
inline constexpr int64_t kSumBlock = 8192;

// body(o) for o in [0, outer); threads when work > kParallelWork.
template <class F>
void for_each_row(int64_t outer, int64_t work, const F& body) {
#pragma omp parallel for schedule(static) if (work > kParallelWork)
  for (int64_t o = 0; o < outer; ++o) body(o);
}

// body(o, j0, w) for every outer index o and column tile [j0, j0 + w) of [0, inner), w <= kTile;
// threads when work > kParallelWork.
template <class F>
void for_each_tile(int64_t outer, int64_t inner, int64_t work, const F& body) {
  const int64_t tiles = (inner + kTile - 1) / kTile;
  const int64_t tasks = outer * tiles;
#pragma omp parallel for schedule(static) if (work > kParallelWork)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t o = t / tiles;
    const int64_t j0 = (t % tiles) * kTile;
    body(o, j0, std::min(kTile, inner - j0));
  }
}

// Sum of f(i) for i in [begin, end). Pairwise (error O(log n) rather than O(n)), with eight
// interleaved accumulators at the leaves so the compiler can vectorise them.
template <class T, class F>
T pairwise_sum(int64_t begin, int64_t end, const F& f) {
  constexpr int64_t kLeaf = 256;
  const int64_t n = end - begin;
  if (n <= kLeaf) {
    T acc[8] = {};
    int64_t i = begin;
    for (; i + 8 <= end; i += 8)
      for (int64_t j = 0; j < 8; ++j) acc[j] += f(i + j);
    T tail = 0;
    for (; i < end; ++i) tail += f(i);
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
  }
  const int64_t mid = begin + (n / 16) * 8;  // split near the middle, on a multiple of 8
  return pairwise_sum<T>(begin, mid, f) + pairwise_sum<T>(mid, end, f);
}

// Sum of f(i) for i in [0, n): pairwise within blocks of kSumBlock, then pairwise over the block
// sums. With `parallel`, blocks are spread over threads; the result is the same either way.
template <class T, class F>
T contig_sum(int64_t n, const F& f, bool parallel) {
  if (n <= kSumBlock) return pairwise_sum<T>(0, n, f);
  const int64_t blocks = (n + kSumBlock - 1) / kSumBlock;
  std::vector<T> part(static_cast<size_t>(blocks));
#pragma omp parallel for schedule(static) if (parallel && n > kParallelWork)
  for (int64_t b = 0; b < blocks; ++b)
    part[b] = pairwise_sum<T>(b * kSumBlock, std::min(n, (b + 1) * kSumBlock), f);
  return pairwise_sum<T>(0, blocks, [&part](int64_t b) { return part[b]; });
}

// out[j] = sum of f(k, j) for k in [begin, end), j in [0, w), w <= kTile. Rows are combined
// pairwise (leaves of 16 rows summed in order), so the error grows like O(log n).
template <class T, class F>
void sum_rows(int64_t begin, int64_t end, int64_t w, const F& f, T* out) {
  constexpr int64_t kLeaf = 16;
  if (end - begin <= kLeaf) {
    for (int64_t j = 0; j < w; ++j) out[j] = 0;
    for (int64_t k = begin; k < end; ++k)
#pragma omp simd
      for (int64_t j = 0; j < w; ++j) out[j] += f(k, j);
    return;
  }
  const int64_t mid = begin + (end - begin) / 2;
  sum_rows<T>(begin, mid, w, f, out);
  T tmp[kTile];
  sum_rows<T>(mid, end, w, f, tmp);
  for (int64_t j = 0; j < w; ++j) out[j] += tmp[j];
}

// sum_rows over whole rows of any width w: the same pairwise tree over rows (leaves of 16 rows
// summed in order, halves split at the same points), so each column gets exactly the bits of
// sum_rows, but every row is read contiguously once instead of once per kTile-column tile.
// scratch: room for rows_tree_depth(end - begin) · w elements.
inline int64_t rows_tree_depth(int64_t n) {
  int64_t d = 1;
  for (; n > 16; n -= n / 2) ++d;
  return d;
}

template <class T, class F>
void sum_rows_wide(int64_t begin, int64_t end, int64_t w, const F& f, T* out, T* scratch) {
  constexpr int64_t kLeaf = 16;
  if (end - begin <= kLeaf) {
    for (int64_t j = 0; j < w; ++j) out[j] = 0;
    for (int64_t k = begin; k < end; ++k)
#pragma omp simd
      for (int64_t j = 0; j < w; ++j) out[j] += f(k, j);
    return;
  }
  const int64_t mid = begin + (end - begin) / 2;
  sum_rows_wide<T>(begin, mid, w, f, out, scratch);
  sum_rows_wide<T>(mid, end, w, f, scratch, scratch + w);
#pragma omp simd
  for (int64_t j = 0; j < w; ++j) out[j] += scratch[j];
}

// The nodes `levels` splits below [begin, end) of that tree (fewer where a leaf comes first),
// in order: units of parallel work whose sums combine_rows_tree puts together exactly as the
// serial recursion would.
inline void rows_tree_nodes(int64_t begin, int64_t end, int levels,
                            std::vector<std::pair<int64_t, int64_t>>& nodes) {
  if (levels == 0 || end - begin <= 16) {
    nodes.emplace_back(begin, end);
    return;
  }
  const int64_t mid = begin + (end - begin) / 2;
  rows_tree_nodes(begin, mid, levels - 1, nodes);
  rows_tree_nodes(mid, end, levels - 1, nodes);
}

// out = the tree's sum from the node sums (node i at part + i·w), consuming nodes from *next.
template <class T>
void combine_rows_tree(int64_t begin, int64_t end, int levels, int64_t w, const T* part,
                       size_t* next, T* out, T* scratch) {
  if (levels == 0 || end - begin <= 16) {
    const T* src = part + *next * size_t(w);
    ++*next;
    for (int64_t j = 0; j < w; ++j) out[j] = src[j];
    return;
  }
  const int64_t mid = begin + (end - begin) / 2;
  combine_rows_tree<T>(begin, mid, levels - 1, w, part, next, out, scratch);
  combine_rows_tree<T>(mid, end, levels - 1, w, part, next, scratch, scratch + w);
  for (int64_t j = 0; j < w; ++j) out[j] += scratch[j];
}

// out[j] = Σ_k f(k, j) over k in [0, n), j in [0, w): the sum_rows tree over whole rows, with the
// subtrees 3 levels down spread over threads when work > kParallelWork. Same bits as sum_rows
// per column, for any thread count.
template <class T, class F>
void column_sums(int64_t n, int64_t w, const F& f, T* out) {
  const int64_t depth = rows_tree_depth(n);
  if (n * w <= kParallelWork) {
    std::vector<T> scratch(static_cast<size_t>(depth * w));
    sum_rows_wide<T>(0, n, w, f, out, scratch.data());
    return;
  }
  constexpr int kLevels = 3;
  std::vector<std::pair<int64_t, int64_t>> nodes;
  rows_tree_nodes(0, n, kLevels, nodes);
  std::vector<T> part(nodes.size() * static_cast<size_t>(w));
#pragma omp parallel
  {
    std::vector<T> scratch(static_cast<size_t>(depth * w));
#pragma omp for schedule(dynamic, 1)
    for (size_t i = 0; i < nodes.size(); ++i)
      sum_rows_wide<T>(nodes[i].first, nodes[i].second, w, f, part.data() + i * size_t(w),
                       scratch.data());
  }
  std::vector<T> scratch(static_cast<size_t>(kLevels + 1) * static_cast<size_t>(w));
  size_t next = 0;
  combine_rows_tree<T>(0, n, kLevels, w, part.data(), &next, out, scratch.data());
}

// True when v should replace best in a NaN-propagating max (kMax) or min scan that keeps the
// first extreme: strictly better, or the first NaN. Once best is NaN nothing replaces it.
template <bool kMax, class T>
inline bool replaces(T v, T best) {
  const bool better = kMax ? (v > best) : (v < best);
  return better || (v != v && best == best);
}

// Maximum (kMax) or minimum of r[0, n) with NaN propagation; -inf (+inf) when n == 0.
// NaN is tracked in a separate integer flag so both reductions vectorise.
template <bool kMax, class T>
T row_extreme(const T* r, int64_t n) {
  constexpr T inf = std::numeric_limits<T>::infinity();
  int nan = 0;
  T m = kMax ? -inf : inf;
  if constexpr (kMax) {
#pragma omp simd reduction(max : m) reduction(| : nan)
    for (int64_t i = 0; i < n; ++i) {
      m = r[i] > m ? r[i] : m;
      nan |= r[i] != r[i];
    }
  } else {
#pragma omp simd reduction(min : m) reduction(| : nan)
    for (int64_t i = 0; i < n; ++i) {
      m = r[i] < m ? r[i] : m;
      nan |= r[i] != r[i];
    }
  }
  return nan ? std::numeric_limits<T>::quiet_NaN() : m;
}

template <class T>
T row_max(const T* r, int64_t n) {
  return row_extreme<true>(r, n);
}

// m[j] = max over k in [0, n) of f(k, j), j in [0, w), with NaN propagation; -inf when n == 0.
template <class T, class F>
void tile_max(int64_t n, int64_t w, const F& f, T* m) {
  for (int64_t j = 0; j < w; ++j) m[j] = -std::numeric_limits<T>::infinity();
  for (int64_t k = 0; k < n; ++k)
#pragma omp simd
    for (int64_t j = 0; j < w; ++j) {
      const T v = f(k, j);
      m[j] = replaces<true>(v, m[j]) ? v : m[j];
    }
}

// The shift used by softmax/logsumexp: the max itself, or 0 when the max is -inf (all inputs
// -inf or none), so that x - shift stays -inf instead of NaN and exp gives exact zeros.
template <class T>
inline T safe_shift(T m) {
  return m == -std::numeric_limits<T>::infinity() ? T(0) : m;
}

// e^x for the softmax family, where x = input - max <= 0 (or a log-probability). float32 uses the
// vectorisable polynomial of fast_math.h (a scalar libm call stops the loop vectorising); below its
// range (x < -87.34, -inf included) the result is exactly 0, so masked entries contribute exactly
// 0. float64 uses libm.
template <class T>
inline T shifted_exp(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return x < -87.3365447504f ? 0.0f : fast_math::exp(x);
  } else {
    return std::exp(x);
  }
}

}  // namespace amor::kernels::cpu::detail

// Fused masked attention (contract in attention.h).
//
// Shape of the work. One task per (b, h). Inside a task, queries are taken in blocks of
// W = one 512-bit vector (16 floats, 8 doubles), and every inner loop runs over the W queries of
// the block ("lanes") while key and head-dim entries are broadcast as scalars. So the loops stay
// fully vectorised for any D (vectorising over D = 10 would waste 6 of 16 lanes), and the
// softmax over keys is a run of vertical max/add operations with no horizontal reductions.
// For one query block:
//   forward:  S[j][l] = q_l·k_j + bias_lj (bias = -inf where masked) for all keys, in a [T, W]
//             scratch, with the running row max; then P = exp(S − max) with the row sums and
//             O = (Pᵀ V) / sum, written to out (for D <= 16 known at compile time the exp is
//             fused into the Pᵀ V loop, whose D×W accumulators stay in registers).
//   backward: P[j][l] = exp(q_l·k_j − lse_l), dS[j][l] = P·(dO_l·v_j − Δ_l), both in [T, W]
//             scratch; dQ = scale·dSᵀK for the block's rows; then dV += P dO and
//             dK += dS (scale·Q) summed over the block's queries, into [T, Dp] per-task
//             accumulators (Dp = D rounded up to W; these two run over d, the one direction
//             where a sum over lanes would be horizontal), written out once per task.
// The scale (and, in float32, log2(e): see kLog2e) is folded into the packed copy of Q, so the
// backward recomputes the forward's scores bit for bit.
//
// The mask is transposed once per batch (per thread, shared by the H heads) into an additive
// bias, bias[j][i] = 0 where query i may attend key j and -inf elsewhere, rows padded to a
// multiple of W with -inf: a key's mask for a query block is then one W-wide vector added to
// the scores (a byte mask with a select does not vectorise under GCC), and padding lanes past T
// are masked like any forbidden key.
#include "kernels/cpu/attention.h"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/cpu/fast_math.h"

namespace amor::kernels::cpu {

namespace {

template <class T>
constexpr int kW = int(64 / sizeof(T));  // lanes: queries per block

template <class T>
constexpr T kInf = std::numeric_limits<T>::infinity();

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// Units of the scores. float32 works in base 2: log2(e) is folded into the packed queries, so
// scores come out as s·log2(e) and the weights are 2^(s2 − max2), which saves the multiply and
// the two-step argument reduction of e^x. float64 works in base e with libm.
template <class T>
constexpr T kLog2e = T(1);
template <>
constexpr float kLog2e<float> = 1.44269504088896341f;

// Softmax weights from score differences x = s − max (forward) or s − lse (backward), in the
// units above: at most a few ulp above 0, -inf for a masked score, or NaN when the inputs hold
// NaN or inf. Masked scores must get a weight of exactly zero: that is what makes out, dq, dk
// and dv exactly zero for fully masked rows and keys.
//   float32: 2^x = 2^n · p(r), n = round(x), r = x − n in [-0.5, 0.5] (exact), p a degree-5
//   near-minimax polynomial with p(0) = 1 exactly (relative error < 2e-7 evaluated in float).
//   The rounding adds and subtracts 1.5·2^23 (floorf would be called out of line by GCC under
//   -ftrapping-math, which keeps the loop from vectorising), and the bits of x + 1.5·2^23 give n
//   directly. x < -126 (including the masked -inf) gives exactly 0; NaN stays NaN.
//   float64: e^x from libm, where e^-inf = 0 exactly.
inline float softmax_exp(float x) {
  const float lo = -126.0f, round = 12582912.0f;  // 1.5·2^23
  const float xc = x < lo ? lo : x;
  const float t = xc + round;
  const float r = xc - (t - round);
  float p = 1.3264727644e-3f;
  p = p * r + 9.6715126762e-3f;
  p = p * r + 5.5507337417e-2f;
  p = p * r + 2.4022242085e-1f;
  p = p * r + 6.9314697760e-1f;
  p = p * r + 1.0f;
  const float two_n = std::bit_cast<float>((std::bit_cast<uint32_t>(t) + 127u) << 23);
  return x < lo ? 0.0f : p * two_n;
}
inline double softmax_exp(double x) { return std::exp(x); }

// s − lse in score units (lse is kept in natural units), with a single rounding where the
// FMA instruction exists (without it std::fma would be a libm call per lane).
inline float minus_lse(float s, float lse) {
#if defined(__FMA__)
  return std::fma(-lse, kLog2e<float>, s);
#else
  return s - lse * kLog2e<float>;
#endif
}
inline double minus_lse(double s, double lse) { return s - lse; }

// log(x) for the softmax row sums, x >= 1 (the max's own weight is exactly 1): fast_math::log
// (Cephes logf, branch-free, so the row loop vectorises). float64: libm.
inline float sum_log(float x) { return fast_math::log(x); }
inline double sum_log(double x) { return std::log(x); }

// f(std::integral_constant<int, JB>{}, j) over [0, n) in groups of JB = 8 keys, then 4, 2, 1:
// the register tiles below work on JB keys at once so that JB independent FMA chains overlap.
template <class F>
inline void for_key_groups(int64_t n, F&& f) {
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) f(std::integral_constant<int, 8>{}, j);
  if (j + 4 <= n) f(std::integral_constant<int, 4>{}, j), j += 4;
  if (j + 2 <= n) f(std::integral_constant<int, 2>{}, j), j += 2;
  if (j < n) f(std::integral_constant<int, 1>{}, j);
}

// Per-thread scratch, sized for one (b, h) task.
template <class T>
struct Scratch {
  static constexpr int W = kW<T>;
  int64_t Tn = 0, D = 0, Tp = 0, Dp = 0;
  std::vector<T> store;
  // The mask of the current batch as an additive bias, [T][Tp]: bias[j*Tp + i] = 0 if query i
  // may attend key j, -inf otherwise and for padding queries i >= T.
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;  // one lane's bit word
  static constexpr int NB = int(8 * sizeof(Bits));                      // keys per word
  std::vector<T> bias_store;
  std::vector<Bits> bits_store;  // [ceil(T/NB)][Tp] packed mask rows (see bias_for)
  T* bias = nullptr;
  Bits* bits = nullptr;
  int64_t mask_key = -1;  // the batch index bias holds (0 for a shared or no mask)
  T *qt = nullptr, *ot = nullptr;   // [D][W] query block: scale·log2e·q, and dO (backward)
  T *qr = nullptr, *orow = nullptr; // [W][Dp] scale·q and dO as zero-padded rows (backward)
  T *P = nullptr, *dS = nullptr;    // [T][W] scores / probabilities, and dS (backward)
  T *dK = nullptr, *dV = nullptr;   // [T][Dp] per-task accumulators (backward)

  Scratch(const AttentionParams& p, bool backward)
      : Tn(p.T), D(p.D), Tp(round_up(p.T, W)), Dp(std::max<int64_t>(W, round_up(p.D, W))) {
    const int64_t sizes[8] = {D * W, backward ? D * W : 0, backward ? W * Dp : 0,
                              backward ? W * Dp : 0, Tn * W, backward ? Tn * W : 0,
                              backward ? Tn * Dp : 0, backward ? Tn * Dp : 0};
    int64_t total = W;  // slack for aligning the first buffer
    for (int64_t s : sizes) total += round_up(s, W);
    store.assign(size_t(total), T(0));
    T* at = store.data();
    while (reinterpret_cast<uintptr_t>(at) % 64 != 0) ++at;  // vector<T> is T-aligned
    T** slots[8] = {&qt, &ot, &qr, &orow, &P, &dS, &dK, &dV};
    for (int i = 0; i < 8; ++i) {
      *slots[i] = at;
      at += round_up(sizes[i], W);
    }
    bias_store.assign(size_t(Tn * Tp + W), T(0));
    bias = bias_store.data();
    while (reinterpret_cast<uintptr_t>(bias) % 64 != 0) ++bias;
    bits_store.assign(size_t((Tn + NB - 1) / NB * Tp + W), Bits(0));
    bits = bits_store.data();
    while (reinterpret_cast<uintptr_t>(bits) % 64 != 0) ++bits;
  }

  // Bit x of the result = (src[x] != 0), x < NB. A fixed-length loop, which GCC vectorises.
  static Bits pack_word(const uint8_t* src) {
    Bits word = 0;
    for (int x = 0; x < NB; ++x) word |= Bits(src[x] != 0) << x;
    return word;
  }

  // The transposed mask bias of batch b (built on first use, kept while b's mask is the same).
  // Two vectorisable passes instead of a strided byte transpose (which, with branches on random
  // mask bytes, cost more than the attention itself at T = 64, H = 4 with a per-sample mask):
  //   1. pack each query row's bytes into bit words, bits[w*Tp + i] bit x = mask(i, w*NB + x),
  //      reading the mask row by row;
  //   2. expand: bias[j*Tp + i] = bit (j % NB) of bits[(j / NB)*Tp + i] ? 0 : -inf, W queries
  //      at a time.
  const T* bias_for(const AttentionParams& p, int64_t b) {
    const int64_t key = (p.mask != nullptr && p.mask_sb != 0) ? b : 0;
    if (key == mask_key) return bias;
    mask_key = key;
    if (p.mask == nullptr) {
      for (int64_t j = 0; j < Tn; ++j) {
        std::fill(bias + j * Tp, bias + j * Tp + Tn, T(0));
        std::fill(bias + j * Tp + Tn, bias + Tp * (j + 1), -kInf<T>);
      }
      return bias;
    }
    const uint8_t* m = p.mask + b * p.mask_sb;
    const int64_t full = Tn / NB, words = (Tn + NB - 1) / NB;
    for (int64_t i = 0; i < Tn; ++i) {
      const uint8_t* row = m + i * Tn;
      for (int64_t w = 0; w < full; ++w) bits[w * Tp + i] = pack_word(row + w * NB);
      if (full < words) {  // the last, partial word: through a zero-padded copy
        uint8_t tail[NB] = {};
        std::copy(row + full * NB, row + Tn, tail);
        bits[full * Tp + i] = pack_word(tail);
      }
    }
    constexpr Bits kNegInf = std::bit_cast<Bits>(-kInf<T>);
    for (int64_t j = 0; j < Tn; ++j) {
      const Bits* wj = bits + (j / NB) * Tp;
      const int sh = int(j % NB);
      T* row = bias + j * Tp;
#pragma omp simd
      for (int64_t i = 0; i < Tp; ++i)  // padding queries: bits are 0, so bias -inf
        row[i] = std::bit_cast<T>((((wj[i] >> sh) & Bits(1)) - Bits(1)) & kNegInf);
    }
    return bias;
  }
};

// qt[d][l] = f · x[l*st + d] for l < nv, 0 for the padding lanes.
template <class T>
inline void pack_columns(const T* x, int64_t st, int64_t nv, int64_t D, T f, T* qt) {
  constexpr int W = kW<T>;
  if (nv < W) std::fill(qt, qt + D * W, T(0));
  for (int64_t l = 0; l < nv; ++l) {
    const T* row = x + l * st;
    for (int64_t d = 0; d < D; ++d) qt[d * W + l] = f * row[d];
  }
}

// rows[l][d] = f · x[l*st + d] for l < nv, d < D; rows of the padding lanes are zeroed. The
// columns d in [D, Dp) are never written: they stay zero from the Scratch constructor.
template <class T>
inline void pack_rows(const T* x, int64_t st, int64_t nv, int64_t D, int64_t Dp, T f, T* rows) {
  constexpr int W = kW<T>;
  for (int64_t l = 0; l < nv; ++l) {
    const T* src = x + l * st;
    T* dst = rows + l * Dp;
#pragma omp simd
    for (int64_t d = 0; d < D; ++d) dst[d] = f * src[d];
  }
  if (nv < W) std::fill(rows + nv * Dp, rows + W * Dp, T(0));
}

// Forward scores for keys j .. j+JB-1 of one query block:
//   S[r][l] = Σ_d qt[d][l]·k[(j+r)·kst + d] + bias(l, j+r)  (-inf where masked),
//   m[l] = max(m[l], S[r][l]).
// kj = k row j, bj = bias row j at the block's first query, Sj = scratch row j.
template <class T, int kD, int JB>
inline void score_rows(int64_t Drt, const T* qt, const T* kj, int64_t kst, const T* bj,
                       int64_t Tp, T* Sj, T* m) {
  constexpr int W = kW<T>;
  const int64_t D = kD > 0 ? kD : Drt;
  alignas(64) T s[JB][W] = {};
  for (int64_t d = 0; d < D; ++d) {
    const T* qd = qt + d * W;
    for (int r = 0; r < JB; ++r) {
      const T kd = kj[r * kst + d];
#pragma omp simd
      for (int l = 0; l < W; ++l) s[r][l] += kd * qd[l];
    }
  }
  for (int r = 0; r < JB; ++r) {
    const T* br = bj + r * Tp;
    T* out = Sj + r * W;
#pragma omp simd
    for (int l = 0; l < W; ++l) {
      const T x = s[r][l] + br[l];
      out[l] = x;
      m[l] = x > m[l] ? x : m[l];
    }
  }
}

// Backward, keys j .. j+JB-1 of one query block: recompute P from the scores and lse, and
//   dS[r][l] = P[r][l] · (Σ_d ot[d][l]·v[(j+r)·vst + d] − delta[l]).
template <class T, int kD, int JB>
inline void grad_rows(int64_t Drt, const T* qt, const T* ot, const T* kj, int64_t kst,
                      const T* vj, int64_t vst,
                      const T* bj, int64_t Tp, const T* lse, const T* delta, T* Pj,
                      T* dSj) {
  constexpr int W = kW<T>;
  const int64_t D = kD > 0 ? kD : Drt;
  alignas(64) T s[JB][W] = {};
  alignas(64) T g[JB][W] = {};
  for (int64_t d = 0; d < D; ++d) {
    const T* qd = qt + d * W;
    const T* od = ot + d * W;
    for (int r = 0; r < JB; ++r) {
      const T kd = kj[r * kst + d];
      const T vd = vj[r * vst + d];
#pragma omp simd
      for (int l = 0; l < W; ++l) {
        s[r][l] += kd * qd[l];
        g[r][l] += vd * od[l];
      }
    }
  }
  for (int r = 0; r < JB; ++r) {
    const T* br = bj + r * Tp;
    T* pr = Pj + r * W;
    T* dsr = dSj + r * W;
#pragma omp simd
    for (int l = 0; l < W; ++l) {
      const T pv = softmax_exp(minus_lse(s[r][l] + br[l], lse[l]));
      pr[l] = pv;
      dsr[l] = pv * (g[r][l] - delta[l]);
    }
  }
}

// acc[dd][l] = Σ_j P[j][l]·M[j*mst + dd] for dd < DC: one DC-column chunk of Pᵀ M for the
// query block, the DC·W accumulators held in registers over the j loop.
// With kExp, P holds scores and the weights are made on the fly, e = exp(P[j][l] − shift[l]),
// with their row sums added to sum (the forward's softmax fused into P V when D <= 16).
template <class T, int DC, bool kExp>
inline void pv_chunk(int64_t Tn, const T* P, const T* M, int64_t mst, const T* shift, T* sum,
                     T (&acc)[DC][kW<T>]) {
  constexpr int W = kW<T>;
  for (int dd = 0; dd < DC; ++dd)
    for (int l = 0; l < W; ++l) acc[dd][l] = T(0);
  alignas(64) T total[W] = {};
  for (int64_t j = 0; j < Tn; ++j) {
    const T* pj = P + j * W;
    const T* mj = M + j * mst;
    alignas(64) T e[W];
    if constexpr (kExp) {
#pragma omp simd
      for (int l = 0; l < W; ++l) {
        e[l] = softmax_exp(pj[l] - shift[l]);
        total[l] += e[l];
      }
      pj = e;
    }
    for (int dd = 0; dd < DC; ++dd) {
      const T x = mj[dd];
#pragma omp simd
      for (int l = 0; l < W; ++l) acc[dd][l] += x * pj[l];
    }
  }
  if constexpr (kExp)
    for (int l = 0; l < W; ++l) sum[l] = total[l];
}

// out[l*ost + dd] = f[l]·acc[dd][l] for l < nv: back from lanes to rows.
template <class T, int DC>
inline void store_rows(const T (&acc)[DC][kW<T>], const T* f, int64_t nv, T* out, int64_t ost) {
  constexpr int W = kW<T>;
  alignas(64) T scaled[DC][W];
  for (int dd = 0; dd < DC; ++dd)
#pragma omp simd
    for (int l = 0; l < W; ++l) scaled[dd][l] = f[l] * acc[dd][l];
  for (int64_t l = 0; l < nv; ++l)
    for (int dd = 0; dd < DC; ++dd) out[l * ost + dd] = scaled[dd][l];
}

template <class T, int DC>
inline void weighted_sum_chunk(int64_t Tn, const T* P, const T* M, int64_t mst, const T* f,
                               int64_t nv, T* out, int64_t ost) {
  alignas(64) T acc[DC][kW<T>];
  pv_chunk<T, DC, false>(Tn, P, M, mst, nullptr, nullptr, acc);
  store_rows<T, DC>(acc, f, nv, out, ost);
}

// out[l*ost + d] = f[l] · Σ_j P[j][l]·M[j*mst + d] for all d < D, l < nv: one chunk when
// D <= 16 is known at compile time, otherwise chunks of 16, 8, 4, 2, 1.
template <class T, int kD>
inline void weighted_sum(int64_t Tn, int64_t Drt, const T* P, const T* M, int64_t mst,
                         const T* f, int64_t nv, T* out, int64_t ost) {
  if constexpr (kD > 0 && kD <= 16) {
    (void)Drt;
    weighted_sum_chunk<T, kD>(Tn, P, M, mst, f, nv, out, ost);
  } else {
    const int64_t D = kD > 0 ? kD : Drt;
    int64_t d0 = 0;
    for (; d0 + 16 <= D; d0 += 16)
      weighted_sum_chunk<T, 16>(Tn, P, M + d0, mst, f, nv, out + d0, ost);
    if (D - d0 >= 8) weighted_sum_chunk<T, 8>(Tn, P, M + d0, mst, f, nv, out + d0, ost), d0 += 8;
    if (D - d0 >= 4) weighted_sum_chunk<T, 4>(Tn, P, M + d0, mst, f, nv, out + d0, ost), d0 += 4;
    if (D - d0 >= 2) weighted_sum_chunk<T, 2>(Tn, P, M + d0, mst, f, nv, out + d0, ost), d0 += 2;
    if (D - d0 >= 1) weighted_sum_chunk<T, 1>(Tn, P, M + d0, mst, f, nv, out + d0, ost);
  }
}

// dV[j] += Σ_l P[j][l]·orow[l],  dK[j] += Σ_l dS[j][l]·qr[l]  for keys j .. j+JB-1, over the
// nv queries of the block; rows are Dp long, one W-wide chunk at a time.
template <class T, int JB>
inline void accumulate_kv(int64_t j, int64_t nv, int64_t Dp, const T* P, const T* dS,
                          const T* orow, const T* qr, T* dV, T* dK) {
  constexpr int W = kW<T>;
  for (int64_t c = 0; c < Dp; c += W) {
    alignas(64) T av[JB][W], ak[JB][W];
    for (int r = 0; r < JB; ++r)
#pragma omp simd
      for (int x = 0; x < W; ++x) {
        av[r][x] = dV[(j + r) * Dp + c + x];
        ak[r][x] = dK[(j + r) * Dp + c + x];
      }
    for (int64_t l = 0; l < nv; ++l) {
      const T* ol = orow + l * Dp + c;
      const T* ql = qr + l * Dp + c;
      for (int r = 0; r < JB; ++r) {
        const T pv = P[(j + r) * W + l];
        const T ds = dS[(j + r) * W + l];
#pragma omp simd
        for (int x = 0; x < W; ++x) {
          av[r][x] += pv * ol[x];
          ak[r][x] += ds * ql[x];
        }
      }
    }
    for (int r = 0; r < JB; ++r)
#pragma omp simd
      for (int x = 0; x < W; ++x) {
        dV[(j + r) * Dp + c + x] = av[r][x];
        dK[(j + r) * Dp + c + x] = ak[r][x];
      }
  }
}

// One (b, h): q, k, v, o point at token 0 of this batch and head; lse at its [T] row.
template <class T, int kD>
void forward_head(const AttentionParams& p, const T* q, const T* k, const T* v, T* o, T* lse,
                  const T* bias, Scratch<T>& ws) {
  constexpr int W = kW<T>;
  const int64_t Tn = p.T, D = kD > 0 ? kD : p.D, Tp = ws.Tp;
  const int64_t qst = p.q.st, kst = p.k.st, vst = p.v.st, ost = p.out.st;
  const T qscale = T(p.scale * double(kLog2e<T>));  // scores in the units of softmax_exp
  T* qt = ws.qt;
  T* S = ws.P;
  for (int64_t i0 = 0; i0 < Tn; i0 += W) {
    const int64_t nv = std::min<int64_t>(W, Tn - i0);
    pack_columns(q + i0 * qst, qst, nv, D, qscale, qt);

    alignas(64) T m[W];
    for (int l = 0; l < W; ++l) m[l] = -kInf<T>;
    for_key_groups(Tn, [&](auto jb, int64_t j) {
      score_rows<T, kD, decltype(jb)::value>(D, qt, k + j * kst, kst, bias + j * Tp + i0, Tp,
                                             S + j * W, m);
    });

    // If a row's max is -inf, all its scores are -inf (fully masked): shift by 0 instead so
    // that s - shift stays -inf (not -inf - -inf = NaN) and every weight is exactly 0.
    alignas(64) T shift[W], sum[W] = {}, inv[W];
#pragma omp simd
    for (int l = 0; l < W; ++l) shift[l] = m[l] == -kInf<T> ? T(0) : m[l];
    // sum == 0 only for a fully masked row: out = 0, lse = +inf.
    auto finish_rows = [&] {
      alignas(64) T row_lse[W];
#pragma omp simd
      for (int l = 0; l < W; ++l) {
        const T sl = sum[l];
        const T safe = sl > T(0) ? sl : T(1);
        inv[l] = sl > T(0) ? T(1) / safe : T(0);
        row_lse[l] = sl > T(0) ? m[l] * (T(1) / kLog2e<T>) + sum_log(safe) : kInf<T>;
      }
      for (int64_t l = 0; l < nv; ++l) lse[i0 + l] = row_lse[l];
    };
    if constexpr (kD > 0 && kD <= 16) {  // exp fused into P V, one register tile
      alignas(64) T acc[kD > 0 ? kD : 1][W];
      pv_chunk<T, kD, true>(Tn, S, v, vst, shift, sum, acc);
      finish_rows();
      store_rows<T, kD>(acc, inv, nv, o + i0 * ost, ost);
    } else {  // weights in place, then P V in column chunks
      for (int64_t j = 0; j < Tn; ++j) {
        T* sj = S + j * W;
#pragma omp simd
        for (int l = 0; l < W; ++l) {
          const T e = softmax_exp(sj[l] - shift[l]);
          sj[l] = e;
          sum[l] += e;
        }
      }
      finish_rows();
      weighted_sum<T, kD>(Tn, D, S, v, vst, inv, nv, o + i0 * ost, ost);
    }
  }
}

template <class T, int kD>
void backward_head(const AttentionParams& p, const T* q, const T* k, const T* v, const T* o,
                   const T* lse, const T* dout, T* dq, T* dk, T* dv, const T* bias,
                   Scratch<T>& ws) {
  constexpr int W = kW<T>;
  const int64_t Tn = p.T, D = kD > 0 ? kD : p.D, Tp = ws.Tp, Dp = ws.Dp;
  const int64_t qst = p.q.st, kst = p.k.st, vst = p.v.st, ost = p.out.st, gst = p.dout.st;
  const T scale = T(p.scale);
  const T qscale = T(p.scale * double(kLog2e<T>));  // as in forward_head: same scores
  std::fill(ws.dK, ws.dK + Tn * Dp, T(0));
  std::fill(ws.dV, ws.dV + Tn * Dp, T(0));
  alignas(64) T scale_l[W];
  for (int l = 0; l < W; ++l) scale_l[l] = scale;

  for (int64_t i0 = 0; i0 < Tn; i0 += W) {
    const int64_t nv = std::min<int64_t>(W, Tn - i0);
    pack_columns(q + i0 * qst, qst, nv, D, qscale, ws.qt);
    pack_columns(dout + i0 * gst, gst, nv, D, T(1), ws.ot);
    pack_rows(q + i0 * qst, qst, nv, D, Dp, scale, ws.qr);
    pack_rows(dout + i0 * gst, gst, nv, D, Dp, T(1), ws.orow);
    // Δ_l = dO_l·O_l; padding lanes get lse = +inf (P = 0) and Δ = 0.
    alignas(64) T delta[W] = {}, L[W];
    for (int64_t l = 0; l < nv; ++l) {
      const T* dol = ws.orow + l * Dp;
      const T* ol = o + (i0 + l) * ost;
      T acc = 0;
      for (int64_t d = 0; d < D; ++d) acc += dol[d] * ol[d];
      delta[l] = acc;
    }
    for (int l = 0; l < W; ++l) L[l] = l < nv ? lse[i0 + l] : kInf<T>;

    for_key_groups(Tn, [&](auto jb, int64_t j) {
      grad_rows<T, kD, decltype(jb)::value>(D, ws.qt, ws.ot, k + j * kst, kst, v + j * vst, vst,
                                            bias + j * Tp + i0, Tp, L, delta, ws.P + j * W,
                                            ws.dS + j * W);
    });
    // dQ = scale · dS K: rows of this block, written once.
    weighted_sum<T, kD>(Tn, D, ws.dS, k, kst, scale_l, nv, dq + i0 * p.dq.st, p.dq.st);
    // dV += Pᵀ dO, dK += dSᵀ (scale·Q): this block's share, added in block order.
    for_key_groups(Tn, [&](auto jb, int64_t j) {
      accumulate_kv<T, decltype(jb)::value>(j, nv, Dp, ws.P, ws.dS, ws.orow, ws.qr, ws.dV,
                                            ws.dK);
    });
  }
  for (int64_t j = 0; j < Tn; ++j)
    for (int64_t d = 0; d < D; ++d) {
      dk[j * p.dk.st + d] = ws.dK[j * Dp + d];
      dv[j * p.dv.st + d] = ws.dV[j * Dp + d];
    }
}

// Prefetches the T rows of D elements of a task's operand (kWrite: about to be written). The
// rows are strided, one head's slice of each token, so the hardware prefetcher does not see
// them coming; each task prefetches the next task's rows before starting its own work.
template <int kWrite, class T>
inline void prefetch_rows(const T* x, int64_t Tn, int64_t st, int64_t D) {
  if (D <= 0) return;
  const uintptr_t bytes = uintptr_t(D) * sizeof(T);
  for (int64_t t = 0; t < Tn; ++t) {
    const uintptr_t row = reinterpret_cast<uintptr_t>(x + t * st);
    for (uintptr_t line = row & ~uintptr_t(63); line < row + bytes; line += 64)
      __builtin_prefetch(reinterpret_cast<const void*>(line), kWrite, 2);
  }
}

// Offset of (b, h, token 0) in an operand.
inline int64_t at(const AttentionStrides& s, int64_t b, int64_t h) { return b * s.sb + h * s.sh; }

inline bool run_parallel(const AttentionParams& p) {
  const int64_t pairs = p.B * p.H;
  return pairs > 1 && pairs * p.T * p.T * std::max<int64_t>(p.D, 1) > kAttentionParallelWork;
}

// Tasks are handed out in chunks of whole batches (a multiple of H pairs, so a thread reuses
// its transposed mask across the heads) worth about 2^16 units of T²·D work each: dynamic
// scheduling keeps threads busy when some are slowed down (SMT siblings, other work), and since
// every (b, h) is computed whole by whichever thread takes it, results do not change.
inline int64_t chunk_pairs(const AttentionParams& p) {
  const int64_t per_batch = p.H * p.T * p.T * std::max<int64_t>(p.D, 1);
  const int64_t batches = (int64_t{1} << 16) / std::max<int64_t>(per_batch, 1);
  return std::max<int64_t>(batches, 1) * p.H;
}

template <class T, int kD>
void forward_all(const AttentionParams& p, const T* q, const T* k, const T* v, T* out, T* lse) {
  const int64_t pairs = p.B * p.H, chunk = chunk_pairs(p);
#pragma omp parallel if (run_parallel(p))
  {
    Scratch<T> ws(p, false);
#pragma omp for schedule(dynamic, chunk)
    for (int64_t bh = 0; bh < pairs; ++bh) {
      const int64_t b = bh / p.H, h = bh % p.H;
      if (bh + 1 < pairs) {
        const int64_t nb = (bh + 1) / p.H, nh = (bh + 1) % p.H;
        prefetch_rows<0>(q + at(p.q, nb, nh), p.T, p.q.st, p.D);
        prefetch_rows<0>(k + at(p.k, nb, nh), p.T, p.k.st, p.D);
        prefetch_rows<0>(v + at(p.v, nb, nh), p.T, p.v.st, p.D);
        prefetch_rows<1>(out + at(p.out, nb, nh), p.T, p.out.st, p.D);
      }
      forward_head<T, kD>(p, q + at(p.q, b, h), k + at(p.k, b, h), v + at(p.v, b, h),
                          out + at(p.out, b, h), lse + bh * p.T, ws.bias_for(p, b), ws);
    }
  }
}

template <class T, int kD>
void backward_all(const AttentionParams& p, const T* q, const T* k, const T* v, const T* out,
                  const T* lse, const T* dout, T* dq, T* dk, T* dv) {
  const int64_t pairs = p.B * p.H, chunk = chunk_pairs(p);
#pragma omp parallel if (run_parallel(p))
  {
    Scratch<T> ws(p, true);
#pragma omp for schedule(dynamic, chunk)
    for (int64_t bh = 0; bh < pairs; ++bh) {
      const int64_t b = bh / p.H, h = bh % p.H;
      if (bh + 1 < pairs) {
        const int64_t nb = (bh + 1) / p.H, nh = (bh + 1) % p.H;
        prefetch_rows<0>(q + at(p.q, nb, nh), p.T, p.q.st, p.D);
        prefetch_rows<0>(k + at(p.k, nb, nh), p.T, p.k.st, p.D);
        prefetch_rows<0>(v + at(p.v, nb, nh), p.T, p.v.st, p.D);
        prefetch_rows<0>(out + at(p.out, nb, nh), p.T, p.out.st, p.D);
        prefetch_rows<0>(dout + at(p.dout, nb, nh), p.T, p.dout.st, p.D);
        prefetch_rows<1>(dq + at(p.dq, nb, nh), p.T, p.dq.st, p.D);
        prefetch_rows<1>(dk + at(p.dk, nb, nh), p.T, p.dk.st, p.D);
        prefetch_rows<1>(dv + at(p.dv, nb, nh), p.T, p.dv.st, p.D);
      }
      backward_head<T, kD>(p, q + at(p.q, b, h), k + at(p.k, b, h), v + at(p.v, b, h),
                           out + at(p.out, b, h), lse + bh * p.T, dout + at(p.dout, b, h),
                           dq + at(p.dq, b, h), dk + at(p.dk, b, h), dv + at(p.dv, b, h),
                           ws.bias_for(p, b), ws);
    }
  }
}

}  // namespace

// Head dims with a compile-time specialisation (unrolled d loops, one register tile for Pᵀ V
// when D <= 16); any other D runs the same code with D at run time.
template <class T>
void attention_fwd(const AttentionParams& p, const T* q, const T* k, const T* v, T* out, T* lse) {
  if (p.B <= 0 || p.H <= 0 || p.T <= 0) return;
  switch (p.D) {
    case 10: return forward_all<T, 10>(p, q, k, v, out, lse);
    case 16: return forward_all<T, 16>(p, q, k, v, out, lse);
    case 32: return forward_all<T, 32>(p, q, k, v, out, lse);
    default: return forward_all<T, 0>(p, q, k, v, out, lse);
  }
}

template <class T>
void attention_bwd(const AttentionParams& p, const T* q, const T* k, const T* v, const T* out,
                   const T* lse, const T* dout, T* dq, T* dk, T* dv) {
  if (p.B <= 0 || p.H <= 0 || p.T <= 0) return;
  switch (p.D) {
    case 10: return backward_all<T, 10>(p, q, k, v, out, lse, dout, dq, dk, dv);
    case 16: return backward_all<T, 16>(p, q, k, v, out, lse, dout, dq, dk, dv);
    case 32: return backward_all<T, 32>(p, q, k, v, out, lse, dout, dq, dk, dv);
    default: return backward_all<T, 0>(p, q, k, v, out, lse, dout, dq, dk, dv);
  }
}

#define AMOR_INSTANTIATE(T)                                                                  \
  template void attention_fwd<T>(const AttentionParams&, const T*, const T*, const T*, T*,   \
                                 T*);                                                        \
  template void attention_bwd<T>(const AttentionParams&, const T*, const T*, const T*,       \
                                 const T*, const T*, const T*, T*, T*, T*);
AMOR_INSTANTIATE(float)
AMOR_INSTANTIATE(double)
#undef AMOR_INSTANTIATE

}  // namespace amor::kernels::cpu

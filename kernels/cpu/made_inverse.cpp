#include "kernels/cpu/made_inverse.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/cpu/fast_math.h"
#include "kernels/cpu/loops.h"

namespace amor::kernels::cpu {
namespace {

// Rows per block: the block's activations ([layers][H][kRows]) stay in L1 for H = 50.
constexpr int64_t kRows = 32;

template <class T>
AMOR_FAST_MATH_INLINE T activate(MadeActivation a, T x) {
  if (a == MadeActivation::Relu) return x > T(0) ? x : T(0);
  if constexpr (sizeof(T) == 4) {
    return fast_math::tanh_rational(x);  // the activation is a third of the work: the cheap form
  } else {
    return std::tanh(x);
  }
}

// softplus(a) = max(a, 0) + log1p(e^−|a|), as core's softplus; float32 through fast_math so
// the loop over a block vectorises, with log1p(t) = log(1 + t)·t / ((1 + t) − 1), exact where
// 1 + t rounds (Goldberg's trick).
template <class T>
AMOR_FAST_MATH_INLINE T softplus(T a) {
  const T pos = a > T(0) ? a : T(0);
  if constexpr (sizeof(T) == 4) {
    const T t = fast_math::exp(a > T(0) ? -a : a);
    const T one_t = T(1) + t;
    return pos + (one_t == T(1) ? t : fast_math::log(one_t) * t / (one_t - T(1)));
  } else {
    return pos + std::log1p(std::exp(-std::abs(a)));
  }
}

template <class T>
AMOR_FAST_MATH_INLINE T log_of(T x) {
  if constexpr (sizeof(T) == 4) {
    return fast_math::log(x);
  } else {
    return std::log(x);
  }
}

// A block of rows as whole vectors: kRows values of T are kVecs vectors of 64 bytes (GCC's
// generic vectors: one AVX-512 register, or two or four narrower ones on other targets).
template <class T>
struct VecOf;
template <>
struct VecOf<float> {
  typedef float type __attribute__((vector_size(64)));
};
template <>
struct VecOf<double> {
  typedef double type __attribute__((vector_size(64)));
};
template <class T>
using Vec = typename VecOf<T>::type;
template <class T>
inline constexpr int64_t kVecs = kRows * int64_t(sizeof(T)) / 64;

template <class T>
AMOR_FAST_MATH_INLINE Vec<T> load(const T* p) {
  Vec<T> v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

// acc[m] = Σ_{q<K} W[m·ldw + q]·in[q][:] for U units at once: each loaded row of `in` feeds U
// accumulators, all held in registers (U·kVecs of them).
template <class T, int U>
AMOR_FAST_MATH_INLINE void accumulate(const T* W, int64_t ldw, const T* in, int64_t K, Vec<T> (&acc)[U][kVecs<T>]) {
  for (int64_t q = 0; q < K; ++q) {
    Vec<T> x[kVecs<T>];
    for (int64_t v = 0; v < kVecs<T>; ++v) x[v] = load(in + q * kRows + v * (kRows / kVecs<T>));
    for (int m = 0; m < U; ++m) {
      const T w = W[m * ldw + q];
      for (int64_t v = 0; v < kVecs<T>; ++v) acc[m][v] += w * x[v];
    }
  }
}

// out[u][r] = act(bias[u] + init[u][r] + Σ_{q<K} W[u][q]·in[q][r]) for the units u in [u0, u1)
// and the kRows rows. W rows are `ldw` apart; init is null, or per unit a row of kRows
// (init_ld = kRows) or one value for every row (init_ld = 0).
template <class T, int U>
void dense_tile(const T* W, int64_t ldw, const T* bias, const T* init, int64_t init_ld, const T* in, int64_t K,
                int64_t u, T* out, bool apply_act, MadeActivation act) {
  constexpr int64_t L = kRows / kVecs<T>;  // lanes per vector
  Vec<T> acc[U][kVecs<T>];
  for (int m = 0; m < U; ++m)
    for (int64_t v = 0; v < kVecs<T>; ++v) {
      if (init && init_ld) {
        acc[m][v] = load(init + (u + m) * kRows + v * L) + bias[u + m];
      } else {
        const T b = bias[u + m] + (init ? init[u + m] : T(0));
        acc[m][v] = Vec<T>{} + b;
      }
    }
  accumulate<T, U>(W + u * ldw, ldw, in, K, acc);
  for (int m = 0; m < U; ++m) {
    T* o = out + (u + m) * kRows;
    __builtin_memcpy(o, &acc[m][0], sizeof acc[m]);
    if (apply_act) {
#pragma omp simd
      for (int64_t r = 0; r < kRows; ++r) o[r] = activate(act, o[r]);
    }
  }
}

template <class T>
void dense_units(const T* W, int64_t ldw, const T* bias, const T* init, int64_t init_ld, const T* in, int64_t K,
                 int64_t u0, int64_t u1, T* out, bool apply_act, MadeActivation act) {
  // Eight units of float (16 accumulator registers), four of double, then singles.
  constexpr int U = sizeof(T) == 4 ? 8 : 4;
  int64_t u = u0;
  for (; u + U <= u1; u += U) dense_tile<T, U>(W, ldw, bias, init, init_ld, in, K, u, out, apply_act, act);
  for (; u + 2 <= u1; u += 2) dense_tile<T, 2>(W, ldw, bias, init, init_ld, in, K, u, out, apply_act, act);
  for (; u < u1; ++u) dense_tile<T, 1>(W, ldw, bias, init, init_ld, in, K, u, out, apply_act, act);
}

// The weights with hidden units reordered by degree, so the units of degree k are one
// contiguous range [end[k−1], end[k]) in every layer.
template <class T>
struct SortedWeights {
  int64_t d = 0, H = 0, c = 0, nb = 0;
  std::vector<int64_t> end;  // [d]: number of hidden units of degree <= k
  std::vector<T> w0, b0, wc, bc, wb, bb, wf, bf;  // wb/bb: nb layers back to back
};

template <class T>
SortedWeights<T> sort_by_degree(const MadeInverseWeights<T>& w) {
  SortedWeights<T> s;
  s.d = w.features, s.H = w.hidden, s.c = w.context_features, s.nb = w.num_blocks;
  const int64_t d = s.d, H = s.H, c = s.c;
  std::vector<int64_t> perm(static_cast<size_t>(H));
  std::iota(perm.begin(), perm.end(), int64_t(0));
  std::stable_sort(perm.begin(), perm.end(),
                   [&](int64_t a, int64_t b) { return w.hidden_degrees[a] < w.hidden_degrees[b]; });
  s.end.assign(static_cast<size_t>(d), 0);
  for (int64_t h = 0; h < H; ++h)
    for (int64_t k = w.hidden_degrees[h]; k < d; ++k) ++s.end[static_cast<size_t>(k)];
  // Rows of a [H, cols] weight and its bias, in degree order.
  auto gather_rows = [&](const T* weight, const T* bias, int64_t cols, std::vector<T>& w_out, std::vector<T>& b_out) {
    w_out.resize(static_cast<size_t>(H * cols));
    b_out.resize(static_cast<size_t>(H));
    for (int64_t p = 0; p < H; ++p) {
      const int64_t h = perm[static_cast<size_t>(p)];
      std::copy(weight + h * cols, weight + (h + 1) * cols, w_out.begin() + p * cols);
      b_out[static_cast<size_t>(p)] = bias[h];
    }
  };
  gather_rows(w.initial_weight, w.initial_bias, d, s.w0, s.b0);
  if (c > 0) gather_rows(w.context_weight, w.context_bias, c, s.wc, s.bc);
  s.wb.resize(static_cast<size_t>(s.nb * H * H));
  s.bb.resize(static_cast<size_t>(s.nb * H));
  for (int64_t b = 0; b < s.nb; ++b)
    for (int64_t p = 0; p < H; ++p) {
      const int64_t h = perm[static_cast<size_t>(p)];
      for (int64_t q = 0; q < H; ++q)
        s.wb[static_cast<size_t>((b * H + p) * H + q)] = w.block_weights[b][h * H + perm[static_cast<size_t>(q)]];
      s.bb[static_cast<size_t>(b * H + p)] = w.block_biases[b][h];
    }
  s.wf.resize(static_cast<size_t>(2 * d * H));
  s.bf.assign(w.final_bias, w.final_bias + 2 * d);
  for (int64_t o = 0; o < 2 * d; ++o)
    for (int64_t q = 0; q < H; ++q)
      s.wf[static_cast<size_t>(o * H + q)] = w.final_weight[o * H + perm[static_cast<size_t>(q)]];
  return s;
}

// One block of `rows` <= kRows rows. ctx_shared: the context term act(Wc·c + bc) per unit when
// every row has the same context, else null (computed here from `context`).
template <class T>
void inverse_block(const SortedWeights<T>& s, MadeActivation act, T eps, const T* u, const T* context, int64_t ldc,
                   const T* ctx_shared, int64_t rows, T* theta, T* logdet, std::vector<T>& scratch) {
  const int64_t d = s.d, H = s.H, c = s.c, layers = s.nb + 1;
  scratch.resize(static_cast<size_t>((2 * d + H + layers * H + (c > 0 ? c : 0)) * kRows));
  T* x = scratch.data();         // [d][kRows]: θ, filled feature by feature
  T* ctx = x + d * kRows;        // [H][kRows]: the context term per row (when not shared)
  T* h = ctx + H * kRows;        // [layers][H][kRows]
  T* cin = h + layers * H * kRows;  // [c][kRows]: the context, transposed
  T* ut = cin + (c > 0 ? c : 0) * kRows;  // [d][kRows]: the noise, transposed
  for (int64_t j = 0; j < d; ++j)
    for (int64_t r = 0; r < kRows; ++r) ut[j * kRows + r] = r < rows ? u[r * d + j] : T(0);
  std::fill(x, x + d * kRows, T(0));
  const T* init = nullptr;
  int64_t init_ld = 0;
  if (c > 0) {
    if (ctx_shared) {
      init = ctx_shared;
    } else {
      for (int64_t k = 0; k < c; ++k)
        for (int64_t r = 0; r < kRows; ++r) cin[k * kRows + r] = r < rows ? context[r * ldc + k] : T(0);
      dense_units(s.wc.data(), c, s.bc.data(), static_cast<const T*>(nullptr), 0, cin, c, 0, H, ctx, true, act);
      init = ctx;
      init_ld = kRows;
    }
  }
  T ld[kRows] = {};
  T params[2 * kRows];
  for (int64_t j = 0; j < d; ++j) {
    // The hidden units of degree j become computable now (they read θ_<j).
    const int64_t lo = j == 0 ? 0 : s.end[static_cast<size_t>(j - 1)], hi = s.end[static_cast<size_t>(j)];
    if (hi > lo) {
      dense_units(s.w0.data(), d, s.b0.data(), init, init_ld, x, j, lo, hi, h, true, act);
      for (int64_t b = 0; b < s.nb; ++b)
        dense_units(s.wb.data() + b * H * H, H, s.bb.data() + b * H, static_cast<const T*>(nullptr), 0,
                    h + b * H * kRows, hi, lo, hi, h + (b + 1) * H * kRows, true, act);
    }
    // Feature j's (unconstrained scale, shift) from the last layer's units of degree <= j.
    dense_units(s.wf.data() + 2 * j * H, H, s.bf.data() + 2 * j, static_cast<const T*>(nullptr), 0,
                h + s.nb * H * kRows, hi, 0, 2, params, false, act);
    T* xj = x + j * kRows;
    const T* uj = ut + j * kRows;
#pragma omp simd
    for (int64_t r = 0; r < kRows; ++r) {
      const T scale = softplus(params[r]) + eps;
      xj[r] = (uj[r] - params[kRows + r]) / scale;
      ld[r] -= log_of(scale);
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < d; ++j) theta[r * d + j] = x[j * kRows + r];
    if (logdet) logdet[r] = ld[r];
  }
}

}  // namespace

template <class T>
void made_affine_inverse(const MadeInverseWeights<T>& w, const T* u, const T* context, int64_t ldc, int64_t n,
                         T* theta, T* logdet) {
  if (n <= 0) return;
  const SortedWeights<T> s = sort_by_degree(w);
  const int64_t H = s.H, c = s.c;
  // One shared context: its term act(Wc·c + bc), computed once with the same per-row arithmetic
  // as inverse_block (dense_units on a block whose rows all hold that context).
  std::vector<T> shared;
  if (c > 0 && ldc == 0) {
    std::vector<T> cin(static_cast<size_t>(c * kRows)), term(static_cast<size_t>(H * kRows));
    for (int64_t k = 0; k < c; ++k) std::fill_n(cin.begin() + k * kRows, kRows, context[k]);
    dense_units(s.wc.data(), c, s.bc.data(), static_cast<const T*>(nullptr), 0, cin.data(), c, 0, H, term.data(),
                true, w.activation);
    shared.resize(static_cast<size_t>(H));
    for (int64_t p = 0; p < H; ++p) shared[static_cast<size_t>(p)] = term[static_cast<size_t>(p * kRows)];
  }
  const T* ctx_shared = shared.empty() ? nullptr : shared.data();
  const int64_t blocks = (n + kRows - 1) / kRows;
  const int64_t work = n * H * (s.nb + 1) * 4;
#pragma omp parallel if (work > detail::kParallelWork)
  {
    std::vector<T> scratch;
#pragma omp for schedule(static)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t r0 = b * kRows, rows = std::min(kRows, n - r0);
      inverse_block(s, w.activation, w.scale_eps, u + r0 * s.d, context ? context + r0 * ldc : nullptr, ldc,
                    ctx_shared, rows, theta + r0 * s.d, logdet ? logdet + r0 : nullptr, scratch);
    }
  }
}

template void made_affine_inverse<float>(const MadeInverseWeights<float>&, const float*, const float*, int64_t,
                                         int64_t, float*, float*);
template void made_affine_inverse<double>(const MadeInverseWeights<double>&, const double*, const double*, int64_t,
                                          int64_t, double*, double*);

}  // namespace amor::kernels::cpu

// Fused masked multi-head attention: the device code and its launch plan (the contract is
// kernels/cpu/attention.h's; the GPU entry points are in kernels/cuda/attention.h).
//
// Three kernels, each one block per (b, h, tile of 16 rows), 4 warps, every output element
// written by exactly one thread in a fixed order: no atomics, so results are deterministic.
//   forward  rows = queries. A warp owns 4 query rows; key tiles of 32 (one key per lane) are
//            staged in shared memory. Per row and tile: the scores (lane = key), the online
//            softmax update of (max m, sum l) with warp shuffles, then the weighted sum of V with
//            lane = head-dim entry. Writes O = acc / l and lse = m + log l; a row with no
//            allowed key gets O = 0, lse = +inf (aesthetics.md §3.1, §3.3).
//   dq       rows = queries, the same tiling: p = exp(s − lse) recomputed, dp = dO·v,
//            dS = p (dp − Δ) with Δ = dO·O, dQ = scale Σ_j dS_ij k_j.
//   dk, dv   rows = keys: a warp owns 4 keys, query tiles of 32 (one query per lane) are staged
//            with their lse and Δ; dV_j = Σ_i p_ij dO_i, dK_j = Σ_i dS_ij (scale q_i).
// The scores are the same dot products in the same order in all three kernels
// (dot(scale·q_i, k_j) over d = 0..D−1), so the backward recomputes the forward's scores bit for
// bit. Masked scores are never computed: their weight is exactly 0, which makes O, dQ of fully
// masked rows and dK, dV of keys nobody attends exactly 0.
//
// Shared-memory rows that lanes read across (one row per lane) have an odd stride (pad_stride)
// so that the 32 lanes hit 32 different banks.
#pragma once

#include <stdexcept>
#include <string>

#include "kernels/cpu/attention.h"
#include "kernels/cuda/kernel_support.cuh"

namespace amor::kernels::cuda {

inline constexpr int kAttentionWarps = 4;
inline constexpr int kAttentionRowsPerWarp = 4;
inline constexpr int kAttentionRows = kAttentionWarps * kAttentionRowsPerWarp;  // per block
inline constexpr int kAttentionCols = kWarp;  // per staged tile: one per lane
inline constexpr int kAttentionMaxHeadDim = 128;

AMOR_HOST_DEVICE inline int pad_stride(int D) { return D % 2 == 0 ? D + 1 : D; }

namespace device {

AMOR_DEVICE int64_t offset(const cpu::AttentionStrides& s, int64_t b, int64_t t, int64_t h) {
  return b * s.sb + t * s.st + h * s.sh;
}

template <class T>
AMOR_DEVICE T dot(const T* a, const T* b, int n) {
  T s = T(0);
  for (int d = 0; d < n; ++d) s += a[d] * b[d];
  return s;
}

// Δ_i = Σ_d dO_id O_id over the warp (lane = d mod 32); the same bits in every kernel.
template <class T>
AMOR_DEVICE T row_delta(const T* dout_row, const T* out_row, int D, int lane) {
  T s = T(0);
  for (int d = lane; d < D; d += kWarp) s += dout_row[d] * out_row[d];
  return warp_sum(s);
}

AMOR_DEVICE bool attends(const uint8_t* mask, int T, int i, int j) {
  return mask == nullptr || mask[int64_t(i) * T + j] != 0;
}

}  // namespace device

// ---- forward ---------------------------------------------------------------------------------
// DPL: head-dim entries per lane (D <= 32·DPL).
template <class T, int DPL>
__global__ void attention_fwd_kernel(cpu::AttentionParams p, const T* __restrict__ q,
                                     const T* __restrict__ k, const T* __restrict__ v,
                                     T* __restrict__ out, T* __restrict__ lse) {
  using namespace device;
  constexpr int R = kAttentionRowsPerWarp;
  AMOR_DYNAMIC_SHARED(T, smem);
  const int Tn = int(p.T), D = int(p.D), ld = pad_stride(D);
  T* qs = smem;                          // [kAttentionRows][D]  scale·q
  T* ks = qs + kAttentionRows * D;       // [kAttentionCols][ld] k
  T* vs = ks + kAttentionCols * ld;      // [kAttentionCols][D]  v
  T* pw = vs + kAttentionCols * D;       // [kAttentionWarps][32] weights of one row
  const int64_t b = blockIdx.x / p.H, h = blockIdx.x % p.H;
  const int row0 = int(blockIdx.y) * kAttentionRows;
  const int tid = int(threadIdx.x), warp = tid / kWarp, lane = tid % kWarp;
  const int nthreads = int(blockDim.x);
  const T scale = T(p.scale);
  const uint8_t* mask = p.mask != nullptr ? p.mask + b * p.mask_sb : nullptr;

  for (int e = tid; e < kAttentionRows * D; e += nthreads) {
    const int r = e / D, d = e % D, i = row0 + r;
    qs[e] = i < Tn ? scale * q[offset(p.q, b, i, h) + d] : T(0);
  }
  T m[R], l[R], acc[R][DPL];
  for (int rr = 0; rr < R; ++rr) {
    m[rr] = -inf<T>();
    l[rr] = T(0);
    for (int dd = 0; dd < DPL; ++dd) acc[rr][dd] = T(0);
  }

  for (int k0 = 0; k0 < Tn; k0 += kAttentionCols) {
    const int nk = Tn - k0 < kAttentionCols ? Tn - k0 : kAttentionCols;
    __syncthreads();  // the previous tile is consumed (and qs is written, the first time)
    for (int e = tid; e < kAttentionCols * D; e += nthreads) {
      const int c = e / D, d = e % D, j = k0 + c;
      ks[c * ld + d] = j < Tn ? k[offset(p.k, b, j, h) + d] : T(0);
      vs[c * D + d] = j < Tn ? v[offset(p.v, b, j, h) + d] : T(0);
    }
    __syncthreads();
    const int j = k0 + lane;
    for (int rr = 0; rr < R; ++rr) {
      const int r = rr * kAttentionWarps + warp, i = row0 + r;
      if (i >= Tn) break;  // uniform over the warp
      const bool allowed = j < Tn && attends(mask, Tn, i, j);
      const T s = allowed ? dot(qs + r * D, ks + lane * ld, D) : -inf<T>();
      const T m_new = max_(m[rr], warp_max(s));
      if (m_new == -inf<T>()) continue;  // everything so far masked (uniform over the warp)
      const T alpha = exp_(m[rr] - m_new);  // 0 while m was -inf
      const T pj = allowed ? exp_(s - m_new) : T(0);
      l[rr] = alpha * l[rr] + warp_sum(pj);
      pw[warp * kWarp + lane] = pj;
      __syncwarp();
      for (int dd = 0; dd < DPL; ++dd) {
        const int d = lane + dd * kWarp;
        if (d >= D) break;
        T a = alpha * acc[rr][dd];
        for (int c = 0; c < nk; ++c) a += pw[warp * kWarp + c] * vs[c * D + d];
        acc[rr][dd] = a;
      }
      __syncwarp();  // pw is rewritten by the next row
      m[rr] = m_new;
    }
  }

  for (int rr = 0; rr < R; ++rr) {
    const int i = row0 + rr * kAttentionWarps + warp;
    if (i >= Tn) break;
    const T inv = l[rr] == T(0) ? T(0) : T(1) / l[rr];  // no allowed key: O = 0
    T* orow = out + offset(p.out, b, i, h);
    for (int dd = 0; dd < DPL; ++dd) {
      const int d = lane + dd * kWarp;
      if (d < D) orow[d] = acc[rr][dd] * inv;
    }
    if (lane == 0)
      lse[(b * p.H + h) * Tn + i] = l[rr] == T(0) ? inf<T>() : m[rr] + log_(l[rr]);
  }
}

// ---- backward: dq ----------------------------------------------------------------------------
template <class T, int DPL>
__global__ void attention_bwd_dq_kernel(cpu::AttentionParams p, const T* __restrict__ q,
                                        const T* __restrict__ k, const T* __restrict__ v,
                                        const T* __restrict__ out, const T* __restrict__ lse,
                                        const T* __restrict__ dout, T* __restrict__ dq) {
  using namespace device;
  constexpr int R = kAttentionRowsPerWarp;
  AMOR_DYNAMIC_SHARED(T, smem);
  const int Tn = int(p.T), D = int(p.D), ld = pad_stride(D);
  T* qs = smem;                          // [kAttentionRows][D]  scale·q
  T* dos = qs + kAttentionRows * D;      // [kAttentionRows][D]  dO
  T* ks = dos + kAttentionRows * D;      // [kAttentionCols][ld] k
  T* vs = ks + kAttentionCols * ld;      // [kAttentionCols][ld] v
  T* dsw = vs + kAttentionCols * ld;     // [kAttentionWarps][32] dS of one row
  const int64_t b = blockIdx.x / p.H, h = blockIdx.x % p.H;
  const int row0 = int(blockIdx.y) * kAttentionRows;
  const int tid = int(threadIdx.x), warp = tid / kWarp, lane = tid % kWarp;
  const int nthreads = int(blockDim.x);
  const T scale = T(p.scale);
  const uint8_t* mask = p.mask != nullptr ? p.mask + b * p.mask_sb : nullptr;

  for (int e = tid; e < kAttentionRows * D; e += nthreads) {
    const int r = e / D, d = e % D, i = row0 + r;
    qs[e] = i < Tn ? scale * q[offset(p.q, b, i, h) + d] : T(0);
    dos[e] = i < Tn ? dout[offset(p.dout, b, i, h) + d] : T(0);
  }
  T delta[R], row_lse[R], acc[R][DPL];
  for (int rr = 0; rr < R; ++rr) {
    const int i = row0 + rr * kAttentionWarps + warp;
    delta[rr] = T(0);
    row_lse[rr] = inf<T>();
    if (i < Tn) {
      delta[rr] = row_delta(dout + offset(p.dout, b, i, h), out + offset(p.out, b, i, h), D, lane);
      row_lse[rr] = lse[(b * p.H + h) * Tn + i];
    }
    for (int dd = 0; dd < DPL; ++dd) acc[rr][dd] = T(0);
  }

  for (int k0 = 0; k0 < Tn; k0 += kAttentionCols) {
    const int nk = Tn - k0 < kAttentionCols ? Tn - k0 : kAttentionCols;
    __syncthreads();
    for (int e = tid; e < kAttentionCols * D; e += nthreads) {
      const int c = e / D, d = e % D, j = k0 + c;
      ks[c * ld + d] = j < Tn ? k[offset(p.k, b, j, h) + d] : T(0);
      vs[c * ld + d] = j < Tn ? v[offset(p.v, b, j, h) + d] : T(0);
    }
    __syncthreads();
    const int j = k0 + lane;
    for (int rr = 0; rr < R; ++rr) {
      const int r = rr * kAttentionWarps + warp, i = row0 + r;
      if (i >= Tn) break;
      const bool allowed = j < Tn && attends(mask, Tn, i, j);
      T ds = T(0);
      if (allowed) {
        const T pj = exp_(dot(qs + r * D, ks + lane * ld, D) - row_lse[rr]);
        ds = pj * (dot(dos + r * D, vs + lane * ld, D) - delta[rr]);
      }
      dsw[warp * kWarp + lane] = ds;
      __syncwarp();
      for (int dd = 0; dd < DPL; ++dd) {
        const int d = lane + dd * kWarp;
        if (d >= D) break;
        T a = acc[rr][dd];
        for (int c = 0; c < nk; ++c) a += dsw[warp * kWarp + c] * ks[c * ld + d];
        acc[rr][dd] = a;
      }
      __syncwarp();
    }
  }

  for (int rr = 0; rr < R; ++rr) {
    const int i = row0 + rr * kAttentionWarps + warp;
    if (i >= Tn) break;
    T* row = dq + offset(p.dq, b, i, h);
    for (int dd = 0; dd < DPL; ++dd) {
      const int d = lane + dd * kWarp;
      if (d < D) row[d] = scale * acc[rr][dd];
    }
  }
}

// ---- backward: dk, dv ------------------------------------------------------------------------
template <class T, int DPL>
__global__ void attention_bwd_dkv_kernel(cpu::AttentionParams p, const T* __restrict__ q,
                                         const T* __restrict__ k, const T* __restrict__ v,
                                         const T* __restrict__ out, const T* __restrict__ lse,
                                         const T* __restrict__ dout, T* __restrict__ dk,
                                         T* __restrict__ dv) {
  using namespace device;
  constexpr int R = kAttentionRowsPerWarp;
  AMOR_DYNAMIC_SHARED(T, smem);
  const int Tn = int(p.T), D = int(p.D), ld = pad_stride(D);
  T* kt = smem;                          // [kAttentionRows][D]  this block's keys
  T* vt = kt + kAttentionRows * D;       // [kAttentionRows][D]  and values
  T* qs = vt + kAttentionRows * D;       // [kAttentionCols][ld] scale·q of the query tile
  T* dos = qs + kAttentionCols * ld;     // [kAttentionCols][ld] dO
  T* lse_s = dos + kAttentionCols * ld;  // [kAttentionCols]
  T* delta_s = lse_s + kAttentionCols;   // [kAttentionCols]
  T* pw = delta_s + kAttentionCols;      // [kAttentionWarps][32] p of one key
  T* dsw = pw + kAttentionWarps * kWarp; // [kAttentionWarps][32] dS of one key
  const int64_t b = blockIdx.x / p.H, h = blockIdx.x % p.H;
  const int key0 = int(blockIdx.y) * kAttentionRows;
  const int tid = int(threadIdx.x), warp = tid / kWarp, lane = tid % kWarp;
  const int nthreads = int(blockDim.x);
  const T scale = T(p.scale);
  const uint8_t* mask = p.mask != nullptr ? p.mask + b * p.mask_sb : nullptr;

  for (int e = tid; e < kAttentionRows * D; e += nthreads) {
    const int r = e / D, d = e % D, j = key0 + r;
    kt[e] = j < Tn ? k[offset(p.k, b, j, h) + d] : T(0);
    vt[e] = j < Tn ? v[offset(p.v, b, j, h) + d] : T(0);
  }
  T gk[R][DPL], gv[R][DPL];
  for (int rr = 0; rr < R; ++rr)
    for (int dd = 0; dd < DPL; ++dd) gk[rr][dd] = gv[rr][dd] = T(0);

  for (int q0 = 0; q0 < Tn; q0 += kAttentionCols) {
    const int nq = Tn - q0 < kAttentionCols ? Tn - q0 : kAttentionCols;
    __syncthreads();
    for (int e = tid; e < kAttentionCols * D; e += nthreads) {
      const int c = e / D, d = e % D, i = q0 + c;
      qs[c * ld + d] = i < Tn ? scale * q[offset(p.q, b, i, h) + d] : T(0);
      dos[c * ld + d] = i < Tn ? dout[offset(p.dout, b, i, h) + d] : T(0);
    }
    for (int c = warp; c < kAttentionCols; c += kAttentionWarps) {
      const int i = q0 + c;  // uniform over the warp
      const T delta =
          i < Tn ? row_delta(dout + offset(p.dout, b, i, h), out + offset(p.out, b, i, h), D, lane)
                 : T(0);
      if (lane == 0) {
        delta_s[c] = delta;
        lse_s[c] = i < Tn ? lse[(b * p.H + h) * Tn + i] : inf<T>();
      }
    }
    __syncthreads();
    const int i = q0 + lane;
    for (int rr = 0; rr < R; ++rr) {
      const int r = rr * kAttentionWarps + warp, j = key0 + r;
      if (j >= Tn) break;
      const bool allowed = i < Tn && attends(mask, Tn, i, j);
      T pj = T(0), ds = T(0);
      if (allowed) {
        pj = exp_(dot(qs + lane * ld, kt + r * D, D) - lse_s[lane]);
        ds = pj * (dot(dos + lane * ld, vt + r * D, D) - delta_s[lane]);
      }
      pw[warp * kWarp + lane] = pj;
      dsw[warp * kWarp + lane] = ds;
      __syncwarp();
      for (int dd = 0; dd < DPL; ++dd) {
        const int d = lane + dd * kWarp;
        if (d >= D) break;
        T a = gv[rr][dd], g = gk[rr][dd];
        for (int c = 0; c < nq; ++c) {
          a += pw[warp * kWarp + c] * dos[c * ld + d];
          g += dsw[warp * kWarp + c] * qs[c * ld + d];
        }
        gv[rr][dd] = a;
        gk[rr][dd] = g;
      }
      __syncwarp();
    }
  }

  for (int rr = 0; rr < R; ++rr) {
    const int j = key0 + rr * kAttentionWarps + warp;
    if (j >= Tn) break;
    T* krow = dk + offset(p.dk, b, j, h);
    T* vrow = dv + offset(p.dv, b, j, h);
    for (int dd = 0; dd < DPL; ++dd) {
      const int d = lane + dd * kWarp;
      if (d < D) {
        krow[d] = gk[rr][dd];
        vrow[d] = gv[rr][dd];
      }
    }
  }
}

// ---- launch plan -----------------------------------------------------------------------------

// Throws std::invalid_argument for shapes the kernels do not handle.
inline void check_attention_params(const cpu::AttentionParams& p) {
  if (p.B < 0 || p.T < 0 || p.H < 0 || p.D < 0)
    throw std::invalid_argument("cuda attention: negative shape");
  if (p.D > kAttentionMaxHeadDim)
    throw std::invalid_argument("cuda attention: head dim D = " + std::to_string(p.D) +
                                " exceeds the fused kernels' " +
                                std::to_string(kAttentionMaxHeadDim));
  if (p.B * p.H > int64_t{0x7fffffff} || ceil_div(p.T, kAttentionRows) > 65535)
    throw std::invalid_argument("cuda attention: B·H >= 2^31 or T > 65535·16 (grid limits)");
}

template <class T>
std::size_t attention_fwd_shared_bytes(int D) {
  return sizeof(T) * std::size_t(kAttentionRows * D + kAttentionCols * pad_stride(D) +
                                 kAttentionCols * D + kAttentionWarps * kWarp);
}
template <class T>
std::size_t attention_dq_shared_bytes(int D) {
  return sizeof(T) * std::size_t(2 * kAttentionRows * D + 2 * kAttentionCols * pad_stride(D) +
                                 kAttentionWarps * kWarp);
}
template <class T>
std::size_t attention_dkv_shared_bytes(int D) {
  return sizeof(T) * std::size_t(2 * kAttentionRows * D + 2 * kAttentionCols * pad_stride(D) +
                                 2 * kAttentionCols + 2 * kAttentionWarps * kWarp);
}

template <int N>
struct HeadDimLanes {
  static constexpr int value = N;
};

// f(HeadDimLanes<DPL>{}) with the fewest head-dim entries per lane that cover D.
template <class F>
void with_head_dim_lanes(int64_t D, F&& f) {
  if (D <= kWarp) f(HeadDimLanes<1>{});
  else if (D <= 2 * kWarp) f(HeadDimLanes<2>{});
  else f(HeadDimLanes<4>{});
}

inline LaunchShape attention_shape(const cpu::AttentionParams& p, std::size_t shared_bytes) {
  LaunchShape s;
  s.grid = dim3(unsigned(p.B * p.H), unsigned(ceil_div(p.T, kAttentionRows)));
  s.block = dim3(kAttentionWarps * kWarp);
  s.shared_bytes = shared_bytes;
  return s;
}

// launch(LaunchShape, kernel, args...) runs one kernel (on the GPU, or through the harness).
template <class T, class Launch>
void run_attention_fwd(const cpu::AttentionParams& p, const T* q, const T* k, const T* v, T* out,
                       T* lse, Launch&& launch) {
  check_attention_params(p);
  if (p.B == 0 || p.H == 0 || p.T == 0) return;
  const LaunchShape s = attention_shape(p, attention_fwd_shared_bytes<T>(int(p.D)));
  with_head_dim_lanes(p.D, [&](auto lanes) {
    launch(s, attention_fwd_kernel<T, decltype(lanes)::value>, p, q, k, v, out, lse);
  });
}

template <class T, class Launch>
void run_attention_bwd(const cpu::AttentionParams& p, const T* q, const T* k, const T* v,
                       const T* out, const T* lse, const T* dout, T* dq, T* dk, T* dv,
                       Launch&& launch) {
  check_attention_params(p);
  if (p.B == 0 || p.H == 0 || p.T == 0) return;
  const LaunchShape sq = attention_shape(p, attention_dq_shared_bytes<T>(int(p.D)));
  const LaunchShape skv = attention_shape(p, attention_dkv_shared_bytes<T>(int(p.D)));
  with_head_dim_lanes(p.D, [&](auto lanes) {
    constexpr int L = decltype(lanes)::value;
    launch(sq, attention_bwd_dq_kernel<T, L>, p, q, k, v, out, lse, dout, dq);
    launch(skv, attention_bwd_dkv_kernel<T, L>, p, q, k, v, out, lse, dout, dk, dv);
  });
}

}  // namespace amor::kernels::cuda

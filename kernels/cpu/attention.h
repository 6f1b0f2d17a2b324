// Fused masked multi-head attention on the CPU, forward and backward.
//
//   S = scale · Q Kᵀ  (per batch b, head h: [T, T]),  S_ij = -inf where the mask forbids i -> j
//   P = softmax_j(S),  O = P V,  lse_i = log Σ_j exp(S_ij)
//
// The [T, T] score block of one (b, h) is computed a block of query rows at a time and never
// written out: the forward saves only O and the per-row logsumexp, and the backward recomputes
// P from Q, K and lse (FlashAttention-2's recipe):
//   dP = dO Vᵀ,  Δ_i = Σ_d dO_id O_id,  dS = P ∘ (dP − Δ),
//   dQ = scale · dS K,  dK = scale · dSᵀ Q,  dV = Pᵀ dO.
//
// Numerical contract (tested in tests/kernels/test_attention.cpp):
//   - A masked score is -inf and gets a weight of exactly 0 (never a tiny positive number).
//   - A query row with no allowed key (fully masked) gives out = 0, lse = +inf (so that
//     exp(s − lse) = 0 in the backward) and dq = 0 for that row, exactly. Never NaN.
//   - A key that no query may attend gets dk = 0 and dv = 0, exactly.
//   - Otherwise the softmax subtracts the row max before exponentiating (no overflow for any
//     finite scores). NaN or inf in the inputs propagate; they are not guarded.
//   - float32 computes the weights in base 2 with vectorised polynomials for 2^x and log
//     (relative error ~2e-7; weights below 2^-126 of the row max are flushed to 0); float64
//     uses libm. Against a float64 reference, float32 results agree to ~1e-6 on O(1) inputs.
//
// Threading and determinism: one task per (b, h) pair, split over OpenMP threads when the work
// B·H·T²·D exceeds kAttentionParallelWork. Each task owns its rows of out/lse/dq and the whole
// of dk/dv for its (b, h), accumulated on one thread in a fixed order, so results are identical
// bit for bit whatever the number of threads. No BLAS is called.
#pragma once

#include <cstdint>

namespace amor::kernels::cpu {

// B·H·T²·D below this runs on the calling thread.
inline constexpr int64_t kAttentionParallelWork = int64_t{1} << 15;

// Where the [B, T, H, D] elements of one operand live: element (b, t, h, d) is at
// b·sb + t·st + h·sh + d (in elements; the head-dim stride is 1).
struct AttentionStrides {
  int64_t sb = 0, st = 0, sh = 0;
};

struct AttentionParams {
  int64_t B = 0, T = 0, H = 0, D = 0;  // batch, tokens (queries = keys), heads, head dim
  // Each operand has its own strides: q, k, v may be slices of one packed [B, T, 3, H, D]
  // projection while out is a contiguous [B, T, H, D] tensor, and the backward can write dq,
  // dk, dv straight into the slices of one packed gradient.
  AttentionStrides q, k, v, out;       // forward and backward
  AttentionStrides dout, dq, dk, dv;   // backward only
  const uint8_t* mask = nullptr;  // nullable; mask[b*mask_sb + i*T + j] != 0: query i may attend key j
  int64_t mask_sb = 0;            // 0 for one [T, T] mask shared by the batch, T*T for [B, T, T]
  double scale = 1.0;             // usually 1/sqrt(D)

  // Every operand (and gradient) with the same strides.
  static AttentionParams same_layout(int64_t B, int64_t T, int64_t H, int64_t D, AttentionStrides s,
                                     const uint8_t* mask, int64_t mask_sb, double scale) {
    AttentionParams p;
    p.B = B, p.T = T, p.H = H, p.D = D;
    p.q = p.k = p.v = p.out = p.dout = p.dq = p.dk = p.dv = s;
    p.mask = mask, p.mask_sb = mask_sb, p.scale = scale;
    return p;
  }
};

// q, k, v, out: [B, T, H, D] with the strides p.q, p.k, p.v, p.out. lse: [B, H, T] contiguous.
// out and lse are overwritten.
template <class T>
void attention_fwd(const AttentionParams& p, const T* q, const T* k, const T* v, T* out, T* lse);

// q, k, v, out, lse as saved by attention_fwd; dout: [B, T, H, D] with strides p.dout.
// dq, dk, dv: [B, T, H, D] with strides p.dq, p.dk, p.dv, every element overwritten (not
// accumulated into). They must not overlap each other or the inputs.
template <class T>
void attention_bwd(const AttentionParams& p, const T* q, const T* k, const T* v, const T* out,
                   const T* lse, const T* dout, T* dq, T* dk, T* dv);

}  // namespace amor::kernels::cpu

// The inverse of a masked affine autoregressive transform (one MAF layer, nflows' semantics)
// whose conditioner is a MADE with feedforward blocks, fused into one forward-only kernel for
// sampling. For noise-side rows u [n, d] it computes the data-side θ feature by feature:
//   (a_j, s_j) = MADE(θ_<j, c)_{2j, 2j+1},  scale_j = softplus(a_j) + eps,
//   θ_j = (u_j − s_j) / scale_j,            logdet = −Σ_j log scale_j   (log|det ∂θ/∂u|)
//
// The composition (sbi/flows/maf.cpp) runs the whole MADE d times, once per feature. Here every
// hidden unit is computed exactly once: a hidden unit of degree k only sees θ_<k (nflows' degree
// rule), so it is final as soon as feature k−1 is, and the output pair of feature j only reads
// units of degree ≤ j. Total work is one MADE forward pass instead of d. Rows are processed in
// small blocks held transposed ([unit][row]) so the block's activations stay in L1 and the inner
// loops run over contiguous rows; the context layer is evaluated once when every row shares one
// context (row stride 0).
//
// Determinism: each row's arithmetic is the same whatever n, the block it falls in or the number
// of threads (blocks are split over OpenMP threads; rows never interact). The slow, obviously
// correct twin is the composition itself (tests/sbi/test_flows_maf.cpp compares the two).
#pragma once

#include <cstdint>

namespace amor::kernels::cpu {

enum class MadeActivation { Tanh, Relu };

template <class T>
struct MadeInverseWeights {
  int64_t features = 0;          // d
  int64_t hidden = 0;            // H, the width of every hidden layer
  int64_t num_blocks = 0;        // masked feedforward blocks after the initial layer
  int64_t context_features = 0;  // c; 0: no context layer
  MadeActivation activation = MadeActivation::Tanh;
  const int64_t* hidden_degrees = nullptr;  // [H]: the degree of hidden unit h, in 0..d−1, the same
                                            // in every hidden layer (nflows' rule)
  const T* initial_weight = nullptr;        // [H, d], mask applied
  const T* initial_bias = nullptr;          // [H]
  const T* context_weight = nullptr;        // [H, c] (unmasked), or null when c = 0
  const T* context_bias = nullptr;          // [H]
  const T* const* block_weights = nullptr;  // num_blocks pointers to [H, H], masks applied
  const T* const* block_biases = nullptr;   // num_blocks pointers to [H]
  const T* final_weight = nullptr;          // [2d, H], mask applied; row 2j: unconstrained scale of
                                            // feature j, row 2j+1: its shift
  const T* final_bias = nullptr;            // [2d]
  T scale_eps = T(1e-3);                    // nflows' _epsilon
};

// u: [n, d] contiguous; context: [n, c] rows ldc apart (ldc = 0: one row shared by all), or null
// when c = 0. theta: [n, d] contiguous, logdet: [n] (may be null). The caller checks the sizes
// (sbi/flows/maf.cpp): d, H >= 1, num_blocks >= 0, degrees in [0, d).
template <class T>
void made_affine_inverse(const MadeInverseWeights<T>& w, const T* u, const T* context, int64_t ldc, int64_t n,
                         T* theta, T* logdet);

}  // namespace amor::kernels::cpu

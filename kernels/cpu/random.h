// Counter-based random fills.
//
// Element i of every fill is a pure function of (seed, stream, offset + i): it reads only the
// Philox blocks of its own element index (scheme in kernels/cpu/philox.h,
// philox_element_block / PhiloxCursor). So:
//   - results are bit-identical for any OpenMP thread count or work split;
//   - filling n elements from offset o and then m from o + n equals filling n + m from o;
//   - different streams (or seeds) give independent numbers.
// A caller reserves `n` counters per fill by advancing its offset by n (core's Generator).
//
// Word use per element (word = one 32-bit output of the element's Philox sequence):
//   uniform / bernoulli: float 1 word, double 2 words (block 0 only);
//   normal: float 2 words, double 4 words (Box–Muller, one of the pair kept);
//   randint: 2 words per 64-bit proposal, more on (rare) rejection;
//   gamma: computed in double whatever T, ~6 words per Marsaglia–Tsang attempt.
//
// Kernels do not throw: invalid parameters give a status (randint) or NaN (gamma), as noted.
#pragma once

#include <cstdint>

namespace amor::kernels::cpu {

// Below this many elements a fill runs on the calling thread only.
inline constexpr int64_t kRandomParallelThreshold = 16384;

// out[n] ~ U[lo, hi). Never returns hi when lo < hi (rounding up to hi is stepped back to the
// largest value below hi). lo == hi gives lo.
template <class T>
void fill_uniform(T* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, T lo, T hi);

// out[n] ~ N(mean, std²). Box–Muller; the log argument lies in (0, 1], so no -inf/NaN. Tails
// reach ~6.8 std for float (32-bit uniforms) and ~8.6 std for double (53-bit).
template <class T>
void fill_normal(T* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, T mean,
                 T std);

// out[n] ~ uniform integers in [lo, hi), no modulo bias (Lemire's 64-bit multiply-shift with
// rejection). Returns false and leaves out untouched when hi <= lo.
bool fill_randint(int64_t* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset,
                  int64_t lo, int64_t hi);

// out[n] = 1 with probability p[i] (p == nullptr: p_scalar), else 0. Computed as u < p with u
// ~ U[0, 1) in T's precision, so p <= 0 (or NaN) gives 0 and p >= 1 gives 1.
template <class T>
void fill_bernoulli(uint8_t* out, const T* p, T p_scalar, int64_t n, uint64_t seed,
                    uint64_t stream, uint64_t offset);

// out[n] ~ Gamma(k[i], scale 1) (k == nullptr: k_scalar). Marsaglia–Tsang (2000); k < 1 via
// Gamma(k + 1) · U^(1/k). Computed in double; a result that underflows (tiny k) is clamped to
// the smallest normal T, never 0. k <= 0 or NaN gives NaN; k = +inf gives +inf.
template <class T>
void fill_gamma(T* out, const T* k, T k_scalar, int64_t n, uint64_t seed, uint64_t stream,
                uint64_t offset);

// out[n] = a uniformly random permutation of 0..n-1 (Fisher–Yates, serial). Step i (swapping
// position i with one in [0, i]) draws from element offset + i, so it reserves n counters like
// the other fills. n <= 0 writes nothing.
void fill_randperm(int64_t* out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset);

}  // namespace amor::kernels::cpu

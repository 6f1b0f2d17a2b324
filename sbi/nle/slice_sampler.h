// Vectorised slice sampling: many Markov chains advanced together, the log density evaluated for
// all of them in one batched call per step (sbi's SliceSamplerVectorized, the default MCMC of its
// NLE/NRE posteriors).
//
// Each chain updates its coordinates one at a time, in a freshly shuffled order every sweep, with
// Neal's (2003) univariate slice sampler:
//   1. slice level   log y = log p(x) + log(1 - U)
//   2. stepping out  a bracket of width w placed at random around x_j, extended by w to the left
//                    while log p(left) >= log y and to the right likewise, at most m steps in all
//                    (the m steps split at random between the two sides, Neal's fig. 3, which keeps
//                    the update reversible)
//   3. shrinkage     x_j' uniform in the bracket; while log p(x') < log y the bracket end on x_j''s
//                    side moves to x_j' and a new point is drawn.
// The chains are not in lock step: every chain runs its own state machine (stepping out left,
// right, shrinking) and each batched call evaluates the one point every unfinished chain is
// waiting for, so a chain that needs many shrinkage steps does not hold the others back. The
// log density at the current state is carried along (the accepted point's value), so a
// coordinate update costs one evaluation less than sbi's, which re-evaluates the current point.
//
// Widths: per chain and coordinate, starting at `init_width` (sbi: 0.01). During the first
// `tuning_sweeps` sweeps — never past warm-up, so the kept part of the chain is a fixed Markov
// kernel — each width is set to the running mean of the final bracket widths (sbi's rule,
// w += (|bracket| - w) / (sweep + 1)).
//
// Randomness: chain c draws everything from Rng(seed, kSliceStream, c) in a fixed order, and the
// bookkeeping runs on the calling thread, so the result depends only on the seed, the initial
// states and the log-density values: it is bit-identical for any thread count whenever the log
// density is (amor's tensor ops are).
#pragma once

#include <cstdint>
#include <functional>

#include "core/tensor.h"

namespace amor::sbi::nle {

// Random stream of the slice sampler's per-chain generators.
inline constexpr uint64_t kSliceStream = 0x51;

// theta: [m, d] float64 -> log density [m] (float32 or float64; -inf where the density is zero,
// NaN is read as -inf). m varies between calls (the unfinished chains).
using BatchLogDensity = std::function<Tensor(const Tensor& theta)>;

struct SliceSamplerOptions {
  int64_t warmup_sweeps = 0;   // sweeps run and discarded before the first kept one
  int64_t thin = 1;            // keep one sweep in `thin` after warm-up (the last of each block)
  int64_t tuning_sweeps = 50;  // sbi's `tuning`; capped at warmup_sweeps
  double init_width = 0.01;    // sbi's init_width
  int64_t max_step_out = 1000;  // Neal's m: bracket extensions per update, both sides together
  // A shrinkage that has not hit the slice after this many draws keeps the current value (the
  // bracket has collapsed onto it; only rounding differences between evaluations of the same
  // point can get there).
  int64_t max_shrink = 200;

  void validate() const;  // ValueError naming the field
};

struct SliceSamplerResult {
  Tensor samples;      // [chains, samples_per_chain, d] float64
  Tensor log_density;  // [chains, samples_per_chain] float64, at the kept samples
  Tensor widths;       // [chains, d] float64: the bracket widths after tuning
  int64_t evaluations = 0;    // rows evaluated, the initial states included
  int64_t batched_calls = 0;  // calls of the log density
};

// init: [chains, d] (float32 or float64) starting states, each with a finite log density
// (ValueError naming the first chain without one). Runs warmup_sweeps + samples_per_chain · thin
// sweeps per chain. ShapeError when the log density returns anything but [m] values.
SliceSamplerResult slice_sample(const BatchLogDensity& log_density, const Tensor& init, int64_t samples_per_chain,
                                const SliceSamplerOptions& options, uint64_t seed);

}  // namespace amor::sbi::nle

// MCMC on an unnormalised posterior p(θ) · L(θ): what sbi's MCMCPosterior does for NLE and NRE,
// usable with any batched log-likelihood (a neural likelihood, or a tractable one when a task
// needs a reference sampler).
//
// Steps, as sbi with `slice_np_vectorized`:
//   1. bounded priors: sampling happens in u = T(θ) ∈ R^d, T the UnconstrainingTransform of the
//      prior's support (logit for boxes, log for half-lines), with the target
//      log L(θ(u)) + log p(θ(u)) + log|det ∂θ/∂u| (sbi's `mcmc_transform`), so no step leaves the
//      support and the slice brackets need not respect bounds;
//   2. initialisation of the chains:
//        "sir"       candidates θ_1..M from the prior, weights ∝ L(θ_i) (target over proposal;
//                    the Jacobian cancels), one pick per chain — sbi's "sir"
//        "resample"  the same candidates weighted by the target itself (sbi's "resample")
//        "prior"     one prior draw per chain;
//      sbi draws a fresh set of candidates for every chain; here one set of `candidates` draws
//      serves all chains (picked with replacement), which is the same distribution per chain
//      at 1/num_chains of the cost;
//   3. vectorised slice sampling (slice_sampler.h): warmup · thin sweeps discarded, then
//      ceil(n / num_chains) · thin sweeps per chain keeping every thin-th;
//   4. map back to θ and return the first n draws, chain by chain (sbi's ordering).
//
// Defaults are the sbibm paper's NLE/NRE settings: 100 chains, warm-up 100 (× thin = 1000
// sweeps), thin 10, SIR initialisation. sbi's own MCMCPosterior defaults differ: 20 chains,
// warm-up 200, thin 1, "resample" with 10 000 candidates per chain; the sbibm paper used
// 100 000 candidates (100 batches of 1000) per chain.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/tensor.h"
#include "sbi/distribution.h"

namespace amor::sbi::nle {

struct McmcOptions {
  int64_t num_chains = 100;
  int64_t warmup = 100;  // in kept-sample units, as sbi's warmup_steps: warmup · thin sweeps
  int64_t thin = 10;
  std::string init = "sir";  // "sir", "resample" or "prior"
  int64_t candidates = 10000;  // prior draws for "sir" / "resample"
  double init_width = 0.01;    // initial slice bracket width (sbi's)
  int64_t tuning = 50;         // sweeps of bracket-width adaptation (sbi's), within warm-up
  bool unconstrained = true;   // sample in R^d when the prior's support is bounded

  void validate() const;  // ValueError naming the field
  nlohmann::json to_json() const;
  // Overrides the keys present; ValueError on unknown keys or bad values.
  static McmcOptions from_json(const nlohmann::json& j, McmcOptions defaults);
  static McmcOptions from_json(const nlohmann::json& j) { return from_json(j, McmcOptions{}); }
};

struct McmcStats {
  int64_t chains = 0, sweeps_per_chain = 0;
  int64_t evaluations = 0;    // rows of log-likelihood evaluated (candidates included)
  int64_t batched_calls = 0;  // log-likelihood calls
  double init_seconds = 0, sampling_seconds = 0;
};

// theta: [m, d] float64 inside the prior's support -> log L(θ): [m] (float32 or float64; -inf
// where the likelihood vanishes).
using BatchLogLikelihood = std::function<Tensor(const Tensor& theta)>;

// n posterior draws [n, d] float64, inside the prior's support. Candidate draws use a seed
// derived from `seed`, the resampling Rng(seed, kMcmcInitStream, 0), chain c of the slice sampler
// Rng(seed, kSliceStream, c): bit-identical for any thread count when the likelihood is.
Tensor sample_posterior_mcmc(const Distribution& prior, const BatchLogLikelihood& log_likelihood, int64_t n,
                             const McmcOptions& options, uint64_t seed, McmcStats* stats = nullptr);

// Step 2 alone: the chains' starting states θ [chains, d] float64 by options.init (the
// candidate count and method; num_chains is replaced by `chains`). Adds its evaluations to
// `stats` when given.
Tensor initialize_chains(const Distribution& prior, const BatchLogLikelihood& log_likelihood, int64_t chains,
                         const McmcOptions& options, uint64_t seed, McmcStats* stats = nullptr);

// Candidates per log-likelihood call during initialisation (sbi's sir_batch_size).
inline constexpr int64_t kInitBatchRows = 1000;

}  // namespace amor::sbi::nle

// Reference samples of any conditional of a joint density: p(latent | observed) ∝ p(θ, x) with
// the observed entries fixed — the ground truth the Simformer's all-conditional C2ST compares
// against (../shared/reference/simformer.md §6: the paper uses MCMC on the true joint density).
//
// Method: sequential Monte Carlo with adaptive tempering (Del Moral, Doucet & Jasra 2006).
//   base      q = N(m, s²·C) over the latent entries, with m, C the mean and covariance of the
//             latent columns of joint simulations (the prior predictive) and s = `base_inflation`,
//             truncated to the support (latent θ inside the prior's box). It covers every mode
//             the joint puts mass on, so no chain has to find a mode by itself.
//   path      π_β(z) ∝ q(z)^(1−β) · p(z, x_obs)^β, β from 0 to 1.
//   stages    the next β is the largest one that keeps the effective sample size of the
//             incremental weights at `ess_fraction` · N (bisection); then systematic
//             resampling, then `moves_per_stage` MCMC moves that leave π_β invariant. Mode
//             proportions are set by the weights, not by the moves, so a multimodal conditional
//             (the HMM's sign flips, the tree's ±θ2) gets its modes' masses right.
//   moves     each move is one random-walk Metropolis step with the particle covariance
//             (scaled by 2.38²/d and adapted to the acceptance rate; handles correlations),
//             then one sweep of univariate slice sampling (Neal 2003, stepping out with width
//             `slice_width` × the particle std per coordinate; robust to scale).
//   finish    `final_moves` more moves at β = 1 to decorrelate resampled duplicates.
//
// Determinism: particle i's draws at stage k come from Rng(seed, kReferenceMoveStream, k·N + i)
// and the population statistics (covariance, acceptance, resampling) are computed on the calling
// thread in index order, so the samples are bit-identical for every thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "sbi/distribution.h"
#include "sbi/task.h"

namespace amor::sbi {

// Random streams of the reference sampler.
inline constexpr uint64_t kReferenceBaseStream = 0xC0D0;      // draws from the base q
inline constexpr uint64_t kReferenceMoveStream = 0xC0D1;      // MCMC moves, per particle
inline constexpr uint64_t kReferenceResampleStream = 0xC0D2;  // systematic resampling, per stage
inline constexpr uint64_t kReferenceSimulationSeedOffset = 0x5EED;  // base fit's simulations

struct ConditionalReferenceOptions {
  int64_t num_particles = 0;       // 0: the number of samples asked for
  double ess_fraction = 0.5;       // ESS kept at each tempering step, in (0, 1)
  int64_t moves_per_stage = 3;     // MCMC moves after each resampling
  int64_t final_moves = 10;        // extra moves at β = 1
  int64_t max_stages = 500;        // ValueError past this (the base is far off the target)
  int64_t base_simulations = 20000;  // joint simulations that fit the base (task overload)
  double base_inflation = 2.0;     // s: the base's std in units of the prior predictive's
  double slice_width = 2.0;        // initial bracket, in particle standard deviations
  int64_t max_step_out = 20;       // Neal's m, both sides together
  int64_t max_shrink = 100;        // a shrinkage this long keeps the current value
  int num_threads = 0;             // 0: OpenMP default

  void validate() const;  // ValueError naming the field
};

struct ConditionalReferenceDiagnostics {
  int64_t stages = 0;                // tempering steps to reach β = 1
  std::vector<double> temperatures;  // β after each stage
  double log_evidence = 0.0;         // log ∫ p(z, x_obs) dz estimate (log q's normaliser included)
  double acceptance = 0.0;           // random-walk acceptance rate over the final moves
  int64_t evaluations = 0;           // joint-density evaluations
};

// The Gaussian base over the latent entries: mean [L], covariance [L, L] row-major.
struct GaussianBase {
  std::vector<double> mean;
  std::vector<double> covariance;
};

// log p of one full joint row [T] (observed entries filled in); -inf outside the support, NaN is
// read as -inf. Must be thread-safe.
using JointRowLogDensity = std::function<double(const double* row)>;

// The generic sampler. num_variables: T. observed: (entry index, value) pairs, each index at
// most once, at least one entry left latent. support: per-entry bounds over the T entries (empty
// vectors: unbounded); the base is truncated to it. Returns [n, T] float64 rows with the observed
// entries copied. ValueError on bad input (repeated / out-of-range index, base of the wrong size
// or not positive definite, a base that puts < 1e-4 of its mass inside the support, a target
// that is -inf at every particle).
Tensor conditional_reference_samples(const JointRowLogDensity& log_density, int64_t num_variables,
                                     const std::vector<std::pair<int64_t, double>>& observed,
                                     const GaussianBase& base, const Support& support, int64_t n,
                                     uint64_t seed, const ConditionalReferenceOptions& options = {},
                                     ConditionalReferenceDiagnostics* diagnostics = nullptr);

// The base fitted to the task's prior predictive: the latent columns of
// options.base_simulations joint simulations (seed + kReferenceSimulationSeedOffset), their
// mean and covariance inflated by base_inflation².
GaussianBase fit_reference_base(const Task& task, const std::vector<int64_t>& latent,
                                uint64_t seed, const ConditionalReferenceOptions& options = {});

// For a task with a joint density (Task::has_joint_log_density; NotImplementedError otherwise):
// the base from fit_reference_base, the support from the prior's, the density from
// Task::joint_log_density_one.
Tensor conditional_reference_samples(const Task& task,
                                     const std::vector<std::pair<int64_t, double>>& observed, int64_t n,
                                     uint64_t seed, const ConditionalReferenceOptions& options = {},
                                     ConditionalReferenceDiagnostics* diagnostics = nullptr);

}  // namespace amor::sbi

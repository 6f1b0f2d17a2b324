// Lotka–Volterra observed at irregular, variable-length time sets: the Simformer paper's
// function-valued setup (../shared/reference/simformer.md §6; docs/function_valued.md).
//
//   θ = (α, β, γ, δ), each sigmoid(u)·2 + 1 with u ~ N(0, 1) (support (1, 3));
//   predator' = α·P − β·P·Q, prey' = −γ·Q + δ·P·Q, (P, Q)(0) = (1, 0.5), t ∈ [0, 15];
//   an observation is a set of (series, time, value) points: the ODE solution at that time plus
//   independent N(0, 0.1²) noise.
//
// Deviation from the reference, on purpose: the reference solves on a 150-point grid, adds the
// noise there and linearly interpolates to the random times; here the value at a time is the
// exact solution there plus independent noise, so the likelihood below is the simulator's true
// likelihood and MCMC on it gives an exact reference posterior.
//
// As Simformer tokens: node ids 0–3 are α, β, γ, δ (no metadata, NaN), 4 the predator series and
// 5 the prey series, whose tokens carry their time as metadata. Node DAG: both series ← all four
// parameters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "sbi/diagnostics/conditional_reference.h"
#include "sbi/distribution.h"
#include "sbi/nle/mcmc_posterior.h"

namespace amor::sbi::tasks {

struct LotkaVolterraIrregular {
  static constexpr int64_t kParameters = 4;
  static constexpr int64_t kPredatorNode = 4, kPreyNode = 5, kNodes = 6;
  static constexpr double kTimeEnd = 15.0;
  static constexpr double kNoiseStd = 0.1;
  static constexpr double kPredator0 = 1.0, kPrey0 = 0.5;

  static std::string name() { return "lotka_volterra_irregular"; }
  // "alpha", "beta", "gamma", "delta", "predator", "prey".
  static const std::vector<std::string>& node_names();
  // The node of a name above; ValueError listing the names otherwise.
  static int64_t node_of(const std::string& name);
  static DistributionPtr prior();
  static Tensor node_dag();  // [6, 6] bool, row = child

  // The noise-free solution at `times` (each in [0, 15], any order): predator and prey [times].
  // False when the solve fails (never for θ in the prior's support).
  static bool solve(const double* theta, const std::vector<double>& times, std::vector<double>& predator,
                    std::vector<double>& prey);

  // One set of points (an observation or a query): tokens in order, each (node, time, value).
  struct Points {
    std::vector<int64_t> nodes;   // 4 (predator) or 5 (prey)
    std::vector<double> times;    // in [0, 15]
    std::vector<double> values;   // observed values
    int64_t size() const { return int64_t(nodes.size()); }
  };
  // Draws noisy values of both series at the given times (per series, any order) for θ.
  static Points simulate(const double* theta, const std::vector<double>& predator_times,
                         const std::vector<double>& prey_times, uint64_t seed, uint64_t index);
  // log p(points | θ), normalised; -inf outside the support or when the solve fails.
  static double log_likelihood(const double* theta, const Points& points);

  // Training data for the Simformer: n rows, each θ ~ prior and `times_per_series` sorted
  // U(0, 15) times per series (drawn per row), tokens [θ (4) ‖ predator (k) ‖ prey (k)].
  struct TrainingData {
    Tensor joint;     // [n, 4 + 2k] float64 values
    Tensor metadata;  // [n, 4 + 2k] float64: NaN for θ, the times for the series
    Tensor node_ids;  // [4 + 2k] int64
  };
  static TrainingData training_data(int64_t n, int64_t times_per_series, uint64_t seed);

  // The node ids and metadata of a posterior query: θ (4 latent tokens) then the points.
  static Tensor query_node_ids(const Points& points);  // [4 + m] int64
  static Tensor query_metadata(const Points& points);  // [4 + m] float64

  // Reference posterior samples θ | points [n, 4] by slice sampling with the true likelihood
  // (sbi/nle/mcmc_posterior.h: in the unconstrained space of the prior's box, SIR-initialised
  // chains). rhat (when given) receives the largest potential scale reduction factor over the
  // four parameters, between chains.
  static Tensor reference_posterior(const Points& points, int64_t n, uint64_t seed, const nle::McmcOptions& options,
                                    double* rhat = nullptr);
  // The same by sequential Monte Carlo with adaptive tempering (sbi/diagnostics/
  // conditional_reference.h) from a base N(2, 0.6²) per parameter truncated to (1, 3)^4 to the
  // posterior: mode masses come from the importance weights and the moves use the particle
  // covariance, so ridges and several modes — where the slice sampler's chains disagree (R-hat
  // 1.66 on a 5-point observation) — are handled. The evaluation's reference.
  static Tensor reference_posterior_smc(const Points& points, int64_t n, uint64_t seed,
                                        const ConditionalReferenceOptions& options = {},
                                        ConditionalReferenceDiagnostics* diagnostics = nullptr);
  // MCMC settings for reference_posterior: sbibm's NLE settings (warm-up 100·thin, thin 10, SIR
  // initialisation from 10 000 prior draws) with 20 chains instead of 100.
  static nle::McmcOptions reference_mcmc_options();
};

// Gelman–Rubin potential scale reduction factor of one scalar over chains: draws [chains,
// per_chain] row-major. ValueError with fewer than 2 chains or 2 draws per chain.
double potential_scale_reduction(const std::vector<double>& draws, int64_t chains);

}  // namespace amor::sbi::tasks

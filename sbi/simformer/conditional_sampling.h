// Conditional sampling and conditional log-densities of a score model over T entries, in the
// model's standardised units and independent of the network: the score comes in through a
// callback that, like the Simformer's network, takes the condition mask. SimformerModel
// (sampler.cpp) standardises, calls these and maps back; tests drive them with the exact score of
// a Gaussian, so the conditioning logic (clamping, missing entries, guidance, the log-density's ODE)
// is checked without training.
//
// A query is the values of the T entries, a mask of the observed ones, and optionally constraints:
//   - observed entries are clamped to their values;
//   - an observed entry whose value is NaN is missing: it is sampled as a latent entry (and the
//     score sees it as latent);
//   - constraints (guidance.h, in standardised units) restrict the latent entries; a constraint
//     weight on an observed entry is a ValueError (give that entry as an interval instead).
#pragma once

#include <cstdint>
#include <functional>

#include "core/random.h"
#include "core/tensor.h"
#include "sbi/simformer/guidance.h"
#include "sbi/simformer/log_prob.h"
#include "sbi/simformer/reverse_sampler.h"
#include "sbi/simformer/sde.h"

namespace amor::sbi::simformer {

// ŝ(x_t, t | observed): x_t [m, T] float32, observed [m, T] bool -> [m, T] float32.
using MaskedScoreFunction = std::function<Tensor(const Tensor& x_t, const Tensor& observed, double t)>;

struct SamplerSettings {
  SamplerKind kind = SamplerKind::EulerMaruyama;
  int64_t steps = 500;
  int64_t chunk = 2000;  // samples per score call
  GuidanceOptions guidance;
};

// values [T] (float32/64, standardised; NaN allowed on missing entries), observed [T] bool.
// Returns [n, T] float64 standardised samples; observed entries hold their values exactly.
// The observed mask with the missing entries dropped is written to *effective_observed ([T] bool)
// when given. Same seed, same samples.
Tensor sample_conditional_standardised(const MaskedScoreFunction& score, const Sde& sde,
                                       const SamplerSettings& settings, const Tensor& values,
                                       const Tensor& observed, const Constraints& constraints, int64_t n,
                                       uint64_t seed, Tensor* effective_observed = nullptr);

// Many queries in one integration: values [M, T] (NaN allowed on missing entries), observed
// [M, T] bool, or [T] shared by every query. Returns [M·n, T] float64: query q's n samples are
// rows q·n … q·n + n − 1. Rows of different queries share the score calls (settings.chunk rows
// each), so many observations with few samples each cost a few large network calls instead of
// many small ones (simulation-based calibration, coverage, posterior predictive checks). The
// constraints apply to every query. *effective_observed receives [M, T]. With M = 1 this is
// sample_conditional_standardised exactly: same seed, same samples.
Tensor sample_conditionals_standardised(const MaskedScoreFunction& score, const Sde& sde,
                                        const SamplerSettings& settings, const Tensor& values,
                                        const Tensor& observed, const Constraints& constraints, int64_t n,
                                        uint64_t seed, Tensor* effective_observed = nullptr);

// log p(latent entries | observed entries) at each row of points [n, T] (standardised; each row
// carries its own observed values), through the probability-flow ODE (log_prob.h). observed: [T]
// bool; every entry of the rows must be finite (no missing entries here). The score must be
// differentiable with respect to x_t (autodiff). Returns [n] float64 in standardised units.
Tensor log_prob_conditional_standardised(const MaskedScoreFunction& score, const Sde& sde, const Tensor& points,
                                         const Tensor& observed, const LogProbOptions& options, int64_t chunk,
                                         uint64_t seed);

}  // namespace amor::sbi::simformer

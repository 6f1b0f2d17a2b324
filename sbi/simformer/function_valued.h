// The Simformer on function-valued tasks (metadata tokens; docs/function_valued.md): a query is
// a list of points (variable, metadata, value), e.g. ("prey", 7.5, 0.83) or ("alpha", NaN, NaN),
// whatever their number; the variables are the model's nodes, named. This file turns such lists
// into token layouts and back, and holds the recipes for Lotka–Volterra at irregular times
// (sbi/tasks/lotka_volterra_irregular.h) and SIRD at random times (sbi/tasks/sird_irregular.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "sbi/simformer/simformer.h"
#include "sbi/tasks/lotka_volterra_irregular.h"
#include "sbi/tasks/sird_irregular.h"

namespace amor::sbi::simformer {

// One token of a query: its node, its metadata (NaN: none) and its value (NaN: latent, sampled).
struct FunctionValuedPoint {
  int64_t node = 0;
  double metadata = 0;
  double value = 0;
};

// Samples every point whose value is NaN given the others (the model must have metadata
// tokens). Returns [n, points] float64, observed values copied.
Tensor sample_points(const SimformerModel& model, const std::vector<FunctionValuedPoint>& points, int64_t n,
                     uint64_t seed);
Tensor sample_points(const SimformerModel& model, const std::vector<FunctionValuedPoint>& points, int64_t n,
                     uint64_t seed, const SamplingOptions& options);

// ---- Lotka–Volterra at irregular times -------------------------------------------------------

// The recipe (docs/results.md): dense attention, 4 layers, d = 12 + 12 + 12 + 6 = 42, metadata
// frequencies ~ N(0, 0.5²) for times in [0, 15], batch 250, 20 000 steps with random subsets of
// each series' points (training.random_subsets), 100 Euler–Maruyama steps.
// Bounds: the four parameters' prior support (1, 3) is mapped to R by a logit (value_transform.h;
// there the prior is exactly N(0, 1)); the series are unbounded.
SimformerConfig lotka_volterra_irregular_config();
// Per node (6): (1, 3) for α, β, γ, δ, unbounded for the two series (what "bounds": "prior" means here).
ValueBounds lotka_volterra_irregular_bounds();

// Simulates `simulations` rows with `times_per_series` random times per series (seed) and trains
// a model on them (seed + 1). on_progress as SimformerModel::train.
std::unique_ptr<SimformerModel> train_lotka_volterra_irregular(
    int64_t simulations, int64_t times_per_series, const SimformerConfig& config, uint64_t seed,
    const std::function<void(const TrainingProgress&)>& on_progress = {}, const std::atomic<bool>* stop = nullptr);

// θ | points: [n, 4] posterior samples of a Lotka–Volterra model at an observation.
Tensor lotka_volterra_posterior(const SimformerModel& model, const tasks::LotkaVolterraIrregular::Points& points,
                                int64_t n, uint64_t seed, const SamplingOptions& options);

// ---- SIRD at random times -------------------------------------------------------------------

// The recipe (docs/sird.md): as Lotka–Volterra's (dense attention, 4 layers, d = 42) with metadata
// frequencies ~ N(0, 0.15²) for times in [0, 50], batch 256, 16 000 steps, validation 5 %,
// training.random_subsets (each row keeps a random subset of its β times and of every series'
// times, so one model answers any number of points up to the training counts), half of the
// condition masks posterior ones (as the fixed-time SIRD recipe), ancestral sampling at 50
// steps, bounds sird_irregular_bounds().
SimformerConfig sird_irregular_config();
// Per node (6): γ, δ in (0, 0.5), β in (0, 1) (logit), I, R, D in (0, ∞) (log).
ValueBounds sird_irregular_bounds();

// Simulates `simulations` rows with `beta_times` random β times and `obs_times` random times per
// series (seed) and trains a model on them (seed + 1); bounds "prior" become
// sird_irregular_bounds(). *dropped (when given) receives the number of failed simulations.
std::unique_ptr<SimformerModel> train_sird_irregular(
    int64_t simulations, int64_t beta_times, int64_t obs_times, const SimformerConfig& config, uint64_t seed,
    const std::function<void(const TrainingProgress&)>& on_progress = {}, const std::atomic<bool>* stop = nullptr,
    int64_t* dropped = nullptr);

// (γ, δ, β(t_1), ..., β(t_q)) | points: [n, 2 + q] posterior samples of a SIRD model, q =
// beta_query_times.size() (each in [0, 50], any order; the columns follow it).
Tensor sird_irregular_posterior(const SimformerModel& model, const tasks::SirdIrregular::Points& points,
                                const std::vector<double>& beta_query_times, int64_t n, uint64_t seed,
                                const SamplingOptions& options);

}  // namespace amor::sbi::simformer

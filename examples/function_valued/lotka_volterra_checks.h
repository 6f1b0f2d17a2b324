// Lotka–Volterra at irregular times (docs/function_valued.md): the posterior C2ST of one Simformer
// at observations of 5, 10 and 20 random times per series, against slice-sampling references
// with the true likelihood. Shared by the lotka_volterra example and the SLOW_ test
// (tests/sbi/test_simformer_lotka_volterra.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sbi/simformer/function_valued.h"

namespace function_valued_examples {

struct LvEvaluationOptions {
  std::vector<int64_t> counts = {5, 10, 20};  // random times per series
  int64_t observations_per_count = 3;
  int64_t samples = 2000;    // model and reference samples per observation
  uint64_t seed = 2026;      // θ_o, times and noise of the observations (fixed; not tuned)
  std::string cache_dir;     // reference samples are cached here when non-empty
  amor::sbi::simformer::SamplingOptions sampling;  // the model's sampler
};

struct LvEvaluationRow {
  int64_t count = 0, index = 0;
  std::vector<double> theta_o;
  double c2st = 0, reference_stages = 0, reference_seconds = 0, sampling_seconds = 0;
};

// The observations: θ_o ~ prior, `count` sorted U(0, 15) times per series, noisy values; all
// from `seed` (observation (count, index) has its own stream).
amor::sbi::tasks::LotkaVolterraIrregular::Points lv_observation(int64_t count, int64_t index, uint64_t seed,
                                                                std::vector<double>* theta_o = nullptr);

// Reference posterior samples of an observation (LotkaVolterraIrregular::reference_posterior_smc),
// from cache_dir when present there. *stages: the SMC's tempering stages (NaN from the cache).
amor::Tensor lv_reference(const amor::sbi::tasks::LotkaVolterraIrregular::Points& points, int64_t count,
                          int64_t index, const LvEvaluationOptions& options, double* stages);

// One row per observation, in order; prints each as it is done when `verbose`.
std::vector<LvEvaluationRow> evaluate_lotka_volterra(const amor::sbi::simformer::SimformerModel& model,
                                                     const LvEvaluationOptions& options, bool verbose);

}  // namespace function_valued_examples

// The Simformer recipe for the `sird` task (docs/sird.md), shared by sird_calibration and the
// SLOW_ test tests/sbi/test_sird_sbc.cpp; examples/sird/simformer.json is the same recipe for
// `amor train --config`.
//   - dense attention, 4 layers; half of the training condition masks posterior ones (joint 0.1,
//     posterior 0.5, likelihood 0.1, Bernoulli 0.15 + 0.15): SBC and the predictive check use
//     only the posterior;
//   - bounded coordinates (sbi/simformer/value_transform.h): γ, δ in (0, 0.5) and β in (0, 1)
//     by logit — there β's prior is the GP itself — and I, R, D > 0 by log, where the
//     observation noise is Gaussian;
//   - `steps` of `batch` (16 000 of 256 by default), ancestral sampling at 50 steps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

inline nlohmann::json sird_simformer_recipe(int64_t steps = 16000, int64_t batch = 256) {
  // 42 tokens: γ, δ, β at 10 times, then I, R, D at 10 times each.
  std::vector<nlohmann::json> lower(42, 0.0), upper(42, nullptr);
  for (size_t i = 0; i < 12; ++i) upper[i] = i < 2 ? 0.5 : 1.0;
  return {{"attention", "dense"},
          {"network", {{"layers", 4}}},
          {"condition_masks",
           {{"joint", 0.1}, {"posterior", 0.5}, {"likelihood", 0.1}, {"bernoulli_low", 0.15}, {"bernoulli_high", 0.15}}},
          {"training", {{"steps", steps}, {"batch_size", batch}, {"validation_checks", 10}, {"validation_repeats", 2}}},
          {"sampling", {{"method", "ancestral"}, {"steps", 50}}},
          {"bounds", {{"lower", lower}, {"upper", upper}}}};
}

// The conditions an all-conditional evaluation scores a model on: which entries of the joint
// (θ, x) are observed, and their values.
//
// Masks follow the Simformer's evaluation (../shared/reference/simformer.md §4 and §6: masks from
// the training distribution `structured_random`): each condition picks one of joint, posterior,
// likelihood, Bernoulli(0.3), Bernoulli(0.7) per entry with probability 0.2 each, and is redrawn
// while nothing is latent or nothing is observed (so the joint mask never stays: it has no
// condition to test). The values are one draw of the joint — θ from the prior, x from the
// simulator (redrawn when the simulation is invalid) — of which the observed entries are kept.
//
// Condition k draws everything from Rng(seed, kEvaluationConditionStream, k), so the set is a
// pure function of (task, seed) and condition k does not depend on how many are drawn.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sbi/task.h"

namespace amor::sbi {

inline constexpr uint64_t kEvaluationConditionStream = 0xC0E0;

struct EvaluationCondition {
  int64_t index = 0;        // k, 0-based
  std::string kind;         // "posterior", "likelihood", "bernoulli(0.3)", "bernoulli(0.7)"
  std::vector<std::pair<int64_t, double>> observed;  // (entry, value), ascending entries
  std::vector<int64_t> latent;                       // ascending
  std::vector<double> joint;  // [T] the joint draw the values come from (latent entries: its truth)
};

// ValueError when num < 0 or the task has a single entry (no mask leaves both sides non-empty),
// or when 1000 simulations in a row are invalid.
std::vector<EvaluationCondition> draw_evaluation_conditions(const Task& task, int64_t num, uint64_t seed);

}  // namespace amor::sbi

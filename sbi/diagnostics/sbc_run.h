// Running simulation-based calibration on a trained posterior: n pairs θ_i ~ prior,
// x_i ~ simulator(θ_i) (seeded; invalid simulations are drawn again at later indices), L
// posterior draws at each x_i, and the ranks of θ_i among them (sbc.h), with their check.
// What sbi's run_sbc does, for any Posterior of a task.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include "core/tensor.h"
#include "sbi/diagnostics/sbc.h"
#include "sbi/method.h"
#include "sbi/task.h"

namespace amor::sbi {

struct SbcRunOptions {
  int64_t num_simulations = 200;  // n
  int64_t num_draws = 100;        // L posterior draws per simulation
  uint64_t seed = 0;              // θ_i, x_i from simulate_dataset(seed); the draws of round i
                                  // from seed + 1 + i
  SbcCheckOptions check;          // alpha, bins; its seed is set from `seed`
  // Called after each round (rounds done, total); may be empty.
  std::function<void(int64_t, int64_t)> on_round;
  const std::atomic<bool>* stop = nullptr;  // set: stop after the current round (fewer rows)
};

struct SbcRun {
  Tensor theta;        // [n, d] float64 true parameters
  Tensor x;            // [n, x_dim] float64 their simulations
  Tensor draws;        // [n, L, d] float64 posterior draws
  Tensor ranks;        // [n, d] int64
  SbcCheck check;      // check_sbc(ranks, L)
  int64_t num_invalid = 0;  // simulations dropped as invalid and redrawn
};

// ValueError for n < 1, L < 1, or a posterior whose dimensions are not the task's.
SbcRun run_sbc(const Task& task, Posterior& posterior, const SbcRunOptions& options = {});

}  // namespace amor::sbi

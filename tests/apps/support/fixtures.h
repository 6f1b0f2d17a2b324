// Test-only task and methods for the command-line tests, registered through sbi::register_task
// and sbi::register_method (by amor_tests_apps in-process and by the amor_test_cli binary).
//
// Task "test_gauss2d": θ ~ N(0, I_2), x = θ + N(0, 0.5² I_2), except that 5% of the simulations
// fail at random (x = NaN, independent of θ, so dropping them leaves the posterior unchanged).
// The posterior is N(x / 1.25, 0.2 I_2); the task has 3 observations whose reference samples
// are 10 000 exact posterior draws.
//
// Method "oracle": "trains" by estimating the noise standard deviation from the simulations
// (3 epochs over thirds of the data, reported through on_progress) and samples the Gaussian
// posterior that noise level implies; its checkpoint holds that one number. Config: {"epochs": n}
// (default 3); {"fail_unexpectedly": ...} throws a std::runtime_error (not an amor::Error); any
// other key is a ValueError, as the Method contract asks.
// Method "slow_oracle": the same, but every epoch sleeps 50 ms and there are 2 000 of them
// unless TrainOptions::stop is set — for the Ctrl-C tests.
// Method "joint_oracle": the oracle as a sbi::ConditionalSampler (every conditional of the joint
// (mu_1, mu_2, y_1, y_2) exact) — for `amor sample --condition` and `amor evaluate
// --all-conditionals`. The task has a closed-form joint density (Task::joint_log_density).
// Method "wrong_joint_oracle": the same with three times the estimated noise, so every
// conditional is wrong — what the all-conditionals evaluation must catch.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace amor::test {

inline constexpr double kGaussNoise = 0.5;
inline constexpr double kGaussFailRate = 0.05;

// Idempotent.
void register_cli_fixtures();

// Writes `tensors` as a posterior checkpoint the way amor's methods do: an nn checkpoint whose
// `config` entry holds {"format": "amor", "method": ..., "task": ...} (sbi::load_posterior reads it).
void write_posterior_checkpoint(const std::string& path,
                                const std::vector<std::pair<std::string, Tensor>>& tensors,
                                const std::string& method, const std::string& task);

}  // namespace amor::test

// The summary statistics of the bernoulli_glm task, exposed for tests and for users who hold a
// raw spike train (bernoulli_glm_raw's x) and want bernoulli_glm's x.
#pragma once

#include <cstdint>

namespace amor::sbi::tasks {

inline constexpr int64_t kGlmBins = 100;      // time bins of the spike train
inline constexpr int64_t kGlmFilterLen = 9;   // filter taps (lags 0..8)

// y: [100] spike train (0/1), stimulus: [100] -> out: [10] =
// [Σ_t y_t, Σ_t y_t·I_{t-l} for l = 0..8] (sums over t >= l), as sbibm computes them with
// conv1d(y, I, padding=8)[-9:].
void bernoulli_glm_summary(const double* y, const double* stimulus, double* out);

}  // namespace amor::sbi::tasks

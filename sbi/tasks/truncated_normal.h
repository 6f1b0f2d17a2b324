// A scalar normal truncated to an interval, drawn exactly by rejection.
//
// Used for the analytic posterior of gaussian_linear_uniform (N(x, 0.1·I) truncated to the prior
// box). Plain rejection from N(mean, std²) would stall when the interval lies far in a tail, so
// the proposal follows Robert (1995), "Simulation of truncated normal variables": a translated
// exponential in a one-sided tail, a uniform on a narrow interval, the normal itself otherwise.
// Every branch accepts with probability above ~0.3, whatever the interval.
#pragma once

#include "sbi/rng.h"

namespace amor::sbi::tasks {

// One draw of N(mean, std²) conditioned on [lo, hi]. ValueError unless std > 0 and lo < hi
// (infinite bounds allowed).
double truncated_normal(Rng& rng, double mean, double std, double lo, double hi);

}  // namespace amor::sbi::tasks

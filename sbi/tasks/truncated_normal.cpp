#include "sbi/tasks/truncated_normal.h"

#include <cmath>
#include <numbers>

#include "core/error.h"

namespace amor::sbi::tasks {

namespace {

// Standard normal truncated to [a, b] with 0 <= a < b (b may be +inf).
double right_tail(Rng& rng, double a, double b) {
  // Robert's optimal rate for the exponential proposal a + Exp(alpha).
  const double alpha = 0.5 * (a + std::sqrt(a * a + 4.0));
  if (b - a >= 1.0 / alpha) {
    // The proposal puts mass >= 1 - 1/e on [a, b]; the inner acceptance is >= ~0.76.
    for (;;) {
      const double z = a - std::log1p(-rng.uniform()) / alpha;
      if (z > b) continue;
      const double d = z - alpha;
      if (rng.uniform() <= std::exp(-0.5 * d * d)) return z;
    }
  }
  // Narrow interval: uniform proposal, density ratio exp((a² - z²) / 2) >= exp(-1 - 1/(2α²)).
  for (;;) {
    const double z = rng.uniform(a, b);
    if (rng.uniform() <= std::exp(0.5 * (a * a - z * z))) return z;
  }
}

// Standard normal truncated to [a, b].
double standard_truncated(Rng& rng, double a, double b) {
  if (a >= 0.0) return right_tail(rng, a, b);
  if (b <= 0.0) return -right_tail(rng, -b, -a);
  // The interval holds 0.
  const double sqrt_two_pi = std::sqrt(2.0 * std::numbers::pi);
  if (b - a < sqrt_two_pi) {
    // Uniform proposal, ratio exp(-z²/2); mean acceptance >= 1/2 on an interval this narrow.
    for (;;) {
      const double z = rng.uniform(a, b);
      if (rng.uniform() <= std::exp(-0.5 * z * z)) return z;
    }
  }
  // Wide interval around 0: it holds at least P(0 <= Z <= sqrt(2π)/2) ≈ 0.39 of the mass.
  for (;;) {
    const double z = rng.normal();
    if (z >= a && z <= b) return z;
  }
}

}  // namespace

double truncated_normal(Rng& rng, double mean, double std, double lo, double hi) {
  AMOR_CHECK(std > 0.0 && std::isfinite(std), ValueError,
             "truncated_normal: std must be positive and finite, got ", std);
  AMOR_CHECK(std::isfinite(mean), ValueError, "truncated_normal: mean must be finite, got ", mean);
  AMOR_CHECK(lo < hi, ValueError, "truncated_normal: need lo < hi, got [", lo, ", ", hi, "]");
  return mean + std * standard_truncated(rng, (lo - mean) / std, (hi - mean) / std);
}

}  // namespace amor::sbi::tasks

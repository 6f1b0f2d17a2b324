// The Simformer's SIRD epidemic with a time-varying contact rate β(t) (../shared/reference/
// simformer.md §6): a function-valued parameter, inferred together with the recovery and death
// rates. The pieces are exposed so that a variant with tokens at other (or random) times needs no
// new simulator: the GP prior of β on its grid, β at any time by interpolation, the ODE solved at
// any times, and the observation noise.
//
// Model (time in days, t in [0, 50]):
//   γ, δ ~ U(0, 0.5)                               recovery and death rates
//   g ~ GP(0, k) on the grid t_j = 50 j / 99, j = 0..99, k(s, t) = σ_f² exp(−(s − t)² / (2ℓ²))
//     with ℓ = 7, σ_f = 2.5, plus 1e-5 on the diagonal (the reference code's jitter)
//   β(t) = sigmoid(g)(t), linear interpolation between grid points (constant beyond the ends)
//   I₀ ~ U(0, 0.2) (a nuisance: not a token), S₀ = 1, R₀ = D₀ = 0
//   S' = −β(t) S I,  I' = β(t) S I − (γ + δ) I,  R' = γ I,  D' = δ I
//   (S + I + R + D stays 1 + I₀: the reference starts S at 1, not 1 − I₀)
//   observed: I, R, D at their times, each exp(N(log(v + 1e-8), 0.05²)) (log-normal noise)
//
// The built-in task `sird` fixes the times (tokens θ = γ, δ, β at 10 times; x = I, R, D at 10
// times each; T = 42):
//   β tokens at t = 50 k / 9, k = 0..9 (grid points 11 k, so a token is a grid value exactly),
//   observations at t = 5, 10, ..., 50 (t = 0 is left out: R and D are 0 there and carry nothing).
// Its simulator draws I₀ and the 90 other grid values of g from the GP conditioned on the 10
// given ones, so prior × simulator is exactly the model above with those nuisances integrated out.
#pragma once

#include <cstdint>
#include <vector>

#include "sbi/rng.h"

namespace amor::sbi::tasks {

inline constexpr double kSirdStart = 0.0;
inline constexpr double kSirdEnd = 50.0;
inline constexpr int kSirdGridPoints = 100;
inline constexpr double kSirdLengthScale = 7.0;
inline constexpr double kSirdSignalStd = 2.5;
inline constexpr double kSirdJitter = 1e-5;
inline constexpr double kSirdMaxRate = 0.5;             // γ, δ ~ U(0, 0.5)
inline constexpr double kSirdMaxInitialInfected = 0.2;  // I₀ ~ U(0, 0.2)
inline constexpr double kSirdNoise = 0.05;              // std of the log-scale noise
inline constexpr double kSirdLogOffset = 1e-8;          // log(v + 1e-8), as the reference
inline constexpr int kSirdBetaTokens = 10;
inline constexpr int kSirdObservationTimes = 10;
inline constexpr int kSirdBetaGridStride = 11;          // token k is grid point 11 k

// The GP grid: t_j = 50 j / 99, j = 0..99.
std::vector<double> sird_grid();
// The fixed-time task's β token times (50 k / 9, k = 0..9) and observation times (5, 10, ..., 50).
std::vector<double> sird_beta_times();
std::vector<double> sird_observation_times();

// σ_f² exp(−(s − t)² / (2ℓ²)) (no jitter).
double sird_rbf_kernel(double s, double t);

// β on the grid from g = logit β: beta_grid[j] = sigmoid(g_grid[j]), j < 100 (overflow-free).
void sird_beta_on_grid(const double* g_grid, double* beta_grid);

// Piecewise-linear interpolation of values[n] given at sorted times[n] (n >= 1), held constant
// beyond the ends.
double interpolate_linear(const double* times, const double* values, int64_t n, double t);

// The GP prior of g = logit β on the grid, and its conditional given g at some grid points.
class SirdRateGp {
 public:
  // given: grid indices (distinct, in [0, 100)) whose values complete() receives; may be empty.
  // ValueError for a repeated or out-of-range index.
  explicit SirdRateGp(std::vector<int> given = {});
  // An unconditional draw of g on the grid: g_grid[100].
  void sample(Rng& rng, double* g_grid) const;
  // g on the grid given g at the `given` points (g_given[given.size()], in that order): those
  // are copied, the rest drawn from the Gaussian conditional. g_grid[100].
  void complete(const double* g_given, Rng& rng, double* g_grid) const;
  // The marginal covariance of g at the given points (kernel plus jitter), row-major.
  const std::vector<double>& given_covariance() const { return given_cov_; }
  const std::vector<int>& given() const { return given_; }

 private:
  std::vector<int> given_, rest_;
  std::vector<double> given_cov_;
  std::vector<double> full_chol_;  // [100, 100] lower Cholesky factor of K + jitter
  std::vector<double> gain_;       // [rest, given]: K_rg K_gg⁻¹
  std::vector<double> rest_chol_;  // [rest, rest]: Cholesky factor of the conditional covariance
};

// Solves the SIRD ODE for β(t) = interpolate_linear(grid, beta_grid, t) and writes (S, I, R, D)
// at each of times[n] (sorted, in [0, 50]) to states[n, 4]. Returns false, with states all NaN,
// when an argument is not finite or the solve failed.
bool sird_states(double gamma, double delta, const double* beta_grid, double initial_infected,
                 const double* times, int64_t n, double* states);

// One noisy observation of a compartment value v >= 0: exp(N(log(v + 1e-8), 0.05²)).
double sird_observe(double value, Rng& rng);
// Its log-density at x > 0 (−inf for x <= 0), normalised.
double sird_observation_log_density(double x, double value);

}  // namespace amor::sbi::tasks

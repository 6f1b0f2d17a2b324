// sbibm's `sir` task: the deterministic part of its simulator, exposed for tests and for users
// who want the epidemic curve itself. The task (prior, simulator, reference data) comes from
// tasks::make_sir (sbi/tasks/builtin.h).
//
// Model (Kermack–McKendrick SIR, population N = 1e6, one initial infection):
//   S' = −β S I / N,  I' = β S I / N − γ I,  R' = γ I,  (S, I, R)(0) = (N − 1, 1, 0),
// solved over sbibm's span of 160 days with Tsit5 at rtol = atol = 1e-8.
// Observation: x_k ~ Binomial(1000, clamp(I(t_k) / N, 0, 1)) at days t_k = 17 k, k = 0..9.
#pragma once

namespace amor::sbi::tasks {

inline constexpr double kSirPopulation = 1e6;
inline constexpr int kSirNumObservations = 10;  // days 0, 17, ..., 153
inline constexpr int kSirDayStride = 17;
inline constexpr double kSirDays = 160.0;
inline constexpr int kSirTrials = 1000;  // binomial total count

// Writes (S, I, R)(t_k) / N at the 10 observation days to fractions[10 * 3] (row k = day
// 17 k). Returns false, with fractions all NaN, when the ODE solve failed (non-finite rates
// included).
bool sir_fractions(double beta, double gamma, double* fractions);

}  // namespace amor::sbi::tasks

// sbibm's `lotka_volterra` task: the deterministic part of its simulator, exposed for tests and
// for users who want the population curves. The task itself comes from
// tasks::make_lotka_volterra (sbi/tasks/builtin.h).
//
// Model (θ = (α, β, γ, δ), prey u1, predator u2):
//   u1' = α u1 − β u1 u2,  u2' = −γ u2 + δ u1 u2,  (u1, u2)(0) = (30, 1),
// solved over t ∈ [0, 20] with Tsit5 at rtol = atol = 1e-8, saved every 0.1 and subsampled
// every 21st point: t_k = 2.1 k, k = 0..9.
// Observation: x = (10 prey values, then 10 predator values), each
// LogNormal(log(clamp(u, 1e-10, 1e4)), 0.1).
#pragma once

namespace amor::sbi::tasks {

inline constexpr int kLotkaVolterraTimes = 10;   // t = 0, 2.1, ..., 18.9
inline constexpr int kLotkaVolterraStride = 21;  // on the 0.1 grid of [0, 20]
inline constexpr double kLotkaVolterraEnd = 20.0;
inline constexpr double kLotkaVolterraNoise = 0.1;  // std of log x
inline constexpr double kLotkaVolterraClampLow = 1e-10;
inline constexpr double kLotkaVolterraClampHigh = 1e4;

// theta[4] = (α, β, γ, δ) -> states[20]: prey at the 10 times, then predator (unclamped).
// Returns false, with states all NaN, when the ODE solve failed.
bool lotka_volterra_states(const double* theta, double* states);

}  // namespace amor::sbi::tasks

// Reverse-time integrators for score-based diffusion, independent of the network: they see the
// score only through a callback, so tests can drive them with an exact score and measure their
// discretisation error alone.
//
// Notation (sde.h): the forward kernel is x_t = α(t)·x_0 + s(t)·ε with α = mean_factor, s = std.
// From a score ŝ = ∇ log p_t(x_t) the two derived quantities every sampler below uses are
//   the denoiser   D(x_t) = (x_t + s²·ŝ) / α   (Tweedie: the posterior mean of x_0), and
//   the noise      ε̂(x_t) = −s·ŝ,
// so that x_t = α·D + s·ε̂ holds exactly.
//
// Samplers, from t_max down to t_min on a grid uniform in t (for the VE SDE that is uniform in
// log σ, i.e. in log-SNR):
//   euler_maruyama  reverse SDE, dx = [f·x − g²·ŝ] dt + g dW̄; one evaluation per step. The
//                   reference's sampler (500 steps).
//   heun_ode        probability-flow ODE dx/dt = f·x − ½g²·ŝ, Heun's 2nd-order method; two
//                   evaluations per step.
//   ancestral       the exact Gaussian transition q(x_t' | x_t, x_0) of the forward process with
//                   x_0 replaced by D(x_t) (DDPM's ancestral step, generalised to any α, s); a
//                   first-order stochastic exponential integrator: no discretisation error at all
//                   when the data distribution is a point mass. One evaluation per step.
//   dpm_solver_2m   DPM-Solver++(2M) (Lu et al. 2022) on the probability-flow ODE in
//                   λ = log(α/s): a second-order multistep exponential integrator reusing the
//                   previous step's denoiser; one evaluation per step.
// Observed entries are clamped: every update is multiplied by the latent mask.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"
#include "sbi/simformer/sde.h"

namespace amor::sbi::simformer {

// ŝ(x_t, t): x_t [m, T] float32 in standardised units -> [m, T] float32.
using ScoreFunction = std::function<Tensor(const Tensor& x_t, double t)>;

enum class SamplerKind { EulerMaruyama, HeunOde, Ancestral, DpmSolver2M };

// "euler_maruyama", "heun_ode", "ancestral", "dpm_solver_2m"; ValueError naming the choices.
SamplerKind parse_sampler_kind(const std::string& name);
std::string to_string(SamplerKind kind);

// Score evaluations a run of `steps` steps costs.
int64_t network_evaluations(SamplerKind kind, int64_t steps);

// t_max = t_0 > t_1 > ... > t_steps = t_min, uniform in t.
std::vector<double> reverse_time_grid(const Sde& sde, int64_t steps);

// Runs the sampler from x (at t_max, [m, T] float32) down to t_min. latent: [m, T] float32, 1 on
// the entries to sample and 0 on clamped ones (left exactly as they are in x). Draws its noise
// from gen. Returns the final state [m, T] float32.
// recurrence > 0 (self-recurrence, for guidance: guidance.h): after each step from t to t' the
// latent entries are re-noised from t' back to t with the forward kernel
//   x_t = (α_t/α_t')·x_t' + √(s_t² − (α_t/α_t')²·s_t'²)·ε
// and the step is redone, `recurrence` times (the multistep DPM-Solver redoes the step with the
// same previous denoiser).
Tensor integrate_reverse(const ScoreFunction& score, const Sde& sde, Tensor x, const Tensor& latent,
                         SamplerKind kind, int64_t steps, Generator& gen, int64_t recurrence = 0);

// One draw of the forward kernel from t_next back to t (> t_next) on the latent entries.
Tensor renoise(const Sde& sde, const Tensor& x, const Tensor& latent, double t_next, double t, Generator& gen);

}  // namespace amor::sbi::simformer

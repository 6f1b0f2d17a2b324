// Log-densities of a score-based diffusion model through its probability-flow ODE
// (Song et al. 2021, §4.3 and appendix D.2): the ODE dx/dt = v(x, t) = f(t)·x − ½g(t)²·ŝ(x, t)
// carries p_{t_min} to p_{t_max} deterministically, and along a trajectory
//   log p_{t_min}(x(t_min)) = log p_{t_max}(x(t_max)) + ∫_{t_min}^{t_max} ∇·v(x(t), t) dt.
// x(t_max) is reached by integrating the ODE forward from the data point (classical Runge–Kutta on
// a grid uniform in t, the divergence integrated alongside; Heun needed ~4x the evaluations for the
// same error on a narrow Gaussian), and p_{t_max} is taken Gaussian N(m, V·I) with m and V read off
// the score and its Jacobian's trace at x(t_max) (log_prob.cpp says why).
//
// Only latent entries move (latent mask); the divergence is over them, so the result is the
// density of the latent entries given the clamped ones.
//
// Divergence of v over the latent entries, ∇·v = f·L − ½g²·Σ_{i latent} ∂ŝ_i/∂x_i (L latent
// entries):
//   exact       one reverse-mode pass per latent entry (autodiff through the score);
//   hutchinson  E[εᵀ (∂ŝ/∂x) ε] with Rademacher ε on the latent entries, `probes` vector-Jacobian
//               products per evaluation, ε fixed along each trajectory (FFJORD); unbiased, with a
//               standard error that shrinks like 1/√probes.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/random.h"
#include "core/tensor.h"
#include "sbi/simformer/reverse_sampler.h"
#include "sbi/simformer/sde.h"

namespace amor::sbi::simformer {

enum class DivergenceKind { Exact, Hutchinson };

// "exact", "hutchinson"; ValueError naming the choices.
DivergenceKind parse_divergence_kind(const std::string& name);
std::string to_string(DivergenceKind kind);

struct LogProbOptions {
  DivergenceKind divergence = DivergenceKind::Exact;
  int64_t steps = 50;   // Runge–Kutta steps from t_min to t_max (four score evaluations each)
  int64_t probes = 1;   // Hutchinson only

  void validate() const;  // ValueError naming the field
};

// ∇·v over the latent entries at (x, t): x [m, T] float32, latent [m, T] float32 (1 latent,
// 0 clamped) -> [m] float64; also returns v ([m, T] float32, zero on clamped entries) in *velocity.
// probes_noise: [probes, m, T] Rademacher noise (Hutchinson only; undefined for exact).
Tensor probability_flow_divergence(const ScoreFunction& score, const Sde& sde, const Tensor& x, const Tensor& latent,
                                   double t, DivergenceKind kind, const Tensor& probes_noise, Tensor* velocity);

// log p_{t_min}(latent entries of x0 | clamped ones) for each row of x0 [m, T] float32 -> [m] float64,
// in the units the score works in. gen draws Hutchinson's probes.
Tensor probability_flow_log_prob(const ScoreFunction& score, const Sde& sde, const Tensor& x0, const Tensor& latent,
                                 const LogProbOptions& options, Generator& gen);

}  // namespace amor::sbi::simformer

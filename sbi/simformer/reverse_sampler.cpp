#include "sbi/simformer/reverse_sampler.h"

#include <cmath>

#include "core/error.h"
#include "core/ops.h"

namespace amor::sbi::simformer {

SamplerKind parse_sampler_kind(const std::string& name) {
  if (name == "euler_maruyama") return SamplerKind::EulerMaruyama;
  if (name == "heun_ode") return SamplerKind::HeunOde;
  if (name == "ancestral") return SamplerKind::Ancestral;
  if (name == "dpm_solver_2m") return SamplerKind::DpmSolver2M;
  throw ValueError("simformer: unknown sampling method '" + name +
                   "' (euler_maruyama, heun_ode, ancestral or dpm_solver_2m)");
}

std::string to_string(SamplerKind kind) {
  switch (kind) {
    case SamplerKind::EulerMaruyama: return "euler_maruyama";
    case SamplerKind::HeunOde: return "heun_ode";
    case SamplerKind::Ancestral: return "ancestral";
    case SamplerKind::DpmSolver2M: return "dpm_solver_2m";
  }
  return "?";
}

int64_t network_evaluations(SamplerKind kind, int64_t steps) {
  return kind == SamplerKind::HeunOde ? 2 * steps : steps;
}

std::vector<double> reverse_time_grid(const Sde& sde, int64_t steps) {
  if (steps <= 0) throw ValueError("simformer: sampling steps must be positive, got " + std::to_string(steps));
  std::vector<double> t(size_t(steps) + 1);
  const double dt = (sde.t_max - sde.t_min) / double(steps);
  for (int64_t k = 0; k <= steps; ++k) t[size_t(k)] = sde.t_max - double(k) * dt;
  t.back() = sde.t_min;  // exactly, whatever the rounding
  return t;
}

namespace {

// One step of each sampler from t to t_next (< t). `x` is updated only where latent is 1.
struct StepContext {
  const ScoreFunction& score;
  const Sde& sde;
  const Tensor& latent;
  Generator& gen;
};

Tensor euler_maruyama_step(StepContext& c, const Tensor& x, double t, double t_next) {
  const double dt = t - t_next;
  const double f = c.sde.drift_factor(t), g = c.sde.diffusion(t);
  const Tensor drift = x * f - c.score(x, t) * (g * g);
  const Tensor noise = randn(x.shape(), c.gen, {.device = x.device()}) * (g * std::sqrt(dt));
  return x + (noise - drift * dt) * c.latent;
}

Tensor heun_ode_step(StepContext& c, const Tensor& x, double t, double t_next) {
  const double dt = t - t_next;
  auto velocity = [&](const Tensor& y, double tau) {
    const double f = c.sde.drift_factor(tau), g = c.sde.diffusion(tau);
    return y * f - c.score(y, tau) * (0.5 * g * g);
  };
  const Tensor v1 = velocity(x, t);
  const Tensor x_pred = x - v1 * dt * c.latent;
  const Tensor v2 = velocity(x_pred, t_next);
  return x - (v1 + v2) * (0.5 * dt) * c.latent;
}

// D(x_t) = (x_t + s²·ŝ) / α.
Tensor denoise(StepContext& c, const Tensor& x, double t) {
  const double a = c.sde.mean_factor(t), s = c.sde.std(t);
  return (x + c.score(x, t) * (s * s)) * (1.0 / a);
}

// Forward kernel from t_next to t: x_t = α_{t|t'} x_t' + N(0, v), α_{t|t'} = α_t/α_t',
// v = s_t² − α_{t|t'}² s_t'². Its Gaussian posterior given x_0:
//   mean = (α_{t|t'} s_t'² / s_t²) x_t + (α_t' v / s_t²) x_0,  variance = v s_t'² / s_t².
Tensor ancestral_step(StepContext& c, const Tensor& x, double t, double t_next) {
  const double a = c.sde.mean_factor(t), s = c.sde.std(t);
  const double a2 = c.sde.mean_factor(t_next), s2 = c.sde.std(t_next);
  const double a_ts = a / a2;
  const double v = s * s - a_ts * a_ts * s2 * s2;
  const Tensor d = denoise(c, x, t);
  const double cx = a_ts * s2 * s2 / (s * s), cd = a2 * v / (s * s);
  const double sd = std::sqrt(std::max(v, 0.0) * s2 * s2 / (s * s));
  const Tensor next = x * cx + d * cd + randn(x.shape(), c.gen, {.device = x.device()}) * sd;
  return x + (next - x) * c.latent;
}

}  // namespace

Tensor renoise(const Sde& sde, const Tensor& x, const Tensor& latent, double t_next, double t, Generator& gen) {
  const double a_ts = sde.mean_factor(t) / sde.mean_factor(t_next);
  const double s = sde.std(t), s2 = sde.std(t_next);
  const double sd = std::sqrt(std::max(s * s - a_ts * a_ts * s2 * s2, 0.0));
  const Tensor back = x * a_ts + randn(x.shape(), gen, {.device = x.device()}) * sd;
  return x + (back - x) * latent;
}

Tensor integrate_reverse(const ScoreFunction& score, const Sde& sde, Tensor x, const Tensor& latent,
                         SamplerKind kind, int64_t steps, Generator& gen, int64_t recurrence) {
  if (recurrence < 0) throw ValueError("simformer: recurrence must be >= 0, got " + std::to_string(recurrence));
  const std::vector<double> grid = reverse_time_grid(sde, steps);
  StepContext c{score, sde, latent, gen};
  if (kind == SamplerKind::DpmSolver2M) {
    // λ(t) = log(α/s); the update from t to t' with h = λ' − λ is
    //   x' = (s'/s)·x + α'·(1 − e^{−h})·D̃,
    // with D̃ = D(x_t) on the first step and, after it, the second-order extrapolation
    //   D̃ = (1 + 1/(2r))·D_k − 1/(2r)·D_{k−1},  r = h_{k−1} / h_k.
    auto lambda = [&](double t) { return std::log(sde.mean_factor(t) / sde.std(t)); };
    Tensor d_prev;
    double h_prev = 0;
    for (int64_t k = 0; k < steps; ++k) {
      const double t = grid[size_t(k)], t_next = grid[size_t(k) + 1];
      const double h = lambda(t_next) - lambda(t);
      Tensor d;
      for (int64_t repeat = 0; repeat <= recurrence; ++repeat) {
        if (repeat > 0) x = renoise(sde, x, latent, t_next, t, gen);
        d = denoise(c, x, t);
        Tensor d_hat = d;
        if (d_prev.defined()) {
          const double r = h_prev / h;
          d_hat = d * (1.0 + 0.5 / r) - d_prev * (0.5 / r);
        }
        const double s = sde.std(t), s2 = sde.std(t_next), a2 = sde.mean_factor(t_next);
        const Tensor next = x * (s2 / s) + d_hat * (a2 * -std::expm1(-h));
        x = x + (next - x) * latent;
      }
      d_prev = d;
      h_prev = h;
    }
    return x;
  }
  for (int64_t k = 0; k < steps; ++k) {
    const double t = grid[size_t(k)], t_next = grid[size_t(k) + 1];
    for (int64_t repeat = 0; repeat <= recurrence; ++repeat) {
      if (repeat > 0) x = renoise(sde, x, latent, t_next, t, gen);
      switch (kind) {
        case SamplerKind::EulerMaruyama: x = euler_maruyama_step(c, x, t, t_next); break;
        case SamplerKind::HeunOde: x = heun_ode_step(c, x, t, t_next); break;
        case SamplerKind::Ancestral: x = ancestral_step(c, x, t, t_next); break;
        case SamplerKind::DpmSolver2M: break;  // handled above
      }
    }
  }
  return x;
}

}  // namespace amor::sbi::simformer

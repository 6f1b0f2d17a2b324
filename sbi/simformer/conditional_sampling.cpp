#include "sbi/simformer/conditional_sampling.h"

#include <cmath>
#include <string>

#include "core/error.h"
#include "core/node.h"
#include "core/ops.h"

namespace amor::sbi::simformer {

namespace {

Tensor row_of(const Tensor& t, int64_t tokens, const char* what) {
  const Tensor flat = t.dim() == 2 && t.size(0) == 1 ? t.reshape({t.size(1)}) : t;
  if (flat.dim() != 1 || flat.size(0) != tokens)
    throw ShapeError(std::string("simformer: ") + what + " must have " + std::to_string(tokens) + " entries, got " +
                     t.shape().str());
  return flat.contiguous();
}

}  // namespace

Tensor sample_conditional_standardised(const MaskedScoreFunction& score, const Sde& sde,
                                       const SamplerSettings& settings, const Tensor& values,
                                       const Tensor& observed, const Constraints& constraints, int64_t n,
                                       uint64_t seed, Tensor* effective_observed) {
  const int64_t tokens = constraints.tokens();
  if (n <= 0) throw ValueError("simformer sample: n must be positive, got " + std::to_string(n));
  if (settings.chunk <= 0) throw ValueError("simformer sample: chunk must be positive");
  settings.guidance.validate();
  const Tensor obs_in = row_of(observed, tokens, "the condition mask");
  if (obs_in.dtype() != DType::Bool) throw DTypeError("simformer sample: the condition mask must be bool");
  const Tensor vals = row_of(values, tokens, "values").to(DType::F64).contiguous();

  // Missing observations (NaN) become latent; any other non-finite observed value is an error.
  Tensor obs = obs_in.clone();
  for (int64_t i = 0; i < tokens; ++i) {
    if (!obs.data<bool>()[i]) continue;
    const double v = vals.data<double>()[i];
    if (std::isnan(v)) obs.data<bool>()[i] = false;
    else if (!std::isfinite(v))
      throw ValueError("simformer sample: observed entry " + std::to_string(i) + " is not finite");
  }
  const std::vector<bool> constrained = constraints.constrained_entries();
  for (int64_t i = 0; i < tokens; ++i)
    if (constrained[size_t(i)] && obs.data<bool>()[i])
      throw ValueError("simformer sample: entry " + std::to_string(i) +
                       " is both observed and constrained (give it as a value or as a constraint, not both)");
  if (effective_observed) *effective_observed = obs;

  NoGradGuard no_grad;
  const Tensor value_row = where(obs, vals, 0.0).to(DType::F32).reshape({1, tokens});
  const Tensor obs_row = obs.reshape({1, tokens});
  // Latent entries start from the SDE's marginal at t_max for standardised data (mean 0, variance 1).
  const double m_T = sde.mean_factor(sde.t_max), s_T = sde.std(sde.t_max);
  const double init_std = std::sqrt(m_T * m_T + s_T * s_T);

  Tensor out = Tensor::empty({n, tokens}, DType::F64);
  Generator gen(seed, 0x5A3E);
  for (int64_t start = 0; start < n; start += settings.chunk) {
    const int64_t m = std::min(settings.chunk, n - start);
    const Tensor observed_b = obs_row.expand({m, tokens}).contiguous();
    const Tensor latent_f = logical_not(observed_b).to(DType::F32);  // [m, T], 1 on latent entries
    const Tensor x_init = where(observed_b, value_row.expand({m, tokens}), randn({m, tokens}, gen) * init_std);
    ScoreFunction score_at = [&](const Tensor& xt, double t) { return score(xt, observed_b, t); };
    int64_t recurrence = 0;
    if (!constraints.empty()) {
      score_at = guided_score(score_at, sde, constraints, settings.guidance);
      recurrence = settings.guidance.recurrence;
    }
    const Tensor x =
        integrate_reverse(score_at, sde, x_init, latent_f, settings.kind, settings.steps, gen, recurrence);
    const Tensor r = x.to(DType::F64).contiguous();
    double* o = out.data<double>() + start * tokens;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < tokens; ++j)
        o[i * tokens + j] = obs.data<bool>()[j] ? vals.data<double>()[j] : r.data<double>()[i * tokens + j];
  }
  return out;
}

Tensor log_prob_conditional_standardised(const MaskedScoreFunction& score, const Sde& sde, const Tensor& points,
                                         const Tensor& observed, const LogProbOptions& options, int64_t chunk,
                                         uint64_t seed) {
  options.validate();
  if (points.dim() != 2) throw ShapeError("simformer log_prob: points must be [n, T], got " + points.shape().str());
  const int64_t n = points.size(0), tokens = points.size(1);
  if (chunk <= 0) throw ValueError("simformer log_prob: chunk must be positive");
  const Tensor obs = row_of(observed, tokens, "the condition mask");
  if (obs.dtype() != DType::Bool) throw DTypeError("simformer log_prob: the condition mask must be bool");
  const Tensor pts = points.to(DType::F64).contiguous();
  for (int64_t k = 0; k < n * tokens; ++k)
    if (!std::isfinite(pts.data<double>()[k]))
      throw ValueError("simformer log_prob: row " + std::to_string(k / tokens) + ", entry " +
                       std::to_string(k % tokens) + " is not finite");
  bool any_latent = false;
  for (int64_t i = 0; i < tokens; ++i) any_latent = any_latent || !obs.data<bool>()[i];
  if (!any_latent) throw ValueError("simformer log_prob: every entry is observed; there is no density to evaluate");

  Tensor out = Tensor::empty({n}, DType::F64);
  Generator gen(seed, 0x10C9);
  const Tensor obs_row = obs.reshape({1, tokens});
  for (int64_t start = 0; start < n; start += chunk) {
    const int64_t m = std::min(chunk, n - start);
    const Tensor observed_b = obs_row.expand({m, tokens}).contiguous();
    const Tensor latent_f = logical_not(observed_b).to(DType::F32);
    const ScoreFunction score_at = [&](const Tensor& xt, double t) { return score(xt, observed_b, t); };
    const Tensor lp = probability_flow_log_prob(score_at, sde, pts.slice(0, start, start + m).to(DType::F32),
                                                latent_f, options, gen);
    for (int64_t i = 0; i < m; ++i) out.data<double>()[start + i] = lp.data<double>()[i];
  }
  return out;
}

}  // namespace amor::sbi::simformer

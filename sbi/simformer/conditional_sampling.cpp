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

Tensor sample_conditionals_standardised(const MaskedScoreFunction& score, const Sde& sde,
                                        const SamplerSettings& settings, const Tensor& values,
                                        const Tensor& observed, const Constraints& constraints, int64_t n,
                                        uint64_t seed, Tensor* effective_observed) {
  const int64_t tokens = constraints.tokens();
  if (n <= 0) throw ValueError("simformer sample: n must be positive, got " + std::to_string(n));
  if (settings.chunk <= 0) throw ValueError("simformer sample: chunk must be positive");
  settings.guidance.validate();
  if (values.dim() != 2 || values.size(1) != tokens || values.size(0) < 1)
    throw ShapeError("simformer sample: values must be [M, " + std::to_string(tokens) + "] with M >= 1, got " +
                     values.shape().str());
  const int64_t queries = values.size(0);
  if (observed.dtype() != DType::Bool) throw DTypeError("simformer sample: the condition mask must be bool");
  const bool shared_mask = observed.dim() == 1 || (observed.dim() == 2 && observed.size(0) == 1);
  if (!(shared_mask ? observed.numel() == tokens
                    : observed.dim() == 2 && observed.size(0) == queries && observed.size(1) == tokens))
    throw ShapeError("simformer sample: the condition mask must be [" + std::to_string(tokens) + "] or [" +
                     std::to_string(queries) + ", " + std::to_string(tokens) + "], got " + observed.shape().str());
  const Tensor vals = values.to(DType::F64).contiguous();
  const Tensor obs_in = (shared_mask ? observed.reshape({1, tokens}).expand({queries, tokens}) : observed).contiguous();

  // Missing observations (NaN) become latent; any other non-finite observed value is an error.
  Tensor obs = obs_in.clone();
  bool* ob = obs.data<bool>();
  const double* vb = vals.data<double>();
  const std::vector<bool> constrained = constraints.constrained_entries();
  for (int64_t q = 0; q < queries; ++q)
    for (int64_t i = 0; i < tokens; ++i) {
      const int64_t k = q * tokens + i;
      if (!ob[k]) continue;
      auto entry = [&] { return std::to_string(i) + (queries > 1 ? " of query " + std::to_string(q) : ""); };
      if (std::isnan(vb[k])) ob[k] = false;
      else if (!std::isfinite(vb[k]))
        throw ValueError("simformer sample: observed entry " + entry() + " is not finite");
      else if (constrained[size_t(i)])
        throw ValueError("simformer sample: entry " + entry() +
                         " is both observed and constrained (give it as a value or as a constraint, not both)");
    }
  if (effective_observed) *effective_observed = obs;

  NoGradGuard no_grad;
  // Latent entries start from the SDE's marginal at t_max for standardised data (mean 0, variance 1).
  const double m_T = sde.mean_factor(sde.t_max), s_T = sde.std(sde.t_max);
  const double init_std = std::sqrt(m_T * m_T + s_T * s_T);

  const int64_t rows = queries * n;
  Tensor out = Tensor::empty({rows, tokens}, DType::F64);
  Generator gen(seed, 0x5A3E);
  for (int64_t start = 0; start < rows; start += settings.chunk) {
    const int64_t m = std::min(settings.chunk, rows - start);
    // Row r of the chunk belongs to query (start + r) / n: its mask and its observed values.
    Tensor observed_b = Tensor::empty({m, tokens}, DType::Bool);
    std::vector<float> value_b(size_t(m * tokens), 0.0f);
    for (int64_t r = 0; r < m; ++r) {
      const int64_t q = (start + r) / n;
      for (int64_t i = 0; i < tokens; ++i) {
        const bool o = ob[q * tokens + i];
        observed_b.data<bool>()[r * tokens + i] = o;
        if (o) value_b[size_t(r * tokens + i)] = float(vb[q * tokens + i]);
      }
    }
    const Tensor latent_f = logical_not(observed_b).to(DType::F32);  // [m, T], 1 on latent entries
    const Tensor x_init = where(observed_b, from_vector(value_b, {m, tokens}), randn({m, tokens}, gen) * init_std);
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
    for (int64_t i = 0; i < m; ++i) {
      const int64_t q = (start + i) / n;
      for (int64_t j = 0; j < tokens; ++j)
        o[i * tokens + j] = ob[q * tokens + j] ? vb[q * tokens + j] : r.data<double>()[i * tokens + j];
    }
  }
  return out;
}

Tensor sample_conditional_standardised(const MaskedScoreFunction& score, const Sde& sde,
                                       const SamplerSettings& settings, const Tensor& values,
                                       const Tensor& observed, const Constraints& constraints, int64_t n,
                                       uint64_t seed, Tensor* effective_observed) {
  const int64_t tokens = constraints.tokens();
  const Tensor obs = row_of(observed, tokens, "the condition mask");
  if (obs.dtype() != DType::Bool) throw DTypeError("simformer sample: the condition mask must be bool");
  const Tensor vals = row_of(values, tokens, "values").reshape({1, tokens});
  Tensor effective;
  Tensor out = sample_conditionals_standardised(score, sde, settings, vals, obs, constraints, n, seed, &effective);
  if (effective_observed) *effective_observed = effective.reshape({tokens});
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

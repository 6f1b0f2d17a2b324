// Reverse-time sampling and log-densities for SimformerModel (declared in simformer.h).
//
// The network is wrapped as a MaskedScoreFunction and handed to conditional_sampling.h, which
// works on standardised values: latent entries start from the SDE's marginal at t_max and are
// integrated back to t_min by one of the samplers in reverse_sampler.h; observed entries are
// clamped to their values throughout (their updates are multiplied by 0), as in the reference;
// missing (NaN) observations are sampled as latent; constraints are enforced by guidance. The
// result is mapped back to the data's units, observed entries copied exactly.
#include <cmath>

#include "core/error.h"
#include "core/node.h"
#include "core/ops.h"
#include "sbi/simformer/conditional_sampling.h"
#include "sbi/simformer/simformer.h"

namespace amor::sbi::simformer {

namespace {

Tensor row_vector(const Tensor& t, int64_t tokens, const char* what) {
  const Tensor flat = t.dim() == 2 && t.size(0) == 1 ? t.reshape({t.size(1)}) : t;
  if (flat.dim() != 1 || flat.size(0) != tokens)
    throw ShapeError(std::string("simformer sample: ") + what + " must have " + std::to_string(tokens) +
                     " entries, got " + t.shape().str());
  return flat.contiguous();
}

}  // namespace

MaskedScoreFunction SimformerModel::network_score(const Query& q) const {
  // x_t and the mask come from the host-side integrators; the score goes back to the host. Both
  // moves are differentiable, so log_prob's exact divergence backpropagates through a CUDA model.
  return [this, q](const Tensor& xt, const Tensor& obs, double t) {
    const Device dev = device();
    return score_query(q, xt.to(dev), obs, full({xt.size(0)}, t, {.device = dev})).to(Device::cpu());
  };
}

void SimformerModel::set_sampling_options(const SamplingOptions& options) {
  options.validate();
  config_.sampling = options;
}

void SimformerModel::set_training_options(const TrainingOptions& options) {
  options.validate();
  config_.training = options;
}

Tensor SimformerModel::sample(const Tensor& values, const Tensor& observed, int64_t n, uint64_t seed) const {
  return sample(values, observed, n, seed, config_.sampling);
}

Tensor SimformerModel::sample(const Tensor& values, const Tensor& observed, int64_t n, uint64_t seed,
                              const SamplingOptions& options) const {
  return sample(values, observed, Constraints(num_tokens()), n, seed, options);
}

Tensor SimformerModel::sample(const Tensor& values, const Tensor& observed, const Constraints& constraints, int64_t n,
                              uint64_t seed, const SamplingOptions& options) const {
  const int64_t tokens = num_tokens();
  const Tensor vals = row_vector(values.to(Device::cpu()), tokens, "values").to(DType::F64).reshape({1, tokens});
  const Tensor obs = row_vector(observed.to(Device::cpu()), tokens, "the condition mask");
  return sample_query(resolve(nullptr), vals, obs, constraints, n, seed, options);
}

Tensor SimformerModel::sample(const TokenLayout& tokens, const Tensor& values, const Tensor& observed, int64_t n,
                              uint64_t seed) const {
  return sample(tokens, values, observed, Constraints(tokens.size()), n, seed, config_.sampling);
}

Tensor SimformerModel::sample(const TokenLayout& tokens, const Tensor& values, const Tensor& observed,
                              const Constraints& constraints, int64_t n, uint64_t seed,
                              const SamplingOptions& options) const {
  const Query q = resolve(&tokens);
  const Tensor vals = row_vector(values.to(Device::cpu()), q.size(), "values").to(DType::F64).reshape({1, q.size()});
  const Tensor obs = row_vector(observed.to(Device::cpu()), q.size(), "the condition mask");
  return sample_query(q, vals, obs, constraints, n, seed, options);
}

Tensor SimformerModel::sample_batched(const Tensor& values, const Tensor& observed, int64_t n, uint64_t seed,
                                      const SamplingOptions& options) const {
  const int64_t tokens = num_tokens();
  if (values.dim() != 2 || values.size(1) != tokens || values.size(0) < 1)
    throw ShapeError("simformer sample_batched: values must be [M, " + std::to_string(tokens) +
                     "] with M >= 1, got " + values.shape().str());
  const int64_t queries = values.size(0);
  const Tensor rows = sample_query(resolve(nullptr), values.to(Device::cpu()).to(DType::F64),
                                   observed.to(Device::cpu()), Constraints(tokens), n, seed, options);
  return rows.reshape({queries, n, tokens});
}

Tensor SimformerModel::sample_query(const Query& q, const Tensor& values, const Tensor& observed,
                                    const Constraints& constraints, int64_t n, uint64_t seed,
                                    const SamplingOptions& options) const {
  options.validate();
  const int64_t tokens = q.size();
  if (constraints.tokens() != tokens)
    throw ValueError("simformer sample: constraints over " + std::to_string(constraints.tokens()) +
                     " entries for a query of " + std::to_string(tokens));
  // The integration, guidance and missing-data bookkeeping run on the host; only the network runs
  // on the model's device (network_score), so a CUDA model samples exactly like a CPU one.
  const Tensor vals = values.contiguous();  // [M, T'] float64 in the data's units
  const int64_t queries = vals.size(0);
  // Bounded nodes are sampled in their unconstrained coordinates (value_transform.h).
  const Tensor vals_u = transform_.forward(vals, q.node_ids, observed, "observed value of");
  // Each token's standardisation is its node's.
  const Tensor mean_host = index_select(norm_->mean.to(Device::cpu()), 0, q.node_ids_tensor);
  const Tensor std_host = index_select(norm_->std.to(Device::cpu()), 0, q.node_ids_tensor);
  const std::vector<double> mean = mean_host.to(DType::F64).to_vector<double>();
  const std::vector<double> sd = std_host.to(DType::F64).to_vector<double>();
  const Tensor value_std = (vals_u.to(DType::F32) - mean_host) / std_host;  // NaN (missing) stays NaN

  SamplerSettings settings;
  settings.kind = parse_sampler_kind(options.method);
  settings.steps = options.steps;
  settings.chunk = options.chunk;
  settings.guidance = options.guidance;
  Tensor effective;  // [M, T']
  const Tensor z = sample_conditionals_standardised(network_score(q), config_.sde, settings, value_std, observed,
                                                    transform_.map(constraints, q.node_ids).standardised(mean, sd),
                                                    n, seed, &effective);
  // Back to data units; observed entries are copied exactly (no float32 round trip).
  const Tensor result =
      transform_.inverse((z.to(DType::F32) * std_host + mean_host).to(DType::F64), q.node_ids).contiguous();
  const double* r = result.data<double>();
  const double* v = vals.data<double>();
  const bool* e = effective.data<bool>();
  Tensor out = Tensor::empty({queries * n, tokens}, DType::F64);
  double* o = out.data<double>();
  for (int64_t i = 0; i < queries * n; ++i) {
    const int64_t k = i / n;
    for (int64_t j = 0; j < tokens; ++j)
      o[i * tokens + j] = e[k * tokens + j] ? v[k * tokens + j] : r[i * tokens + j];
  }
  return out;
}

Tensor SimformerModel::sample_posterior(const Tensor& x_o, int64_t n, uint64_t seed) const {
  const Tensor x = x_o.dim() == 2 && x_o.size(0) == 1 ? x_o.reshape({x_o.size(1)}) : x_o;
  if (x.dim() != 1 || x.size(0) != x_dim_)
    throw ShapeError("simformer sample_posterior: x_o must have " + std::to_string(x_dim_) + " entries, got " +
                     x_o.shape().str());
  return sample_posterior_batched(x.reshape({1, x_dim_}), n, seed).reshape({n, theta_dim_});
}

Tensor SimformerModel::sample_posterior_batched(const Tensor& x_os, int64_t n, uint64_t seed) const {
  if (has_metadata())
    throw ValueError("simformer sample_posterior: this model has metadata tokens: sample(TokenLayout, ...) takes "
                     "the query's node ids and metadata");
  if (x_os.dim() != 2 || x_os.size(1) != x_dim_ || x_os.size(0) < 1)
    throw ShapeError("simformer sample_posterior: observations must be [M, " + std::to_string(x_dim_) +
                     "] with M >= 1, got " + x_os.shape().str());
  const int64_t tokens = num_tokens(), queries = x_os.size(0);
  // Rows (0 for θ, x_o): the posterior mask observes every x entry.
  const Tensor values = concat({zeros({queries, theta_dim_}, {.dtype = DType::F64}),
                                x_os.to(Device::cpu()).to(DType::F64)}, 1);
  Tensor observed = Tensor::empty({tokens}, DType::Bool);
  for (int64_t i = 0; i < tokens; ++i) observed.data<bool>()[i] = i >= theta_dim_;
  const Tensor rows = sample_query(resolve(nullptr), values, observed, Constraints(tokens), n, seed, config_.sampling);
  return rows.slice(1, 0, theta_dim_).contiguous().reshape({queries, n, theta_dim_});
}

Tensor SimformerModel::log_prob(const Tensor& points, const Tensor& observed, const LogProbOptions& options,
                                uint64_t seed) const {
  return log_prob_query(resolve(nullptr), points, observed, options, seed);
}

Tensor SimformerModel::log_prob(const TokenLayout& tokens, const Tensor& points, const Tensor& observed,
                                const LogProbOptions& options, uint64_t seed) const {
  return log_prob_query(resolve(&tokens), points, observed, options, seed);
}

Tensor SimformerModel::log_prob_query(const Query& q, const Tensor& points, const Tensor& observed,
                                      const LogProbOptions& options, uint64_t seed) const {
  const int64_t tokens = q.size();
  const Tensor pts = points.dim() == 1 ? points.reshape({1, points.size(0)}) : points;
  if (pts.dim() != 2 || pts.size(1) != tokens)
    throw ShapeError("simformer log_prob: points must be [n, " + std::to_string(tokens) + "], got " +
                     points.shape().str());
  const Tensor obs = row_vector(observed.to(Device::cpu()), tokens, "the condition mask");
  const Tensor mean = index_select(norm_->mean.to(Device::cpu()), 0, q.node_ids_tensor).to(DType::F64);
  const Tensor sd = index_select(norm_->std.to(Device::cpu()), 0, q.node_ids_tensor).to(DType::F64);
  const Tensor raw = pts.to(Device::cpu()).to(DType::F64).contiguous();
  std::vector<bool> latent(static_cast<size_t>(tokens));
  for (int64_t i = 0; i < tokens; ++i) latent[size_t(i)] = !obs.data<bool>()[i];
  // Bounded nodes: u = f(v) (value_transform.h). Observed entries must lie inside their bounds; a
  // latent entry outside gives −∞, evaluated at a stand-in point inside so the ODE stays finite.
  const Tensor jacobian = transform_.log_abs_det(raw, q.node_ids, latent);  // [n], −∞ outside
  Tensor inside_pts = raw;
  if (!transform_.identity()) {
    inside_pts = raw.clone();
    const Tensor centre = transform_.inverse(zeros({1, tokens}, {.dtype = DType::F64}), q.node_ids);
    double* p = inside_pts.data<double>();
    for (int64_t r = 0; r < raw.size(0); ++r)
      for (int64_t j = 0; j < tokens; ++j)
        if (latent[size_t(j)] && !transform_.inside(q.node_ids[size_t(j)], p[r * tokens + j]))
          p[r * tokens + j] = centre.data<double>()[j];
  }
  const Tensor u = transform_.forward(inside_pts, q.node_ids, Tensor(), "log_prob point");
  const Tensor z = (u - mean) / sd;
  const Tensor lp = log_prob_conditional_standardised(network_score(q), config_.sde, z, obs, options,
                                                      config_.sampling.chunk, seed);
  // Change of variables v = f⁻¹(mean + std·z) on the latent entries: subtract Σ_latent log std,
  // add Σ_latent log|f'(v)|.
  double log_det = 0;
  const std::vector<double> sdv = sd.to_vector<double>();
  for (int64_t i = 0; i < tokens; ++i)
    if (latent[size_t(i)]) log_det += std::log(sdv[size_t(i)]);
  return lp - log_det + jacobian;
}

}  // namespace amor::sbi::simformer

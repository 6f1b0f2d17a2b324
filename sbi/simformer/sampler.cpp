// Reverse-time sampling for SimformerModel (declared in simformer.h).
//
// Latent entries start from the SDE's marginal at t_max and are integrated back to t_min by one of
// the samplers in reverse_sampler.h; observed entries are clamped to their values throughout (their
// updates are multiplied by 0), as in the reference. Everything runs on standardised values; the
// result is mapped back to the data's units.
#include <cmath>

#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "sbi/simformer/reverse_sampler.h"
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

void SimformerModel::set_sampling_options(const SamplingOptions& options) {
  options.validate();
  config_.sampling = options;
}

Tensor SimformerModel::sample(const Tensor& values, const Tensor& observed, int64_t n, uint64_t seed) const {
  return sample(values, observed, n, seed, config_.sampling);
}

Tensor SimformerModel::sample(const Tensor& values, const Tensor& observed, int64_t n, uint64_t seed,
                              const SamplingOptions& options) const {
  options.validate();
  const int64_t tokens = num_tokens();
  if (n <= 0) throw ValueError("simformer sample: n must be positive, got " + std::to_string(n));
  // Conditions are read on the host; the integration runs on the model's device.
  const Tensor obs = row_vector(observed.to(Device::cpu()), tokens, "the condition mask");
  if (obs.dtype() != DType::Bool) throw DTypeError("simformer sample: the condition mask must be bool");
  const Tensor vals = row_vector(values.to(Device::cpu()), tokens, "values").to(DType::F64);
  const Device dev = device();
  for (int64_t i = 0; i < tokens; ++i)
    if (obs.data<bool>()[i] && !std::isfinite(vals.data<double>()[i]))
      throw ValueError("simformer sample: observed entry " + std::to_string(i) + " is not finite");

  NoGradGuard no_grad;
  const Sde& sde = config_.sde;
  // Standardised observed values; latent entries start from the SDE's marginal at t_max, whose
  // mean and variance follow from the standardised data's mean 0 and variance 1.
  const Tensor mean_host = norm_->mean.to(Device::cpu()), std_host = norm_->std.to(Device::cpu());
  const Tensor value_std = ((vals.to(DType::F32) - mean_host) / std_host).reshape({1, tokens}).to(dev);
  const Tensor obs_row = obs.reshape({1, tokens});
  const double m_T = sde.mean_factor(sde.t_max), s_T = sde.std(sde.t_max);
  const double init_std = std::sqrt(m_T * m_T + s_T * s_T);
  const SamplerKind kind = parse_sampler_kind(options.method);

  Tensor out = Tensor::empty({n, tokens}, DType::F64);
  Generator gen(seed, 0x5A3E);
  for (int64_t start = 0; start < n; start += options.chunk) {
    const int64_t m = std::min(options.chunk, n - start);
    const Tensor observed_host = obs_row.expand({m, tokens}).contiguous();  // score() builds masks from it
    const Tensor observed_b = observed_host.to(dev);
    const Tensor latent_f = logical_not(observed_b).to(DType::F32);  // [m, T], 1 on latent entries
    const Tensor x_init = where(observed_b, value_std.expand({m, tokens}),
                                randn({m, tokens}, gen, {.device = dev}) * init_std);
    const ScoreFunction score_at = [&](const Tensor& xt, double t) {
      return score(xt, observed_host, full({m}, t));
    };
    const Tensor x = integrate_reverse(score_at, sde, x_init, latent_f, kind, options.steps, gen);
    // Back to data units on the host; observed entries are copied exactly (no float32 round trip).
    const Tensor result = (x * norm_->std + norm_->mean).to(Device::cpu()).to(DType::F64);
    const double* r = result.data<double>();
    double* o = out.data<double>() + start * tokens;
    const bool* ob = obs.data<bool>();
    const double* v = vals.data<double>();
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < tokens; ++j) o[i * tokens + j] = ob[j] ? v[j] : r[i * tokens + j];
  }
  return out;
}

Tensor SimformerModel::sample_posterior(const Tensor& x_o, int64_t n, uint64_t seed) const {
  const Tensor x = x_o.dim() == 2 && x_o.size(0) == 1 ? x_o.reshape({x_o.size(1)}) : x_o;
  if (x.dim() != 1 || x.size(0) != x_dim_)
    throw ShapeError("simformer sample_posterior: x_o must have " + std::to_string(x_dim_) + " entries, got " +
                     x_o.shape().str());
  const int64_t tokens = num_tokens();
  Tensor values = zeros({tokens}, {.dtype = DType::F64});
  Tensor observed = Tensor::empty({tokens}, DType::Bool);
  const Tensor xc = x.to(Device::cpu()).to(DType::F64).contiguous();
  for (int64_t i = 0; i < tokens; ++i) {
    observed.data<bool>()[i] = i >= theta_dim_;
    if (i >= theta_dim_) values.data<double>()[i] = xc.data<double>()[i - theta_dim_];
  }
  return sample(values, observed, n, seed).slice(1, 0, theta_dim_).contiguous();
}

}  // namespace amor::sbi::simformer

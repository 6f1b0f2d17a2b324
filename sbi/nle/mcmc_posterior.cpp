#include "sbi/nle/mcmc_posterior.h"

#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"
#include "sbi/flows/unconstrained.h"
#include "sbi/nle/mcmc_init.h"
#include "sbi/nle/slice_sampler.h"

namespace amor::sbi::nle {

void McmcOptions::validate() const {
  AMOR_CHECK(num_chains >= 1, ValueError, "mcmc: num_chains must be >= 1, got ", num_chains);
  AMOR_CHECK(warmup >= 0, ValueError, "mcmc: warmup must be >= 0, got ", warmup);
  AMOR_CHECK(thin >= 1, ValueError, "mcmc: thin must be >= 1, got ", thin);
  AMOR_CHECK(init == "sir" || init == "resample" || init == "prior", ValueError,
             "mcmc: init must be \"sir\", \"resample\" or \"prior\", got \"", init, "\"");
  AMOR_CHECK(candidates >= 1, ValueError, "mcmc: candidates must be >= 1, got ", candidates);
  AMOR_CHECK(std::isfinite(init_width) && init_width > 0, ValueError,
             "mcmc: init_width must be positive and finite, got ", init_width);
  AMOR_CHECK(tuning >= 0, ValueError, "mcmc: tuning must be >= 0, got ", tuning);
}

nlohmann::json McmcOptions::to_json() const {
  return {{"num_chains", num_chains}, {"warmup", warmup},         {"thin", thin},
          {"init", init},             {"candidates", candidates}, {"init_width", init_width},
          {"tuning", tuning},         {"unconstrained", unconstrained}};
}

McmcOptions McmcOptions::from_json(const nlohmann::json& j, McmcOptions o) {
  if (j.is_null()) return o;
  AMOR_CHECK(j.is_object(), ValueError, "mcmc: configuration must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const auto& v = it.value();
    const auto integer = [&] {
      AMOR_CHECK(v.is_number_integer(), ValueError, "mcmc: '", k, "' must be an integer");
      return v.get<int64_t>();
    };
    if (k == "num_chains") o.num_chains = integer();
    else if (k == "warmup") o.warmup = integer();
    else if (k == "thin") o.thin = integer();
    else if (k == "candidates") o.candidates = integer();
    else if (k == "tuning") o.tuning = integer();
    else if (k == "init") {
      AMOR_CHECK(v.is_string(), ValueError, "mcmc: 'init' must be a string");
      o.init = v.get<std::string>();
    } else if (k == "init_width") {
      AMOR_CHECK(v.is_number(), ValueError, "mcmc: 'init_width' must be a number");
      o.init_width = v.get<double>();
    } else if (k == "unconstrained") {
      AMOR_CHECK(v.is_boolean(), ValueError, "mcmc: 'unconstrained' must be true or false");
      o.unconstrained = v.get<bool>();
    } else {
      throw ValueError("mcmc: unknown option '" + k + "'");
    }
  }
  o.validate();
  return o;
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A seed for the candidate draws that differs from `seed` (SplitMix64), so candidates never
// repeat the θ of a training set simulated with the same seed.
uint64_t candidate_seed(uint64_t seed) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * 0xC4;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The sampling space: the identity, or u = T(θ) for a bounded support.
class SamplingSpace {
 public:
  SamplingSpace(const Distribution& prior, bool unconstrained) {
    const Support s = prior.support();
    if (unconstrained && !s.lower.empty() && s.bounded())
      map_ = std::make_shared<flows::UnconstrainingTransform>(s, DType::F64);
  }
  // θ [m, d] -> u.
  Tensor to_u(const Tensor& theta) const { return map_ ? map_->forward(theta).outputs : theta; }
  // u [m, d] -> θ and log|det ∂θ/∂u| [m] (undefined for the identity).
  std::pair<Tensor, Tensor> to_theta(const Tensor& u) const {
    if (!map_) return {u, Tensor()};
    flows::TransformResult r = map_->inverse(u);
    return {r.outputs.contiguous(), r.logabsdet};
  }

 private:
  std::shared_ptr<flows::UnconstrainingTransform> map_;
};

// The user's log-likelihood as float64 [m], counted.
Tensor call_likelihood(const BatchLogLikelihood& f, const Tensor& theta, McmcStats& st) {
  Tensor out = f(theta);
  AMOR_CHECK(out.defined() && out.dim() == 1 && out.size(0) == theta.size(0), ShapeError,
             "mcmc: the log-likelihood must return [", theta.size(0), "] values for θ [", theta.size(0), ", ",
             theta.size(1), "], got ", out.defined() ? out.shape().str() : std::string("an undefined tensor"));
  st.evaluations += theta.size(0);
  st.batched_calls += 1;
  return out.to(DType::F64).contiguous();
}

// log L(θ) + log p(θ) + log|det ∂θ/∂u| at u: [m, d] -> [m].
Tensor log_target(const Distribution& prior, const BatchLogLikelihood& log_likelihood, const SamplingSpace& space,
                  const Tensor& u, McmcStats& st) {
  auto [theta, logdet] = space.to_theta(u);
  Tensor lp = call_likelihood(log_likelihood, theta, st) + prior.log_prob(theta);
  return logdet.defined() ? lp + logdet : lp;
}

}  // namespace

Tensor initialize_chains(const Distribution& prior, const BatchLogLikelihood& log_likelihood, int64_t chains,
                         const McmcOptions& options, uint64_t seed, McmcStats* stats) {
  options.validate();
  AMOR_CHECK(chains >= 1, ValueError, "mcmc: number of chains must be >= 1, got ", chains);
  AMOR_CHECK(log_likelihood != nullptr, ValueError, "mcmc: the log-likelihood is empty");
  NoGradGuard no_grad;
  McmcStats local;
  McmcStats& st = stats ? *stats : local;
  if (options.init == "prior") return prior.sample(chains, candidate_seed(seed));
  const SamplingSpace space(prior, options.unconstrained);
  const int64_t m = options.candidates;
  const Tensor cand = prior.sample(m, candidate_seed(seed));  // [M, d]
  Tensor log_w = Tensor::empty({m}, DType::F64);
  for (int64_t i0 = 0; i0 < m; i0 += kInitBatchRows) {
    const int64_t rows = std::min(kInitBatchRows, m - i0);
    const Tensor th = cand.narrow(0, i0, rows).contiguous();
    // "sir": target / proposal = L(θ) (the prior and, in u-space, the Jacobian cancel);
    // "resample": the target itself, as sbi's potential in the sampling space.
    const Tensor w = options.init == "resample" ? log_target(prior, log_likelihood, space, space.to_u(th), st)
                                                : call_likelihood(log_likelihood, th, st);
    log_w.narrow(0, i0, rows).copy_(w);
  }
  return importance_resample(cand, log_w, chains, seed);
}

Tensor sample_posterior_mcmc(const Distribution& prior, const BatchLogLikelihood& log_likelihood, int64_t n,
                             const McmcOptions& options, uint64_t seed, McmcStats* stats) {
  options.validate();
  AMOR_CHECK(n >= 1, ValueError, "mcmc: number of samples must be >= 1, got ", n);
  AMOR_CHECK(log_likelihood != nullptr, ValueError, "mcmc: the log-likelihood is empty");
  NoGradGuard no_grad;
  McmcStats st;
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t d = prior.dim();
  const int64_t chains = std::min(options.num_chains, n);  // more chains than draws would be wasted
  const SamplingSpace space(prior, options.unconstrained);

  const auto target = [&](const Tensor& u) { return log_target(prior, log_likelihood, space, u, st); };

  // 1. Starting states (in θ), then mapped to the sampling space.
  const Tensor init_theta = initialize_chains(prior, log_likelihood, chains, options, seed, &st);
  const Tensor init_u = space.to_u(init_theta);
  st.init_seconds = seconds_since(t0);

  // 2. Slice sampling.
  const auto t1 = std::chrono::steady_clock::now();
  SliceSamplerOptions so;
  so.warmup_sweeps = options.warmup * options.thin;
  so.thin = options.thin;
  so.tuning_sweeps = options.tuning;
  so.init_width = options.init_width;
  const int64_t per_chain = (n + chains - 1) / chains;
  const SliceSamplerResult r = slice_sample(target, init_u, per_chain, so, seed);
  st.sampling_seconds = seconds_since(t1);
  st.chains = chains;
  st.sweeps_per_chain = so.warmup_sweeps + per_chain * so.thin;
  // `st` has counted every likelihood evaluation (the target goes through call_likelihood), so
  // the slice sampler's own counters (the same rows) are not added.

  // 3. Back to θ, chain by chain, the first n.
  const Tensor u = r.samples.reshape({chains * per_chain, d}).narrow(0, 0, n);
  Tensor theta = space.to_theta(u).first.to(DType::F64).contiguous();
  if (stats) *stats = st;
  return theta;
}

}  // namespace amor::sbi::nle

// Lotka–Volterra at irregular times (sbi/tasks/lotka_volterra_irregular.h).
#include "sbi/tasks/lotka_volterra_irregular.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>

#include "core/error.h"
#include "sbi/ode_solver.h"
#include "sbi/rng.h"

namespace amor::sbi::tasks {

namespace {

using LV = LotkaVolterraIrregular;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Random streams: the simulator's times and noise.
constexpr uint64_t kTimesStream = 0x17A1, kNoiseStream = 0x17A2;

double sigmoid(double u) { return 1.0 / (1.0 + std::exp(-u)); }

// sigmoid(N(0, 1))·2 + 1 per axis: θ = 1 + 2 s, s = sigmoid(u), so
// log p(θ) = log N(u; 0, 1) − log(2 s (1 − s)) with u = logit(s).
class SigmoidNormalPrior final : public Distribution {
 public:
  std::string name() const override { return "sigmoid_normal(0, 1)*2+1"; }
  int64_t dim() const override { return LV::kParameters; }
  void sample_one(Rng& rng, double* out) const override {
    for (int64_t i = 0; i < LV::kParameters; ++i) out[i] = 1.0 + 2.0 * sigmoid(rng.normal());
  }
  double log_prob_one(const double* x) const override {
    double lp = 0;
    for (int64_t i = 0; i < LV::kParameters; ++i) {
      const double s = (x[i] - 1.0) / 2.0;
      if (!(s > 0 && s < 1)) return -std::numeric_limits<double>::infinity();
      const double u = std::log(s) - std::log1p(-s);
      lp += -0.5 * u * u - 0.5 * std::log(2 * std::numbers::pi) - std::log(2.0 * s * (1.0 - s));
    }
    return lp;
  }
  Support support() const override {
    Support s;
    s.lower.assign(size_t(LV::kParameters), 1.0);
    s.upper.assign(size_t(LV::kParameters), 3.0);
    return s;
  }
};

void check_times(const std::vector<double>& times, const char* who) {
  for (double t : times)
    if (!(t >= 0.0 && t <= LV::kTimeEnd))
      throw ValueError(std::string("lotka_volterra_irregular: ") + who + " time " + std::to_string(t) +
                       " outside [0, 15]");
}

}  // namespace

const std::vector<std::string>& LotkaVolterraIrregular::node_names() {
  static const std::vector<std::string> names = {"alpha", "beta", "gamma", "delta", "predator", "prey"};
  return names;
}

int64_t LotkaVolterraIrregular::node_of(const std::string& name) {
  const auto& names = node_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return int64_t(i);
  throw ValueError("lotka_volterra_irregular: unknown variable '" + name +
                   "' (expected alpha, beta, gamma, delta, predator or prey)");
}

DistributionPtr LotkaVolterraIrregular::prior() { return std::make_shared<SigmoidNormalPrior>(); }

Tensor LotkaVolterraIrregular::node_dag() {
  Tensor dag = Tensor::empty({kNodes, kNodes}, DType::Bool);
  bool* d = dag.data<bool>();
  for (int64_t i = 0; i < kNodes; ++i)
    for (int64_t j = 0; j < kNodes; ++j) d[i * kNodes + j] = i >= kParameters && j < kParameters;
  return dag;
}

bool LotkaVolterraIrregular::solve(const double* theta, const std::vector<double>& times,
                                   std::vector<double>& predator, std::vector<double>& prey) {
  check_times(times, "solve");
  const size_t m = times.size();
  predator.assign(m, kNaN);
  prey.assign(m, kNaN);
  if (m == 0) return true;
  for (int64_t i = 0; i < kParameters; ++i)
    if (!std::isfinite(theta[i])) return false;
  // The solver needs sorted save points: solve at the sorted times, write back in order.
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return times[a] < times[b]; });
  std::vector<double> t_save(m), y(2 * m);
  for (size_t k = 0; k < m; ++k) t_save[k] = times[order[k]];
  const double alpha = theta[0], beta = theta[1], gamma = theta[2], delta = theta[3];
  auto rhs = [=](double, const double* s, double* ds) {
    ds[0] = alpha * s[0] - beta * s[0] * s[1];
    ds[1] = -gamma * s[1] + delta * s[0] * s[1];
  };
  const double y0[2] = {kPredator0, kPrey0};
  // Tolerance 1e-6, 1e5 times below the noise: the simulator and the likelihood share this
  // solve, so the likelihood is exact for the simulator, and MCMC needs ~2.5x fewer steps than 1e-8.
  OdeOptions options;
  options.rtol = options.atol = 1e-6;
  if (!solve_ode(rhs, 2, 0.0, y0, t_save.data(), int64_t(m), y.data(), options).ok()) return false;
  for (size_t k = 0; k < m; ++k) {
    predator[order[k]] = y[2 * k];
    prey[order[k]] = y[2 * k + 1];
  }
  return true;
}

LotkaVolterraIrregular::Points LotkaVolterraIrregular::simulate(const double* theta,
                                                                const std::vector<double>& predator_times,
                                                                const std::vector<double>& prey_times, uint64_t seed,
                                                                uint64_t index) {
  std::vector<double> times = predator_times;
  times.insert(times.end(), prey_times.begin(), prey_times.end());
  std::vector<double> predator, prey;
  if (!solve(theta, times, predator, prey))
    throw ValueError("lotka_volterra_irregular: the ODE solve failed for this θ");
  Rng rng(seed, kNoiseStream, index);
  Points p;
  for (size_t k = 0; k < times.size(); ++k) {
    const bool is_predator = k < predator_times.size();
    p.nodes.push_back(is_predator ? kPredatorNode : kPreyNode);
    p.times.push_back(times[k]);
    p.values.push_back((is_predator ? predator[k] : prey[k]) + kNoiseStd * rng.normal());
  }
  return p;
}

double LotkaVolterraIrregular::log_likelihood(const double* theta, const Points& points) {
  for (int64_t i = 0; i < kParameters; ++i)
    if (!(theta[i] > 1.0 && theta[i] < 3.0)) return -std::numeric_limits<double>::infinity();
  std::vector<double> predator, prey;
  if (!solve(theta, points.times, predator, prey)) return -std::numeric_limits<double>::infinity();
  double ll = 0;
  const double norm = -0.5 * std::log(2 * std::numbers::pi) - std::log(kNoiseStd);
  for (int64_t k = 0; k < points.size(); ++k) {
    const double mean = points.nodes[size_t(k)] == kPredatorNode ? predator[size_t(k)] : prey[size_t(k)];
    const double r = (points.values[size_t(k)] - mean) / kNoiseStd;
    ll += norm - 0.5 * r * r;
  }
  return std::isfinite(ll) ? ll : -std::numeric_limits<double>::infinity();
}

LotkaVolterraIrregular::TrainingData LotkaVolterraIrregular::training_data(int64_t n, int64_t times_per_series,
                                                                           uint64_t seed) {
  if (n <= 0 || times_per_series <= 0)
    throw ValueError("lotka_volterra_irregular: need n > 0 simulations and times_per_series > 0");
  const int64_t k = times_per_series, tokens = kParameters + 2 * k;
  TrainingData data;
  data.joint = Tensor::empty({n, tokens}, DType::F64);
  data.metadata = Tensor::empty({n, tokens}, DType::F64);
  std::vector<int64_t> ids(static_cast<size_t>(tokens));
  for (int64_t j = 0; j < tokens; ++j) ids[size_t(j)] = j < kParameters ? j : (j < kParameters + k ? kPredatorNode : kPreyNode);
  data.node_ids = from_vector(ids, {tokens});
  const Tensor theta = prior()->sample(n, seed);
  double* joint = data.joint.data<double>();
  double* meta = data.metadata.data<double>();
  for (int64_t i = 0; i < n; ++i) {
    Rng rng(seed, kTimesStream, uint64_t(i));
    std::vector<double> tp(static_cast<size_t>(k)), tq(static_cast<size_t>(k));
    for (auto& t : tp) t = rng.uniform(0.0, kTimeEnd);
    for (auto& t : tq) t = rng.uniform(0.0, kTimeEnd);
    std::sort(tp.begin(), tp.end());
    std::sort(tq.begin(), tq.end());
    const double* th = theta.data<double>() + i * kParameters;
    const Points p = simulate(th, tp, tq, seed, uint64_t(i));
    for (int64_t j = 0; j < kParameters; ++j) {
      joint[i * tokens + j] = th[j];
      meta[i * tokens + j] = kNaN;
    }
    for (int64_t j = 0; j < 2 * k; ++j) {
      joint[i * tokens + kParameters + j] = p.values[size_t(j)];
      meta[i * tokens + kParameters + j] = p.times[size_t(j)];
    }
  }
  return data;
}

Tensor LotkaVolterraIrregular::query_node_ids(const Points& points) {
  std::vector<int64_t> ids = {0, 1, 2, 3};
  for (int64_t node : points.nodes) {
    if (node != kPredatorNode && node != kPreyNode)
      throw ValueError("lotka_volterra_irregular: observed points must be predator or prey values");
    ids.push_back(node);
  }
  return from_vector(ids, {int64_t(ids.size())});
}

Tensor LotkaVolterraIrregular::query_metadata(const Points& points) {
  check_times(points.times, "observation");
  std::vector<double> meta(size_t(kParameters), kNaN);
  meta.insert(meta.end(), points.times.begin(), points.times.end());
  return from_vector(meta, {int64_t(meta.size())});
}

nle::McmcOptions LotkaVolterraIrregular::reference_mcmc_options() {
  nle::McmcOptions o;
  o.num_chains = 20;
  o.warmup = 100;
  o.thin = 10;
  o.candidates = 10000;
  return o;
}

Tensor LotkaVolterraIrregular::reference_posterior(const Points& points, int64_t n, uint64_t seed,
                                                   const nle::McmcOptions& options, double* rhat) {
  if (n <= 0) throw ValueError("lotka_volterra_irregular: number of reference samples must be positive");
  if (points.nodes.size() != points.times.size() || points.nodes.size() != points.values.size())
    throw ValueError("lotka_volterra_irregular: points need one node, time and value each");
  query_node_ids(points);  // checks the nodes
  check_times(points.times, "observation");
  const DistributionPtr pr = prior();
  const nle::BatchLogLikelihood ll = [&](const Tensor& theta) {
    const int64_t m = theta.size(0);
    const Tensor th = theta.to(DType::F64).contiguous();
    Tensor out = Tensor::empty({m}, DType::F64);
#pragma omp parallel for schedule(dynamic, 16) if (m > 64)
    for (int64_t i = 0; i < m; ++i) out.data<double>()[i] = log_likelihood(th.data<double>() + i * kParameters, points);
    return out;
  };
  // Whole chains: n rounded up to a multiple of the chain count, so the rows group by chain.
  const int64_t chains = options.num_chains, per_chain = (n + chains - 1) / chains;
  const Tensor all = nle::sample_posterior_mcmc(*pr, ll, per_chain * chains, options, seed);
  if (rhat) {
    *rhat = 0;
    for (int64_t j = 0; j < kParameters; ++j) {
      std::vector<double> draws(size_t(per_chain * chains));
      for (int64_t r = 0; r < per_chain * chains; ++r) draws[size_t(r)] = all.data<double>()[r * kParameters + j];
      if (per_chain >= 2 && chains >= 2) *rhat = std::max(*rhat, potential_scale_reduction(draws, chains));
    }
  }
  return all.slice(0, 0, n).contiguous();
}

Tensor LotkaVolterraIrregular::reference_posterior_smc(const Points& points, int64_t n, uint64_t seed,
                                                       const ConditionalReferenceOptions& options,
                                                       ConditionalReferenceDiagnostics* diagnostics) {
  if (points.nodes.size() != points.times.size() || points.nodes.size() != points.values.size())
    throw ValueError("lotka_volterra_irregular: points need one node, time and value each");
  query_node_ids(points);  // checks the nodes
  check_times(points.times, "observation");
  const DistributionPtr pr = prior();
  const JointRowLogDensity log_density = [&](const double* theta) {
    const double lp = pr->log_prob_one(theta);
    return std::isfinite(lp) ? lp + log_likelihood(theta, points) : -std::numeric_limits<double>::infinity();
  };
  GaussianBase base;
  base.mean.assign(size_t(kParameters), 2.0);
  base.covariance.assign(size_t(kParameters * kParameters), 0.0);
  for (int64_t i = 0; i < kParameters; ++i) base.covariance[size_t(i * kParameters + i)] = 0.36;
  return conditional_reference_samples(log_density, kParameters, {}, base, pr->support(), n, seed, options,
                                       diagnostics);
}

double potential_scale_reduction(const std::vector<double>& draws, int64_t chains) {
  if (chains < 2 || int64_t(draws.size()) % chains != 0 || int64_t(draws.size()) / chains < 2)
    throw ValueError("potential_scale_reduction: need >= 2 chains of >= 2 draws each, as [chains, per_chain]");
  const int64_t m = int64_t(draws.size()) / chains;
  std::vector<double> means(size_t(chains), 0.0), vars(size_t(chains), 0.0);
  for (int64_t c = 0; c < chains; ++c) {
    for (int64_t i = 0; i < m; ++i) means[size_t(c)] += draws[size_t(c * m + i)];
    means[size_t(c)] /= double(m);
    for (int64_t i = 0; i < m; ++i) vars[size_t(c)] += std::pow(draws[size_t(c * m + i)] - means[size_t(c)], 2);
    vars[size_t(c)] /= double(m - 1);
  }
  double grand = 0, w = 0, b = 0;
  for (int64_t c = 0; c < chains; ++c) grand += means[size_t(c)] / double(chains);
  for (int64_t c = 0; c < chains; ++c) {
    w += vars[size_t(c)] / double(chains);
    b += std::pow(means[size_t(c)] - grand, 2) * double(m) / double(chains - 1);
  }
  if (w <= 0) return b > 0 ? std::numeric_limits<double>::infinity() : 1.0;
  const double var_plus = (double(m - 1) / double(m)) * w + b / double(m);
  return std::sqrt(var_plus / w);
}

}  // namespace amor::sbi::tasks

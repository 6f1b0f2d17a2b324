#include "gaussian_linear_checks.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/ops.h"
#include "sbi/diagnostics/c2st.h"
#include "sbi/method.h"
#include "sbi/simulator.h"
#include "sbi/task.h"

namespace simformer_examples {

using amor::DType;
using amor::Tensor;
using amor::sbi::simformer::SimformerPosterior;

namespace {

constexpr int64_t kDim = 10;
constexpr double kPriorVar = 0.1, kNoiseVar = 0.1;
constexpr double kPosteriorVar = kPriorVar * kNoiseVar / (kPriorVar + kNoiseVar);  // 0.05

Tensor rows_to_tensor(const std::vector<double>& v, int64_t cols) {
  return amor::from_vector(v, {int64_t(v.size()) / cols, cols});
}

// n draws of the analytic posterior θ | x (per coordinate N(x_i/2, 0.05)); NaN x_i: the prior.
Tensor analytic_posterior(const std::vector<double>& x, int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> out(size_t(n * kDim));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < kDim; ++i) {
      const bool missing = std::isnan(x[size_t(i)]);
      const double mean = missing ? 0.0 : x[size_t(i)] * kPriorVar / (kPriorVar + kNoiseVar);
      const double var = missing ? kPriorVar : kPosteriorVar;
      out[size_t(r * kDim + i)] = mean + std::sqrt(var) * normal(rng);
    }
  return rows_to_tensor(out, kDim);
}

std::vector<double> to_vector(const Tensor& x_o) { return x_o.to(DType::F64).reshape({kDim}).to_vector<double>(); }

}  // namespace

std::unique_ptr<SimformerPosterior> train_or_load(const std::string& model_path, const TrainSettings& s) {
  amor::sbi::PosteriorPtr posterior;
  if (!model_path.empty()) {
    posterior = amor::sbi::load_posterior(model_path, "gaussian_linear");
  } else {
    const amor::sbi::TaskPtr task = amor::sbi::make_task("gaussian_linear");
    const amor::sbi::Dataset data = amor::sbi::simulate_dataset(*task->prior(), *task->simulator(), s.simulations, s.seed);
    amor::sbi::TrainOptions o;
    o.seed = s.seed;
    o.config = {{"training", {{"steps", s.steps}, {"batch_size", s.batch_size}}},
                {"sampling", {{"method", "ancestral"}, {"steps", s.sampling_steps}}}};
    if (s.verbose)
      o.on_progress = [](const amor::sbi::TrainProgress& p) {
        std::fprintf(stderr, "  step %lld/%lld  loss %.4f  (%.0f s)\n", static_cast<long long>(p.done),
                     static_cast<long long>(p.total), p.train_loss, p.elapsed_s);
      };
    posterior = amor::sbi::find_method("simformer").train(*task, data, o);
  }
  auto* simformer = dynamic_cast<SimformerPosterior*>(posterior.get());
  if (simformer == nullptr) throw std::runtime_error("not a simformer model: " + model_path);
  posterior.release();
  return std::unique_ptr<SimformerPosterior>(simformer);
}

Tensor observation(int k) { return amor::sbi::make_task("gaussian_linear")->observation(k); }

IntervalResult interval_observation(SimformerPosterior& model, const Tensor& x_o, double half_width, int64_t n,
                                    uint64_t seed) {
  const std::vector<double> x = to_vector(x_o);
  IntervalResult r;
  r.lower = x[0] - half_width;
  r.upper = x[0] + half_width;
  // The model: x_1 latent and restricted, x_2..10 given; θ latent.
  std::vector<std::pair<int64_t, double>> given;
  for (int64_t i = 1; i < kDim; ++i) given.emplace_back(kDim + i, x[size_t(i)]);
  amor::sbi::simformer::Constraints c(2 * kDim);
  c.add_interval(kDim, r.lower, r.upper);
  const Tensor joint = model.sample_constrained(given, c, n, seed).contiguous();  // [n, 20]
  int64_t inside = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double x1 = joint.data<double>()[i * 2 * kDim + kDim];
    inside += x1 >= r.lower && x1 <= r.upper;
  }
  r.inside = double(inside) / double(n);
  // The truth: θ_1 | x_1 ∈ [a, b] by rejection from the model θ_1 ~ N(0, 0.1), x_1 ~ N(θ_1, 0.1);
  // θ_i | x_i analytic for i ≥ 2 (the coordinates are independent).
  Tensor reference = analytic_posterior(x, n, seed + 1).contiguous();
  std::mt19937_64 rng(seed + 2);
  std::normal_distribution<double> normal;
  for (int64_t i = 0; i < n; ++i) {
    for (;;) {
      const double theta = std::sqrt(kPriorVar) * normal(rng);
      const double x1 = theta + std::sqrt(kNoiseVar) * normal(rng);
      if (x1 >= r.lower && x1 <= r.upper) {
        reference.data<double>()[i * kDim] = theta;
        break;
      }
    }
  }
  r.c2st = amor::sbi::c2st(reference, joint.slice(1, 0, kDim).contiguous());
  return r;
}

double missing_data_c2st(SimformerPosterior& model, const Tensor& x_o, int64_t n, uint64_t seed) {
  std::vector<double> x = to_vector(x_o);
  for (int64_t i : {2, 5, 8}) x[size_t(i)] = std::numeric_limits<double>::quiet_NaN();
  const Tensor samples = model.sample(amor::from_vector(x, {1, kDim}), n, seed);  // θ | 7 of 10 x
  return amor::sbi::c2st(analytic_posterior(x, n, seed + 1), samples);
}

LogProbResult posterior_log_prob(SimformerPosterior& model, const Tensor& x_o, int64_t n,
                                 const amor::sbi::simformer::LogProbOptions& options, uint64_t seed) {
  const std::vector<double> x = to_vector(x_o);
  const Tensor theta = analytic_posterior(x, n, seed).contiguous();
  std::vector<double> rows(size_t(n * 2 * kDim));
  std::vector<double> analytic(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    double lp = 0;
    for (int64_t i = 0; i < kDim; ++i) {
      const double t = theta.data<double>()[r * kDim + i], mean = x[size_t(i)] / 2;
      rows[size_t(r * 2 * kDim + i)] = t;
      rows[size_t(r * 2 * kDim + kDim + i)] = x[size_t(i)];
      lp += -0.5 * (t - mean) * (t - mean) / kPosteriorVar - 0.5 * std::log(2 * std::numbers::pi * kPosteriorVar);
    }
    analytic[size_t(r)] = lp;
  }
  std::vector<bool> observed(2 * kDim, false);
  for (int64_t i = kDim; i < 2 * kDim; ++i) observed[size_t(i)] = true;
  const auto start = std::chrono::steady_clock::now();
  const std::vector<double> lp =
      model.model()
          .log_prob(rows_to_tensor(rows, 2 * kDim), amor::from_vector(observed, {2 * kDim}), options, seed)
          .to_vector<double>();
  LogProbResult out;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (int64_t r = 0; r < n; ++r) {
    const double e = lp[size_t(r)] - analytic[size_t(r)];
    out.mean_abs_error += std::abs(e) / double(n);
    out.mean_error += e / double(n);
  }
  return out;
}

}  // namespace simformer_examples

// Neural likelihood estimation end to end on a linear-Gaussian task with a known posterior, the
// checkpoint round trip, iid trials, configuration and shape errors; SLOW_ accuracy runs on the
// sbibm tasks two_moons and slcp (C2ST against the reference posteriors).
//
// The task: θ ~ N(0, 0.1·I_3), x | θ ~ N(θ, 0.1·I_3) (sbibm's gaussian_linear in 3 dimensions),
// posterior N(x/2, 0.05·I); with k iid trials N(Σx_i/(k+1), 0.1/(k+1)·I).
#include <gtest/gtest.h>

#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "nn/checkpoint.h"
#include "sbi/diagnostics/c2st.h"
#include "sbi/distribution.h"
#include "sbi/method.h"
#include "sbi/nle/nle.h"
#include "sbi/simulator.h"
#include "sbi/task.h"
#include "tests/sbi/task_test_util.h"

namespace amor::sbi::nle {
namespace {

constexpr int64_t kDim = 3;
constexpr double kVar = 0.1;  // prior and likelihood variance
const char* const kTaskName = "nle_test_linear_gaussian";

class LinearGaussianTask final : public Task {
 public:
  LinearGaussianTask()
      : prior_(diag_normal(std::vector<double>(kDim, 0.0), std::vector<double>(kDim, std::sqrt(kVar)))),
        sim_(make_simulator(kDim, kDim, [](const double* theta, double* x, Rng& rng) {
          for (int64_t i = 0; i < kDim; ++i) x[i] = theta[i] + std::sqrt(kVar) * rng.normal();
        })) {}
  std::string name() const override { return kTaskName; }
  DistributionPtr prior() const override { return prior_; }
  SimulatorPtr simulator() const override { return sim_; }

 private:
  DistributionPtr prior_;
  SimulatorPtr sim_;
};

// Column means and variances of [n, d] samples.
struct ColumnMoments {
  std::vector<double> mean, var;
};
ColumnMoments column_moments(const Tensor& s) {
  const Tensor t = s.to(DType::F64).contiguous();
  const int64_t n = t.size(0), d = t.size(1);
  ColumnMoments m{std::vector<double>(size_t(d), 0.0), std::vector<double>(size_t(d), 0.0)};
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) m.mean[size_t(j)] += t.data<double>()[i * d + j] / double(n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      const double e = t.data<double>()[i * d + j] - m.mean[size_t(j)];
      m.var[size_t(j)] += e * e / double(n - 1);
    }
  return m;
}

// MCMC settings for the fast tests: far fewer sweeps than the sbibm defaults (SIR starts the
// chains in the posterior's bulk, so a short warm-up suffices here).
McmcOptions fast_mcmc() {
  McmcOptions o;
  o.num_chains = 50;
  o.warmup = 10;
  o.thin = 2;
  o.candidates = 2000;
  return o;
}

class NleLinearGaussian : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    register_task(kTaskName, [](const TaskOptions&) { return std::make_shared<LinearGaussianTask>(); });
    task_ = make_task(kTaskName);
    const Dataset data = simulate_dataset(*task_->prior(), *task_->simulator(), 2000, 1);
    TrainOptions options;
    options.seed = 3;
    // sbi's MAF (5 transforms). Fewer would be faster but fragile: in nflows' MADE the first
    // feature of each transform's order gets no context input, so with 2 transforms a feature
    // stays unconditioned on θ whenever the permutations put it first in both (1 seed in 3).
    options.config = {{"mcmc", fast_mcmc().to_json()}};
    const auto t0 = std::chrono::steady_clock::now();
    PosteriorPtr p = find_method("nle").train(*task_, data, options, &report_);
    train_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    posterior_.reset(static_cast<NlePosterior*>(p.release()));
  }
  static void TearDownTestSuite() {
    posterior_.reset();
    task_.reset();
  }

  static TaskPtr task_;
  static std::unique_ptr<NlePosterior> posterior_;
  static TrainReport report_;
  static double train_seconds_;
};

TaskPtr NleLinearGaussian::task_;
std::unique_ptr<NlePosterior> NleLinearGaussian::posterior_;
TrainReport NleLinearGaussian::report_;
double NleLinearGaussian::train_seconds_ = 0;

TEST_F(NleLinearGaussian, PosteriorMatchesAnalytic) {
  std::printf("[ nle      ] trained in %.2f s, %lld epochs, best validation loss %.4f\n", train_seconds_,
              static_cast<long long>(report_.epochs), report_.best_val_loss);
  EXPECT_EQ(report_.num_simulations, 2000);
  const std::vector<double> x = {0.6, -0.5, 0.2};
  const Tensor x_o = from_vector(x, Shape{1, kDim});
  const Tensor s = posterior_->sample(x_o, 1000, 11);
  ASSERT_EQ(s.shape(), (Shape{1000, kDim}));
  const ColumnMoments m = column_moments(s);
  for (int64_t j = 0; j < kDim; ++j) {
    // The analytic posterior is N(x/2, 0.05). A method that dropped the prior would centre on x
    // (0.1–0.3 away here) with variance 0.1; one that ignored the likelihood would give N(0, 0.1):
    // variance ratios of 2. Over 8 training seeds the errors were |Δmean| <= 0.04 and variance
    // ratios 0.85–1.30 (the likelihood error of 2 000 simulations plus Monte-Carlo error).
    EXPECT_NEAR(m.mean[size_t(j)], x[size_t(j)] / 2, 0.06) << "coordinate " << j;
    EXPECT_NEAR(m.var[size_t(j)] / 0.05, 1.0, 0.45) << "coordinate " << j;
  }
  const McmcStats& st = posterior_->last_stats();
  EXPECT_EQ(st.chains, 50);
  EXPECT_EQ(st.sweeps_per_chain, 10 * 2 + 20 * 2);
  std::printf("[ nle      ] 1000 draws: %lld likelihood rows in %lld batched calls, init %.3f s, MCMC %.3f s\n",
              static_cast<long long>(st.evaluations), static_cast<long long>(st.batched_calls), st.init_seconds,
              st.sampling_seconds);
}

TEST_F(NleLinearGaussian, LearnedLikelihoodIsClose) {
  // log q(x | θ) against log N(x; θ, 0.1·I) on fresh pairs, as a mean absolute error in nats,
  // next to the same error of the best θ-blind density, the marginal N(x; 0, 0.2·I): a
  // likelihood that ignored θ could do no better than that baseline (≈ 1 nat).
  const int64_t n = 500;
  const Dataset fresh = simulate_dataset(*task_->prior(), *task_->simulator(), n, 77);
  const std::vector<double> q = posterior_->log_likelihood(fresh.theta, fresh.x.narrow(0, 0, 1)).to_vector<double>();
  double err = 0, baseline = 0;
  for (int64_t i = 0; i < n; ++i) {
    const Tensor th = fresh.theta.narrow(0, i, 1);
    const Tensor x = fresh.x.narrow(0, i, 1);
    const double qi = posterior_->log_likelihood(th, x).item<double>();
    double truth = -0.5 * double(kDim) * std::log(2 * M_PI * kVar);
    double marginal = -0.5 * double(kDim) * std::log(2 * M_PI * 2 * kVar);
    for (int64_t j = 0; j < kDim; ++j) {
      const double e = x.data<double>()[j] - th.data<double>()[j];
      truth -= 0.5 * e * e / kVar;
      marginal -= 0.5 * x.data<double>()[j] * x.data<double>()[j] / (2 * kVar);
    }
    err += std::abs(qi - truth) / double(n);
    baseline += std::abs(marginal - truth) / double(n);
  }
  std::printf("[ nle      ] mean |log q - log p| %.3f nats (θ-blind baseline %.3f)\n", err, baseline);
  EXPECT_LT(err, 0.3 * baseline);
  // Batched evaluation (many θ, one x) equals row-by-row evaluation.
  for (int64_t i = 0; i < n; i += 50)
    EXPECT_NEAR(q[size_t(i)], posterior_->log_likelihood(fresh.theta.narrow(0, i, 1), fresh.x.narrow(0, 0, 1)).item<double>(),
                1e-4);
}

TEST_F(NleLinearGaussian, IidTrials) {
  // Four trials: posterior N(Σx/5, 0.02·I). The trials sum their log-likelihoods.
  const std::vector<double> xs = {0.5, -0.3, 0.1, 0.7, -0.2, 0.3, 0.4, -0.6, 0.0, 0.6, -0.1, 0.2};
  const Tensor x_o = from_vector(xs, Shape{4, kDim});
  const Tensor th = from_vector(std::vector<double>{0.1, 0.2, -0.1, 0.3, 0.0, 0.2}, Shape{2, kDim});
  // The sum over trials equals the per-trial calls added up.
  const Tensor total = posterior_->log_likelihood(th, x_o);
  for (int64_t i = 0; i < 2; ++i) {
    double by_trial = 0;
    for (int64_t t = 0; t < 4; ++t)
      by_trial += posterior_->log_likelihood(th.narrow(0, i, 1), x_o.narrow(0, t, 1)).item<double>();
    EXPECT_NEAR(total.data<double>()[i], by_trial, 1e-4);
  }
  // 25 chains × 4 trials keeps each batched call at 100 flow rows, as in the other tests.
  McmcOptions mcmc = fast_mcmc();
  mcmc.num_chains = 25;
  posterior_->set_mcmc(mcmc);
  const Tensor s = posterior_->sample(x_o, 1000, 5);
  posterior_->set_mcmc(fast_mcmc());
  const ColumnMoments m = column_moments(s);
  for (int64_t j = 0; j < kDim; ++j) {
    double mean = 0;
    for (int64_t t = 0; t < 4; ++t) mean += xs[size_t(t * kDim + j)] / 5;
    // One trial's posterior would have variance 0.05 (ratio 2.5) and centre on x_1/2 (0.07–0.19
    // away). Over 8 training seeds: |Δmean| <= 0.06 (four trials add up their likelihood
    // errors), variance ratios 0.72–1.32.
    EXPECT_NEAR(m.mean[size_t(j)], mean, 0.08) << "coordinate " << j;
    EXPECT_NEAR(m.var[size_t(j)] / 0.02, 1.0, 0.45) << "coordinate " << j;
  }
}

TEST_F(NleLinearGaussian, CheckpointRoundTrip) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/nle_round_trip.safetensors";
  posterior_->save(path);
  const Tensor x_o = from_vector(std::vector<double>{0.3, 0.1, -0.4}, Shape{1, kDim});
  const std::vector<double> before = posterior_->sample(x_o, 200, 9).to_vector<double>();
  // Through the method (the prior from the task registry) and through load_posterior.
  PosteriorPtr a = find_method("nle").load(path);
  PosteriorPtr b = load_posterior(path, kTaskName);
  EXPECT_EQ(a->method(), "nle");
  EXPECT_EQ(a->task_name(), kTaskName);
  EXPECT_EQ(a->theta_dim(), kDim);
  EXPECT_EQ(a->x_dim(), kDim);
  EXPECT_EQ(a->sample(x_o, 200, 9).to_vector<double>(), before);
  EXPECT_EQ(b->sample(x_o, 200, 9).to_vector<double>(), before);
  EXPECT_NE(b->sample(x_o, 200, 10).to_vector<double>(), before);
  // The MCMC settings travel with the checkpoint.
  EXPECT_EQ(static_cast<NlePosterior&>(*a).config().to_json(), posterior_->config().to_json());
  // A different prior is refused; the same one given explicitly is accepted.
  EXPECT_THROW(load_nle_posterior(path, diag_normal(std::vector<double>(kDim, 0.0), std::vector<double>(kDim, 0.5))),
               ValueError);
  EXPECT_THROW(load_nle_posterior(path, box_uniform(std::vector<double>(kDim, -1.0), std::vector<double>(kDim, 1.0))),
               ValueError);
  EXPECT_EQ(load_nle_posterior(path, task_->prior())->sample(x_o, 200, 9).to_vector<double>(), before);
  // Not an NLE checkpoint.
  const std::string other = dir + "/nle_not.safetensors";
  nn::save_checkpoint(posterior_->flow(), other, {{"format", "amor"}, {"method", "npe"}, {"task", kTaskName}});
  EXPECT_THROW(find_method("nle").load(other), IOError);
  std::filesystem::remove(path);
  std::filesystem::remove(other);
}

TEST_F(NleLinearGaussian, ThreadCountIndependent) {
  const Tensor x_o = from_vector(std::vector<double>{0.3, 0.1, -0.4}, Shape{1, kDim});
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const std::vector<double> one = posterior_->sample(x_o, 100, 4).to_vector<double>();
  omp_set_num_threads(2);
  const std::vector<double> two = posterior_->sample(x_o, 100, 4).to_vector<double>();
  omp_set_num_threads(saved);
  EXPECT_EQ(one, two);
}

TEST_F(NleLinearGaussian, Errors) {
  EXPECT_THROW(posterior_->sample(from_vector(std::vector<double>{0.1, 0.2}, Shape{1, 2}), 10, 0), ShapeError);
  EXPECT_THROW(posterior_->sample(from_vector(std::vector<double>{0.1, NAN, 0.0}, Shape{1, 3}), 10, 0), ValueError);
  EXPECT_THROW(posterior_->sample(from_vector(std::vector<double>{0.1, 0.2, 0.0}, Shape{1, 3}), 0, 0), ValueError);
  EXPECT_THROW(NleConfig::from_json({{"estimatr", "maf"}}), ValueError);
  EXPECT_THROW(NleConfig::from_json({{"estimator", "mdn"}}), ValueError);
  EXPECT_THROW(NleConfig::from_json({{"mcmc", {{"thin", 0}}}}), ValueError);
  EXPECT_THROW(NleConfig::from_json({{"training", {{"batch", 5}}}}), ValueError);
  const NleConfig c = NleConfig::from_json({{"mcmc", {{"num_chains", 8}}}, {"estimator_options", {{"hidden_features", 20}}}});
  EXPECT_EQ(c.estimator, "maf");
  EXPECT_EQ(c.mcmc.num_chains, 8);
  EXPECT_EQ(c.mcmc.thin, 10);  // the sbibm default
  EXPECT_EQ(NleConfig::from_json(c.to_json()).to_json(), c.to_json());
  // The dataset must match the task.
  const Dataset wrong{zeros({10, 2}, {.dtype = DType::F64}), zeros({10, kDim}, {.dtype = DType::F64}), 10, 0};
  EXPECT_THROW(find_method("nle").train(*task_, wrong, TrainOptions{}), ShapeError);
}

// ---- SLOW: sbibm accuracy ---------------------------------------------------------------------

// NLE with the sbibm paper's settings (MAF hidden 50, slice MCMC 100 chains, warm-up 100,
// thin 10, SIR) at 10 000 simulations; mean C2ST over observations 1-10 against the reference
// posteriors (10 000 samples each, sbibm's C2ST).
double nle_mean_c2st(const std::string& task_name, uint64_t seed) {
  const TaskPtr task = make_task(task_name);
  const auto t0 = std::chrono::steady_clock::now();
  const Dataset data = simulate_dataset(*task->prior(), *task->simulator(), 10000, seed);
  TrainOptions options;
  options.seed = seed;
  TrainReport report;
  PosteriorPtr posterior = find_method("nle").train(*task, data, options, &report);
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ nle      ] %s: trained in %.1f s (%lld epochs)\n", task_name.c_str(), train_s,
              static_cast<long long>(report.epochs));
  std::fflush(stdout);
  double total = 0;
  for (int k = 1; k <= 10; ++k) {
    const auto t1 = std::chrono::steady_clock::now();
    const Tensor s = posterior->sample(task->observation(k), 10000, seed + uint64_t(k));
    const double sample_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    const auto t2 = std::chrono::steady_clock::now();
    const double c = c2st(task->reference_samples(k), s);
    const double c2st_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();
    std::printf("[ nle      ] %s observation %d: C2ST %.3f (MCMC %.1f s, C2ST %.1f s)\n", task_name.c_str(), k, c,
                sample_s, c2st_s);
    std::fflush(stdout);
    total += c;
  }
  return total / 10;
}

TEST(NleSbibm, SLOW_TwoMoons) {
  AMOR_SKIP_WITHOUT_SBIBM("two_moons");
  const double c = nle_mean_c2st("two_moons", 1);
  std::printf("[ nle      ] two_moons mean C2ST %.3f (sbibm paper NLE at 1e4: 0.71)\n", c);
  EXPECT_LE(c, 0.74);
}

TEST(NleSbibm, SLOW_Slcp) {
  AMOR_SKIP_WITHOUT_SBIBM("slcp");
  const double c = nle_mean_c2st("slcp", 1);
  std::printf("[ nle      ] slcp mean C2ST %.3f (sbibm paper NLE at 1e4: 0.77)\n", c);
  EXPECT_LE(c, 0.80);
}

}  // namespace
}  // namespace amor::sbi::nle

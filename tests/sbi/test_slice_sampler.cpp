// The vectorised slice sampler and the posterior-MCMC driver on targets with known answers:
// Gaussians (moments, KS), a bimodal mixture (mode weights from chains started in one mode),
// bounded targets sampled through the unconstraining map and in θ-space, SIR initialisation,
// thread-count independence, argument errors.
//
// Tolerances: the chains are autocorrelated, so the KS tests use thinned draws (one per 10 or
// more sweeps, where the autocorrelation of a 1- or 2-D slice sampler has died out) and the
// moment tests several standard errors of the effective sample size. Each threshold says what a
// broken sampler would give.
#include <gtest/gtest.h>

#include <omp.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "sbi/distribution.h"
#include "sbi/nle/mcmc_init.h"
#include "sbi/nle/mcmc_posterior.h"
#include "sbi/nle/slice_sampler.h"
#include "tests/sbi/stat_util.h"

namespace amor::sbi::nle {
namespace {

using test::kKsCritical;
using test::ks_scaled;
using test::moments;
using test::normal_cdf;

constexpr double kInf = std::numeric_limits<double>::infinity();

// A batched log density from a per-row function.
template <class F>
BatchLogDensity rowwise(F f) {
  return [f](const Tensor& theta) {
    const Tensor t = theta.contiguous();
    const int64_t m = t.size(0), d = t.size(1);
    Tensor out = Tensor::empty({m}, DType::F64);
    for (int64_t i = 0; i < m; ++i) out.data<double>()[i] = f(t.data<double>() + i * d);
    return out;
  };
}

// Column j of samples [chains, s, d] (or [n, d]) as a flat vector.
std::vector<double> column(const Tensor& samples, int64_t j) {
  const Tensor t = samples.reshape({-1, samples.size(samples.dim() - 1)}).contiguous();
  std::vector<double> v(size_t(t.size(0)));
  for (int64_t i = 0; i < t.size(0); ++i) v[size_t(i)] = t.data<double>()[i * t.size(1) + j];
  return v;
}

Tensor constant_init(int64_t chains, const std::vector<double>& x) {
  std::vector<double> v;
  for (int64_t c = 0; c < chains; ++c) v.insert(v.end(), x.begin(), x.end());
  return from_vector(v, Shape{chains, int64_t(x.size())});
}

TEST(SliceSampler, Gaussian1D) {
  const double mu = 1.5, sd = 0.7;
  const auto lp = rowwise([&](const double* x) { return -0.5 * (x[0] - mu) * (x[0] - mu) / (sd * sd); });
  SliceSamplerOptions o;
  o.warmup_sweeps = 100;
  o.thin = 10;
  // Chains start far out (10 sd), so warm-up and width tuning must do their job.
  const SliceSamplerResult r = slice_sample(lp, constant_init(50, {-5.5}), 60, o, 7);
  ASSERT_EQ(r.samples.shape(), (Shape{50, 60, 1}));
  const std::vector<double> x = column(r.samples, 0);
  const auto m = moments(x);
  // 3000 nearly independent draws: standard errors 0.013 (mean) and 2.6 % (variance); 5 of them.
  EXPECT_NEAR(m.mean, mu, 5 * sd / std::sqrt(3000.0));
  EXPECT_NEAR(m.var / (sd * sd), 1.0, 0.13);
  EXPECT_LT(ks_scaled(x, [&](double v) { return normal_cdf((v - mu) / sd); }), kKsCritical);
  // Tuned widths: sbi's running mean of final bracket widths settles at a few target scales
  // (~7 sd for a Gaussian: brackets that overshoot the slice are averaged in), far from the
  // initial 0.01 that an untuned sampler would keep.
  for (double w : r.widths.to_vector<double>()) {
    EXPECT_GT(w, 0.5 * sd);
    EXPECT_LT(w, 20 * sd);
  }
  // Recorded log densities are those of the recorded states.
  const std::vector<double> kept = r.log_density.to_vector<double>();
  for (size_t i = 0; i < x.size(); i += 97) EXPECT_DOUBLE_EQ(kept[i], -0.5 * (x[i] - mu) * (x[i] - mu) / (sd * sd));
  // About 4–6 evaluations per coordinate update; a sampler with untuned widths needs > 50.
  const double per_update = double(r.evaluations) / (50.0 * (100 + 600));
  EXPECT_LT(per_update, 8.0);
  EXPECT_GT(per_update, 2.0);
}

TEST(SliceSampler, CorrelatedGaussian2D) {
  // N(m, Σ) with sd (1, 2), correlation 0.8.
  const double m1 = -1.0, m2 = 3.0, s1 = 1.0, s2 = 2.0, rho = 0.8;
  const auto lp = rowwise([&](const double* x) {
    const double a = (x[0] - m1) / s1, b = (x[1] - m2) / s2;
    return -0.5 * (a * a - 2 * rho * a * b + b * b) / (1 - rho * rho);
  });
  SliceSamplerOptions o;
  o.warmup_sweeps = 100;
  o.thin = 20;  // coordinate-wise updates mix slower at correlation 0.8
  const SliceSamplerResult r = slice_sample(lp, constant_init(40, {0.0, 0.0}), 60, o, 11);
  const std::vector<double> a = column(r.samples, 0), b = column(r.samples, 1);
  const auto ma = moments(a), mb = moments(b);
  const double n = double(a.size());  // 2400
  EXPECT_NEAR(ma.mean, m1, 5 * s1 / std::sqrt(n));
  EXPECT_NEAR(mb.mean, m2, 5 * s2 / std::sqrt(n));
  EXPECT_NEAR(ma.var / (s1 * s1), 1.0, 0.15);
  EXPECT_NEAR(mb.var / (s2 * s2), 1.0, 0.15);
  double cov = 0;
  for (size_t i = 0; i < a.size(); ++i) cov += (a[i] - ma.mean) * (b[i] - mb.mean);
  cov /= n - 1;
  // The sample correlation's standard error at ρ = 0.8 is (1 - ρ²)/√n ≈ 0.007; 0.04 is > 5 of
  // them, while a sampler that ignored the coupling would give 0.
  EXPECT_NEAR(cov / std::sqrt(ma.var * mb.var), rho, 0.04);
  EXPECT_LT(ks_scaled(a, [&](double v) { return normal_cdf((v - m1) / s1); }), kKsCritical);
  EXPECT_LT(ks_scaled(b, [&](double v) { return normal_cdf((v - m2) / s2); }), kKsCritical);
}

TEST(SliceSampler, BimodalMixtureWeights) {
  // 0.3·N(-1.5, 0.6²) + 0.7·N(1.5, 0.6²); every chain starts in the light mode.
  const double s = 0.6;
  const auto lp = rowwise([&](const double* x) {
    const double a = (x[0] + 1.5) / s, b = (x[0] - 1.5) / s;
    return std::log(0.3 * std::exp(-0.5 * a * a) + 0.7 * std::exp(-0.5 * b * b));
  });
  SliceSamplerOptions o;
  o.warmup_sweeps = 200;
  o.thin = 10;
  const SliceSamplerResult r = slice_sample(lp, constant_init(100, {-1.5}), 100, o, 3);
  const std::vector<double> x = column(r.samples, 0);
  double right = 0, mean_right = 0, mean_left = 0;
  for (double v : x) {
    if (v > 0) {
      right += 1;
      mean_right += v;
    } else {
      mean_left += v;
    }
  }
  mean_right /= right;
  mean_left /= double(x.size()) - right;
  // 10 000 draws from chains that cross between the modes every few sweeps: the share of the
  // heavy mode is 0.7 up to ~0.01; a sampler that cannot leave its starting mode gives 0, one that
  // ignored the weights 0.5.
  EXPECT_NEAR(right / double(x.size()), 0.7, 0.03);
  // Within-mode means (the tails cut at 0 move them by < 0.01).
  EXPECT_NEAR(mean_right, 1.5, 0.05);
  EXPECT_NEAR(mean_left, -1.5, 0.05);
  // The exact mixture CDF on draws thinned to one per 50 sweeps per chain.
  std::vector<double> thinned;
  for (int64_t c = 0; c < 100; ++c)
    for (int64_t k = 4; k < 100; k += 5) thinned.push_back(x[size_t(c * 100 + k)]);
  const auto cdf = [&](double v) { return 0.3 * normal_cdf((v + 1.5) / s) + 0.7 * normal_cdf((v - 1.5) / s); };
  EXPECT_LT(ks_scaled(thinned, cdf), kKsCritical);
}

// Beta(2, 5) as prior U(0, 1) × likelihood θ (1 - θ)^4: its CDF is 1 - (1-x)^6 - 6x(1-x)^5.
double beta25_cdf(double x) { return 1 - std::pow(1 - x, 6) - 6 * x * std::pow(1 - x, 5); }
Tensor beta25_loglik(const Tensor& theta) {
  const Tensor t = theta.contiguous();
  Tensor out = Tensor::empty({t.size(0)}, DType::F64);
  for (int64_t i = 0; i < t.size(0); ++i) {
    const double v = t.data<double>()[i];
    out.data<double>()[i] = std::log(v) + 4 * std::log1p(-v);
  }
  return out;
}

TEST(PosteriorMcmc, BoundedTargetInBothSpaces) {
  const auto prior = box_uniform({0.0}, {1.0});
  for (bool unconstrained : {true, false}) {
    McmcOptions o;
    o.num_chains = 50;
    o.warmup = 10;
    o.thin = 20;  // one draw per 20 sweeps: the KS threshold assumes nearly independent draws
    o.candidates = 2000;
    o.unconstrained = unconstrained;
    McmcStats st;
    const Tensor s = sample_posterior_mcmc(*prior, beta25_loglik, 3000, o, 5, &st);
    ASSERT_EQ(s.shape(), (Shape{3000, 1}));
    const std::vector<double> x = column(s, 0);
    for (double v : x) ASSERT_TRUE(v >= 0.0 && v <= 1.0) << v;
    // Mean 2/7, variance 10/392.
    const auto m = moments(x);
    EXPECT_NEAR(m.mean, 2.0 / 7, 5 * std::sqrt(10.0 / 392 / 3000)) << "unconstrained " << unconstrained;
    EXPECT_NEAR(m.var / (10.0 / 392), 1.0, 0.13) << "unconstrained " << unconstrained;
    EXPECT_LT(ks_scaled(x, beta25_cdf), kKsCritical) << "unconstrained " << unconstrained;
    EXPECT_EQ(st.chains, 50);
    EXPECT_EQ(st.sweeps_per_chain, 200 + 60 * 20);
    EXPECT_GT(st.evaluations, 2000 + 50 * 1400);
  }
}

TEST(PosteriorMcmc, HalfLineSupport) {
  // Gamma(2, rate 1) prior × e^{-θ} likelihood = Gamma(2, rate 2): CDF 1 - e^{-2x}(1 + 2x).
  const auto prior = gamma_distribution({2.0}, {1.0});
  const BatchLogLikelihood ll = [](const Tensor& theta) { return -theta.reshape({theta.size(0)}); };
  McmcOptions o;
  o.num_chains = 50;
  o.warmup = 10;
  o.thin = 20;
  o.candidates = 2000;
  const Tensor s = sample_posterior_mcmc(*prior, ll, 3000, o, 9);
  const std::vector<double> x = column(s, 0);
  for (double v : x) ASSERT_GT(v, 0.0);
  const auto m = moments(x);
  EXPECT_NEAR(m.mean, 1.0, 5 * std::sqrt(0.5 / 3000));
  EXPECT_NEAR(m.var / 0.5, 1.0, 0.15);
  EXPECT_LT(ks_scaled(x, [](double v) { return 1 - std::exp(-2 * v) * (1 + 2 * v); }), kKsCritical);
}

TEST(PosteriorMcmc, SirPicksHighDensityCandidates) {
  // A sharp likelihood N(θ; (0.8, -2), 0.02²) over a U(-3, 3)² prior: about 10 000 · π·0.04² / 36
  // ≈ 1.4 candidates fall within 2 sd, dozens within 5 sd; prior draws sit ~2.5 away on average.
  const auto prior = box_uniform({-3.0, -3.0}, {3.0, 3.0});
  const BatchLogLikelihood ll = [](const Tensor& theta) {
    const Tensor t = theta.contiguous();
    Tensor out = Tensor::empty({t.size(0)}, DType::F64);
    for (int64_t i = 0; i < t.size(0); ++i) {
      const double a = (t.data<double>()[2 * i] - 0.8) / 0.02, b = (t.data<double>()[2 * i + 1] + 2.0) / 0.02;
      out.data<double>()[i] = -0.5 * (a * a + b * b);
    }
    return out;
  };
  const auto mean_distance = [](const Tensor& init) {
    double s = 0;
    for (int64_t c = 0; c < init.size(0); ++c)
      s += std::hypot(init.data<double>()[2 * c] - 0.8, init.data<double>()[2 * c + 1] + 2.0);
    return s / double(init.size(0));
  };
  McmcOptions o;
  for (const char* init : {"sir", "resample"}) {
    o.init = init;
    McmcStats st;
    const Tensor sir = initialize_chains(*prior, ll, 100, o, 1, &st);
    ASSERT_EQ(sir.shape(), (Shape{100, 2}));
    // The best candidate among 10 000 is within ~0.1 of the mode; the weights concentrate the
    // picks on the few best.
    EXPECT_LT(mean_distance(sir), 0.15) << init;
    EXPECT_EQ(st.evaluations, 10000) << init;
    EXPECT_EQ(st.batched_calls, 10) << init;  // in batches of 1000
  }
  o.init = "prior";
  EXPECT_GT(mean_distance(initialize_chains(*prior, ll, 100, o, 1)), 1.0);
}

TEST(PosteriorMcmc, ResampleIndicesFollowWeights) {
  // Weights 1 : 3 : 0 : 0 : 6 (with -inf and NaN weighing zero).
  const std::vector<double> lw = {0.0, std::log(3.0), -kInf, std::nan(""), std::log(6.0)};
  Rng rng(4, kMcmcInitStream, 0);
  const std::vector<int64_t> idx = resample_indices(lw, 100000, rng);
  std::vector<double> count(5, 0.0);
  for (int64_t i : idx) count[size_t(i)] += 1;
  EXPECT_EQ(count[2], 0.0);
  EXPECT_EQ(count[3], 0.0);
  // Binomial standard errors of the shares are <= 0.0016; 0.008 is 5 of them.
  EXPECT_NEAR(count[0] / 1e5, 0.1, 0.008);
  EXPECT_NEAR(count[1] / 1e5, 0.3, 0.008);
  EXPECT_NEAR(count[4] / 1e5, 0.6, 0.008);
  // Huge log weights are handled relative to the largest.
  Rng rng2(4, kMcmcInitStream, 1);
  const std::vector<int64_t> big = resample_indices({1000.0, 1000.0 - 50.0}, 100, rng2);
  for (int64_t i : big) EXPECT_EQ(i, 0);
  EXPECT_THROW(resample_indices({-kInf, std::nan("")}, 1, rng2), ValueError);
  EXPECT_THROW(resample_indices({0.0, kInf}, 1, rng2), ValueError);
  EXPECT_THROW(resample_indices({0.0}, 0, rng2), ValueError);
}

TEST(PosteriorMcmc, ThreadCountIndependentAndSeeded) {
  const auto prior = box_uniform({0.0, -1.0}, {1.0, 2.0});
  // A likelihood evaluated with tensor ops (which may run in parallel).
  const BatchLogLikelihood ll = [](const Tensor& theta) {
    const Tensor z = (theta - from_vector(std::vector<double>{0.3, 0.5})) * 4.0;
    return sum(z * z, {1}) * -0.5;
  };
  McmcOptions o;
  o.num_chains = 20;
  o.warmup = 5;
  o.thin = 2;
  o.candidates = 500;
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const std::vector<double> one = sample_posterior_mcmc(*prior, ll, 200, o, 21).to_vector<double>();
  omp_set_num_threads(2);
  const std::vector<double> two = sample_posterior_mcmc(*prior, ll, 200, o, 21).to_vector<double>();
  omp_set_num_threads(saved);
  EXPECT_EQ(one, two);
  EXPECT_NE(sample_posterior_mcmc(*prior, ll, 200, o, 22).to_vector<double>(), one);
  // n not a multiple of the chains: the first n draws chain by chain.
  const Tensor odd = sample_posterior_mcmc(*prior, ll, 45, o, 21);
  EXPECT_EQ(odd.shape(), (Shape{45, 2}));
}

TEST(SliceSampler, Errors) {
  const auto lp = rowwise([](const double* x) { return -x[0] * x[0]; });
  SliceSamplerOptions o;
  EXPECT_THROW(slice_sample(lp, Tensor::empty({3}, DType::F64), 10, o, 0), ShapeError);
  EXPECT_THROW(slice_sample(lp, constant_init(2, {0.0}), 0, o, 0), ValueError);
  EXPECT_THROW(slice_sample(lp, constant_init(2, {std::nan("")}), 1, o, 0), ValueError);
  // A chain starting outside the support.
  const auto half = rowwise([](const double* x) { return x[0] > 0 ? 0.0 : -kInf; });
  EXPECT_THROW(slice_sample(half, from_vector(std::vector<double>{1.0, -1.0}, Shape{2, 1}), 1, o, 0), ValueError);
  // A log density returning the wrong shape.
  const BatchLogDensity wrong = [](const Tensor& t) { return Tensor::empty({t.size(0), 1}, DType::F64); };
  EXPECT_THROW(slice_sample(wrong, constant_init(2, {0.0}), 1, o, 0), ShapeError);
  o.thin = 0;
  EXPECT_THROW(slice_sample(lp, constant_init(2, {0.0}), 1, o, 0), ValueError);
  EXPECT_THROW(McmcOptions::from_json({{"init", "map"}}), ValueError);
  EXPECT_THROW(McmcOptions::from_json({{"chains", 3}}), ValueError);
  EXPECT_THROW(McmcOptions::from_json({{"num_chains", 0}}), ValueError);
  const McmcOptions j = McmcOptions::from_json({{"num_chains", 7}, {"init", "prior"}});
  EXPECT_EQ(j.num_chains, 7);
  EXPECT_EQ(j.thin, 10);
  EXPECT_EQ(McmcOptions::from_json(j.to_json()).to_json(), j.to_json());
}

}  // namespace
}  // namespace amor::sbi::nle

// The reference sampler of the all-conditional evaluation (sbi/diagnostics/conditional_reference.h)
// against conditionals known independently:
//   gaussian_linear  (θ, x) is jointly Gaussian, so every conditional is Gaussian with the
//                    Schur-complement mean and covariance, computed here by elimination; checked
//                    by moments and by C2ST against exact draws — and the same checks reject the
//                    samples of a deliberately wrong joint density;
//   hmm              two neighbouring hidden states given everything else: a bimodal 2-d density
//                    (the signs of θ4, θ5) integrated on a grid;
//   tree             θ1 | θ2, θ3 (Gaussian, closed form) and θ2 | θ1, x1, x2 (multimodal, 1-d
//                    quadrature);
//   sbibm            the two_moons and gaussian_linear_uniform posteriors of observation 1 against
//                    sbibm's reference samples (skipped without the data).
// SMC samples are not independent (resampling duplicates, decorrelated by a finite number of
// moves), so the statistical bounds below count n/4 effective samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <numbers>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "sbi/diagnostics/c2st.h"
#include "sbi/diagnostics/conditional_reference.h"
#include "sbi/rng.h"
#include "sbi/task.h"
#include "tests/sbi/stat_util.h"
#include "tests/sbi/task_test_util.h"

namespace amor::sbi {
namespace {

using Observed = std::vector<std::pair<int64_t, double>>;

double log_normal_pdf(double v, double mean, double sd) {
  return -0.5 * std::pow((v - mean) / sd, 2) - std::log(sd * std::sqrt(2 * std::numbers::pi));
}

// ---- Gaussian conditioning, written out (no code shared with the sampler) -------------------

struct Gaussian {
  std::vector<double> mean;  // [d]
  std::vector<double> cov;   // [d, d]
};

// Solves A X = B for X (A [m, m] SPD, B [m, k]) by Gauss–Jordan elimination with pivoting.
std::vector<double> solve(std::vector<double> a, std::vector<double> b, int64_t m, int64_t k) {
  for (int64_t c = 0; c < m; ++c) {
    int64_t p = c;
    for (int64_t r = c + 1; r < m; ++r)
      if (std::abs(a[size_t(r * m + c)]) > std::abs(a[size_t(p * m + c)])) p = r;
    for (int64_t j = 0; j < m; ++j) std::swap(a[size_t(c * m + j)], a[size_t(p * m + j)]);
    for (int64_t j = 0; j < k; ++j) std::swap(b[size_t(c * k + j)], b[size_t(p * k + j)]);
    for (int64_t r = 0; r < m; ++r) {
      if (r == c) continue;
      const double f = a[size_t(r * m + c)] / a[size_t(c * m + c)];
      for (int64_t j = 0; j < m; ++j) a[size_t(r * m + j)] -= f * a[size_t(c * m + j)];
      for (int64_t j = 0; j < k; ++j) b[size_t(r * k + j)] -= f * b[size_t(c * k + j)];
    }
  }
  for (int64_t r = 0; r < m; ++r)
    for (int64_t j = 0; j < k; ++j) b[size_t(r * k + j)] /= a[size_t(r * m + r)];
  return b;
}

// The joint of gaussian_linear: mean 0, Var θ = 0.1 I, Cov(θ, x) = 0.1 I, Var x = 0.1 I + noise_var I.
std::vector<double> gaussian_linear_cov(double noise_var) {
  std::vector<double> s(400, 0.0);
  for (int i = 0; i < 10; ++i) {
    s[size_t(i * 20 + i)] = 0.1;
    s[size_t(i * 20 + 10 + i)] = s[size_t((10 + i) * 20 + i)] = 0.1;
    s[size_t((10 + i) * 20 + 10 + i)] = 0.1 + noise_var;
  }
  return s;
}

// latent | observed of N(0, S): mean S_LO S_OO⁻¹ o, covariance S_LL − S_LO S_OO⁻¹ S_OL.
Gaussian condition(const std::vector<double>& s, int64_t t, const Observed& observed, const std::vector<int64_t>& latent) {
  const int64_t m = int64_t(observed.size()), d = int64_t(latent.size());
  std::vector<double> s_oo(size_t(m * m)), s_ol(size_t(m * d)), rhs(size_t(m * (d + 1)));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < m; ++j) s_oo[size_t(i * m + j)] = s[size_t(observed[size_t(i)].first * t + observed[size_t(j)].first)];
    for (int64_t j = 0; j < d; ++j) rhs[size_t(i * (d + 1) + j)] = s[size_t(observed[size_t(i)].first * t + latent[size_t(j)])];
    rhs[size_t(i * (d + 1) + d)] = observed[size_t(i)].second;
  }
  const std::vector<double> x = solve(s_oo, rhs, m, d + 1);  // [S_OO⁻¹ S_OL | S_OO⁻¹ o]
  Gaussian g;
  g.mean.assign(size_t(d), 0.0);
  g.cov.assign(size_t(d * d), 0.0);
  for (int64_t a = 0; a < d; ++a) {
    for (int64_t i = 0; i < m; ++i)
      g.mean[size_t(a)] += s[size_t(latent[size_t(a)] * t + observed[size_t(i)].first)] * x[size_t(i * (d + 1) + d)];
    for (int64_t b = 0; b < d; ++b) {
      double v = s[size_t(latent[size_t(a)] * t + latent[size_t(b)])];
      for (int64_t i = 0; i < m; ++i)
        v -= s[size_t(latent[size_t(a)] * t + observed[size_t(i)].first)] * x[size_t(i * (d + 1) + b)];
      g.cov[size_t(a * d + b)] = v;
    }
  }
  return g;
}

// n exact draws [n, d] of g (Cholesky written out).
Tensor exact_draws(const Gaussian& g, int64_t n, uint64_t seed) {
  const int64_t d = int64_t(g.mean.size());
  std::vector<double> l(size_t(d * d), 0.0);
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double v = g.cov[size_t(i * d + j)];
      for (int64_t k = 0; k < j; ++k) v -= l[size_t(i * d + k)] * l[size_t(j * d + k)];
      l[size_t(i * d + j)] = i == j ? std::sqrt(v) : v / l[size_t(j * d + j)];
    }
  std::vector<double> out(size_t(n * d)), z(static_cast<size_t>(d));
  for (int64_t r = 0; r < n; ++r) {
    Rng rng(seed, kUserStreamBase + 21, uint64_t(r));
    for (double& v : z) v = rng.normal();
    for (int64_t i = 0; i < d; ++i) {
      double v = g.mean[size_t(i)];
      for (int64_t j = 0; j <= i; ++j) v += l[size_t(i * d + j)] * z[size_t(j)];
      out[size_t(r * d + i)] = v;
    }
  }
  return from_vector(out, Shape{n, d});
}

Tensor columns(const Tensor& rows, const std::vector<int64_t>& cols) {
  const int64_t n = rows.size(0), t = rows.size(1), d = int64_t(cols.size());
  std::vector<double> out(size_t(n * d));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) out[size_t(i * d + j)] = rows.data<double>()[i * t + cols[size_t(j)]];
  return from_vector(out, Shape{n, d});
}

// The worst standardised errors of the sample means and variances against g, with n/4 effective
// samples: mean error in standard errors, and |variance ratio − 1| in standard errors.
struct MomentErrors {
  double mean_z = 0, var_z = 0;
};

MomentErrors moment_errors(const Tensor& samples, const Gaussian& g) {
  const int64_t n = samples.size(0), d = samples.size(1);
  const double n_eff = double(n) / 4;
  MomentErrors e;
  for (int64_t j = 0; j < d; ++j) {
    double m = 0, v = 0;
    for (int64_t i = 0; i < n; ++i) m += samples.data<double>()[i * d + j] / double(n);
    for (int64_t i = 0; i < n; ++i) v += std::pow(samples.data<double>()[i * d + j] - m, 2) / double(n - 1);
    const double sd = std::sqrt(g.cov[size_t(j * d + j)]);
    e.mean_z = std::max(e.mean_z, std::abs(m - g.mean[size_t(j)]) / (sd / std::sqrt(n_eff)));
    e.var_z = std::max(e.var_z, std::abs(v / (sd * sd) - 1) / std::sqrt(2 / n_eff));
  }
  return e;
}

// θ (0..9) and x (10..19) indices: a spread of masks (posterior, likelihood, mixed).
std::vector<Observed> gaussian_linear_masks(const Tensor& joint_draw) {
  const double* v = joint_draw.data<double>();
  auto pick = [&](const std::vector<int64_t>& idx) {
    Observed o;
    for (int64_t i : idx) o.emplace_back(i, v[i]);
    return o;
  };
  return {
      pick({10, 11, 12, 13, 14, 15, 16, 17, 18, 19}),  // posterior
      pick({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}),            // likelihood
      pick({0, 3, 11, 12, 15, 19}),                    // mixed: θ_2 | x_2, x_1 | θ_1, (θ_5, x_5) jointly
      pick({2, 17}),                                   // mostly latent
  };
}

std::vector<int64_t> latent_of(const Observed& o, int64_t t) {
  std::vector<int64_t> latent;
  for (int64_t i = 0; i < t; ++i)
    if (std::none_of(o.begin(), o.end(), [&](const auto& p) { return p.first == i; })) latent.push_back(i);
  return latent;
}

constexpr double kZ = 5.0;  // bounds in (effective) standard errors

TEST(ConditionalReference, GaussianLinearMatchesExactConditionalMoments) {
  const TaskPtr task = make_task("gaussian_linear");
  const Dataset d = simulate_dataset(*task->prior(), *task->simulator(), 1, 31);
  const Tensor joint = concat({d.theta, d.x}, 1);
  const std::vector<double> s = gaussian_linear_cov(0.1);
  int k = 0;
  for (const Observed& o : gaussian_linear_masks(joint)) {
    const std::vector<int64_t> latent = latent_of(o, 20);
    const Gaussian g = condition(s, 20, o, latent);
    ConditionalReferenceDiagnostics diag;
    const Tensor rows = conditional_reference_samples(*task, o, 2000, 5 + uint64_t(k), {}, &diag);
    ASSERT_EQ(rows.shape(), (Shape{2000, 20}));
    for (const auto& [i, v] : o) ASSERT_EQ(rows.data<double>()[i], v);  // observed entries copied
    const MomentErrors e = moment_errors(columns(rows, latent), g);
    EXPECT_LT(e.mean_z, kZ) << "mask " << k;
    EXPECT_LT(e.var_z, kZ) << "mask " << k;
    EXPECT_GE(diag.stages, 1);
    EXPECT_DOUBLE_EQ(diag.temperatures.back(), 1.0);
    EXPECT_GT(diag.acceptance, 0.05) << "mask " << k;
    ++k;
  }
}

// C2ST against exact draws, on the mixed mask (θ and x latent together): indistinguishable.
TEST(ConditionalReference, GaussianLinearC2stAgainstExactDrawsIsChance) {
  const TaskPtr task = make_task("gaussian_linear");
  const Dataset d = simulate_dataset(*task->prior(), *task->simulator(), 1, 31);
  const Observed o = gaussian_linear_masks(concat({d.theta, d.x}, 1))[2];
  const std::vector<int64_t> latent = latent_of(o, 20);
  const Gaussian g = condition(gaussian_linear_cov(0.1), 20, o, latent);
  const Tensor smc = columns(conditional_reference_samples(*task, o, 2000, 8), latent);
  EXPECT_LT(c2st(exact_draws(g, 2000, 3), smc), 0.55);
}

// A task whose joint density has the wrong likelihood noise (std doubled): the sampler's output
// follows that density, and the checks above must reject it.
class WrongGaussianLinear final : public Task {
 public:
  WrongGaussianLinear() : base_(make_task("gaussian_linear")) {}
  std::string name() const override { return "wrong_gaussian_linear"; }
  DistributionPtr prior() const override { return base_->prior(); }
  SimulatorPtr simulator() const override { return base_->simulator(); }
  bool has_joint_log_density() const override { return true; }
  double joint_log_density_one(const double* row) const override {
    double lp = base_->prior()->log_prob_one(row);
    for (int i = 0; i < 10; ++i) lp += log_normal_pdf(row[10 + i], row[i], 2 * std::sqrt(0.1));
    return lp;
  }

 private:
  TaskPtr base_;
};

TEST(ConditionalReference, ChecksRejectSamplesOfAWrongDensity) {
  const TaskPtr truth = make_task("gaussian_linear");
  const Dataset d = simulate_dataset(*truth->prior(), *truth->simulator(), 1, 31);
  const Tensor joint = concat({d.theta, d.x}, 1);
  const WrongGaussianLinear wrong;
  const std::vector<double> s = gaussian_linear_cov(0.1);
  const Observed posterior = gaussian_linear_masks(joint)[0];
  const std::vector<int64_t> latent = latent_of(posterior, 20);
  const Gaussian g = condition(s, 20, posterior, latent);
  const Tensor bad = columns(conditional_reference_samples(wrong, posterior, 2000, 5), latent);
  const MomentErrors e = moment_errors(bad, g);
  // θ | x: variance 0.08 instead of 0.05 in every coordinate.
  EXPECT_GT(e.var_z, kZ);
  // ... and the samples do follow the wrong density (its own conditional: noise variance 0.4).
  const MomentErrors self = moment_errors(bad, condition(gaussian_linear_cov(0.4), 20, posterior, latent));
  EXPECT_LT(self.mean_z, kZ);
  EXPECT_LT(self.var_z, kZ);
  EXPECT_GT(c2st(exact_draws(g, 2000, 3), bad), 0.6);
}

// ---- hmm: θ4, θ5 given everything else, against a 2-d grid ---------------------------------

struct Grid2d {
  double lo = -3, step = 0.005;
  int64_t n = 1201;
  std::vector<double> p;  // [n, n] normalised cell masses, p[i * n + j] at (θ4_i, θ5_j)
  double at(int64_t i) const { return lo + step * double(i); }
};

// The unnormalised conditional of (θ4, θ5), from the model's definition (std 0.5 everywhere).
Grid2d hmm_grid(const std::vector<double>& row, double noise) {
  Grid2d g;
  g.p.resize(size_t(g.n * g.n));
  double mx = -std::numeric_limits<double>::infinity();
  std::vector<double> lp(g.p.size());
  for (int64_t i = 0; i < g.n; ++i)
    for (int64_t j = 0; j < g.n; ++j) {
      const double a = g.at(i), b = g.at(j);
      const double v = log_normal_pdf(a, row[3], 0.5) + log_normal_pdf(b, a, 0.5) + log_normal_pdf(row[6], b, 0.5) +
                       log_normal_pdf(row[14], a * a, noise) + log_normal_pdf(row[15], b * b, noise);
      lp[size_t(i * g.n + j)] = v;
      mx = std::max(mx, v);
    }
  double s = 0;
  for (size_t k = 0; k < lp.size(); ++k) s += (g.p[k] = std::exp(lp[k] - mx));
  for (double& v : g.p) v /= s;
  return g;
}

struct HmmFit {
  double ks4 = 0, ks5 = 0;  // KS distances · sqrt(n_eff) of the θ4 and θ5 marginals
  double quadrant_z = 0;    // worst quadrant-probability error, in effective standard errors
};

HmmFit compare_to_grid(const Tensor& rows, const Grid2d& g) {
  const int64_t n = rows.size(0);
  std::vector<double> cdf4(size_t(g.n), 0.0), cdf5(size_t(g.n), 0.0);
  double quad[4] = {0, 0, 0, 0};
  for (int64_t i = 0; i < g.n; ++i)
    for (int64_t j = 0; j < g.n; ++j) {
      const double p = g.p[size_t(i * g.n + j)];
      cdf4[size_t(i)] += p, cdf5[size_t(j)] += p;
      quad[(g.at(i) > 0 ? 2 : 0) + (g.at(j) > 0 ? 1 : 0)] += p;
    }
  for (int64_t i = 1; i < g.n; ++i) cdf4[size_t(i)] += cdf4[size_t(i - 1)], cdf5[size_t(i)] += cdf5[size_t(i - 1)];
  // Cell i holds [at(i) − step/2, at(i) + step/2): interpolate the CDF linearly inside it.
  auto cdf = [&](const std::vector<double>& c, double v) {
    const double u = (v - g.lo) / g.step + 0.5;
    if (u <= 0) return 0.0;
    const int64_t i = int64_t(std::floor(u));
    if (i >= g.n) return 1.0;
    const double before = i > 0 ? c[size_t(i - 1)] : 0.0;
    return before + (c[size_t(i)] - before) * (u - double(i));
  };
  std::vector<double> a, b;
  double got[4] = {0, 0, 0, 0};
  for (int64_t r = 0; r < n; ++r) {
    a.push_back(rows.data<double>()[r * 20 + 4]);
    b.push_back(rows.data<double>()[r * 20 + 5]);
    got[(a.back() > 0 ? 2 : 0) + (b.back() > 0 ? 1 : 0)] += 1.0 / double(n);
  }
  const double n_eff = double(n) / 4, shrink = std::sqrt(n_eff / double(n));
  HmmFit f;
  f.ks4 = test::ks_scaled(a, [&](double v) { return cdf(cdf4, v); }) * shrink;
  f.ks5 = test::ks_scaled(b, [&](double v) { return cdf(cdf5, v); }) * shrink;
  for (int q = 0; q < 4; ++q)
    f.quadrant_z = std::max(f.quadrant_z, std::abs(got[q] - quad[q]) /
                                              std::sqrt(std::max(quad[q] * (1 - quad[q]), 1e-4) / n_eff));
  return f;
}

// θ3 and θ6 near 0 and x4 = x5 = 1: θ4, θ5 ≈ ±1 each, four sign modes of unequal mass (the walk
// favours equal signs).
std::vector<double> hmm_condition_row() {
  std::vector<double> row = {0.1, -0.2, 0.05, 0.1, 0, 0, 0.15, 0.3, 0.2, -0.1,
                             0.2, 0.1, -0.3, 0.4, 1.0, 1.0, 0.0, 0.5, 0.1, 0.3};
  return row;
}

Observed all_but(const std::vector<double>& row, const std::vector<int64_t>& latent) {
  Observed o;
  for (int64_t i = 0; i < int64_t(row.size()); ++i)
    if (std::find(latent.begin(), latent.end(), i) == latent.end()) o.emplace_back(i, row[size_t(i)]);
  return o;
}

TEST(ConditionalReference, HmmSignModesMatchGridQuadrature) {
  const TaskPtr task = make_task("hmm");
  const std::vector<double> row = hmm_condition_row();
  const Observed o = all_but(row, {4, 5});
  const Tensor rows = conditional_reference_samples(*task, o, 4000, 11);
  const Grid2d grid = hmm_grid(row, 0.5);
  const HmmFit f = compare_to_grid(rows, grid);
  EXPECT_LT(f.ks4, test::kKsCritical);
  EXPECT_LT(f.ks5, test::kKsCritical);
  EXPECT_LT(f.quadrant_z, kZ);
  // The same comparison rejects the conditional of a wrong observation noise (0.3 for 0.5).
  const HmmFit wrong = compare_to_grid(rows, hmm_grid(row, 0.3));
  EXPECT_TRUE(wrong.ks4 > test::kKsCritical || wrong.ks5 > test::kKsCritical || wrong.quadrant_z > kZ)
      << wrong.ks4 << " " << wrong.ks5 << " " << wrong.quadrant_z;
}

// ---- tree -------------------------------------------------------------------------------------

TEST(ConditionalReference, TreeRootGivenItsChildrenIsGaussian) {
  // θ1 | θ2, θ3: prior N(0, 1) and two N(θ1, 1) children → N((θ2 + θ3) / 3, 1/3).
  const TaskPtr task = make_task("tree");
  const Observed o = {{1, 0.8}, {2, -1.4}, {3, 0.3}, {4, 0.1}, {5, 0.5}, {6, 0.2}};
  const Tensor rows = conditional_reference_samples(*task, o, 4000, 12);
  std::vector<double> v;
  for (int64_t r = 0; r < 4000; ++r) v.push_back(rows.data<double>()[r * 7]);
  const double mean = (0.8 - 1.4) / 3, sd = std::sqrt(1.0 / 3);
  EXPECT_LT(test::ks_scaled(v, [&](double t) { return test::normal_cdf((t - mean) / sd); }) * 0.5, test::kKsCritical);
}

TEST(ConditionalReference, TreeBranchGivenItsDataMatchesQuadrature) {
  // θ2 | θ1, x1, x2 ∝ N(θ2; θ1, 1) N(x1; sin²θ2, 0.2²) N(x2; 0.1 θ2², 0.2²): several modes.
  const TaskPtr task = make_task("tree");
  const double theta1 = 0.3, x1 = 0.6, x2 = 0.25;
  const Observed o = {{0, theta1}, {2, 0.4}, {3, x1}, {4, x2}, {5, 0.1}, {6, 0.7}};
  const Tensor rows = conditional_reference_samples(*task, o, 4000, 13);
  const double lo = -8, step = 1e-3;
  const int64_t n = 16001;
  std::vector<double> cdf(static_cast<size_t>(n));
  double s = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double t = lo + step * double(i);
    s += std::exp(log_normal_pdf(t, theta1, 1) + log_normal_pdf(x1, std::pow(std::sin(t), 2), 0.2) +
                  log_normal_pdf(x2, 0.1 * t * t, 0.2));
    cdf[size_t(i)] = s;
  }
  for (double& c : cdf) c /= s;
  std::vector<double> v;
  for (int64_t r = 0; r < 4000; ++r) v.push_back(rows.data<double>()[r * 7 + 1]);
  auto f = [&](double t) {
    const int64_t i = std::clamp<int64_t>(int64_t(std::lround((t - lo) / step)), 0, n - 1);
    return cdf[size_t(i)];
  };
  EXPECT_LT(test::ks_scaled(v, f) * 0.5, test::kKsCritical);
}

// ---- sbibm posteriors: an independent reference sampler --------------------------------------

// θ | x_o from the joint density against sbibm's reference posterior samples (rejection /
// importance sampling in sbibm), for observation 1: indistinguishable.
void expect_matches_sbibm(const std::string& name) {
  AMOR_SKIP_WITHOUT_SBIBM(name);
  const TaskPtr task = make_task(name);
  const Tensor x_o = task->observation(1).contiguous();
  Observed o;
  for (int64_t j = 0; j < task->x_dim(); ++j) o.emplace_back(task->theta_dim() + j, x_o.data<double>()[j]);
  std::vector<int64_t> theta(size_t(task->theta_dim()));
  for (int64_t j = 0; j < task->theta_dim(); ++j) theta[size_t(j)] = j;
  const Tensor smc = columns(conditional_reference_samples(*task, o, 2000, 17), theta);
  const Tensor reference = task->reference_samples(1).narrow(0, 0, 2000).contiguous();
  EXPECT_LT(c2st(reference, smc), 0.55) << name;
}

TEST(ConditionalReference, TwoMoonsPosteriorMatchesSbibmReference) { expect_matches_sbibm("two_moons"); }
TEST(ConditionalReference, GaussianLinearUniformPosteriorMatchesSbibmReference) {
  expect_matches_sbibm("gaussian_linear_uniform");
}

// ---- determinism and bad input ------------------------------------------------------------------

TEST(ConditionalReference, SameSeedSameSamplesForAnyThreadCount) {
  const TaskPtr task = make_task("tree");
  const Observed o = {{3, 0.5}, {6, 0.4}};
  ConditionalReferenceOptions one, two;
  one.num_threads = 1, two.num_threads = 2;
  one.final_moves = two.final_moves = 2;
  const Tensor a = conditional_reference_samples(*task, o, 500, 3, one);
  const Tensor b = conditional_reference_samples(*task, o, 500, 3, two);
  const Tensor c = conditional_reference_samples(*task, o, 500, 4, one);
  ASSERT_EQ(a.to_vector<double>(), b.to_vector<double>());
  EXPECT_NE(a.to_vector<double>(), c.to_vector<double>());
}

TEST(ConditionalReference, BadInputIsAValueError) {
  const TaskPtr task = make_task("gaussian_linear_uniform");
  EXPECT_THROW(conditional_reference_samples(*task, {{0, 0.1}, {0, 0.2}}, 10, 1), ValueError);
  EXPECT_THROW(conditional_reference_samples(*task, {{20, 0.1}}, 10, 1), ValueError);
  EXPECT_THROW(conditional_reference_samples(*task, {{0, 1.5}}, 10, 1), ValueError);  // θ outside U(-1, 1)
  EXPECT_THROW(conditional_reference_samples(*task, {{0, 0.1}}, 0, 1), ValueError);
  Observed all;
  for (int64_t i = 0; i < 20; ++i) all.emplace_back(i, 0.0);
  EXPECT_THROW(conditional_reference_samples(*task, all, 10, 1), ValueError);
  ConditionalReferenceOptions bad;
  bad.ess_fraction = 1.0;
  EXPECT_THROW(conditional_reference_samples(*task, {{0, 0.1}}, 10, 1, bad), ValueError);
  // The generic form: a base of the wrong size, a density that is -inf everywhere.
  const JointRowLogDensity flat = [](const double*) { return 0.0; };
  EXPECT_THROW(conditional_reference_samples(flat, 2, {}, GaussianBase{{0.0}, {1.0}}, Support{}, 10, 1), ValueError);
  const JointRowLogDensity nowhere = [](const double*) { return -std::numeric_limits<double>::infinity(); };
  EXPECT_THROW(conditional_reference_samples(nowhere, 1, {}, GaussianBase{{0.0}, {1.0}}, Support{}, 10, 1), ValueError);
  EXPECT_THROW(conditional_reference_samples(*make_task("slcp"), {{0, 0.1}}, 10, 1), NotImplementedError);
}

}  // namespace
}  // namespace amor::sbi

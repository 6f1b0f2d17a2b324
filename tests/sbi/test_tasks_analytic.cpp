// Per-task analytic checks of the sbibm simulators, priors and analytic posteriors, and of the
// truncated normal sampler behind gaussian_linear_uniform's posterior.
//
// Tolerances: each Monte-Carlo check allows about 5 standard errors of the estimate (given in
// the comments), so a correct implementation passes for essentially every seed, while each
// defect named in a comment moves the estimate by many standard errors.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "core/tensor.h"
#include "sbi/io/csv.h"
#include "sbi/task.h"
#include "sbi/tasks/bernoulli_glm.h"
#include "sbi/tasks/truncated_normal.h"
#include "task_test_util.h"

namespace amor::sbi {
namespace {

// n copies of theta as [n, d].
Tensor repeat_rows(const std::vector<double>& theta, int64_t n) {
  std::vector<double> rows;
  for (int64_t i = 0; i < n; ++i) rows.insert(rows.end(), theta.begin(), theta.end());
  return from_vector<double>(rows, {n, int64_t(theta.size())});
}

struct Moments {
  std::vector<double> mean, var;
};
Moments column_moments(const Tensor& x) {
  const int64_t n = x.size(0), d = x.size(1);
  const double* p = x.data<double>();
  Moments m{std::vector<double>(size_t(d), 0.0), std::vector<double>(size_t(d), 0.0)};
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) m.mean[size_t(j)] += p[i * d + j] / double(n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      const double c = p[i * d + j] - m.mean[size_t(j)];
      m.var[size_t(j)] += c * c / double(n - 1);
    }
  return m;
}

// ---- gaussian_linear ----------------------------------------------------------------------------

// x | θ ~ N(θ, 0.1·I): with n = 20 000, the mean has standard error 0.0022 (tolerance 0.012) and
// the variance 0.001 (tolerance 0.006). A std of 0.1 instead of a variance of 0.1 gives 0.01.
TEST(GaussianLinear, SimulatorMoments) {
  const TaskPtr task = make_task("gaussian_linear");
  std::vector<double> theta(10);
  for (int i = 0; i < 10; ++i) theta[size_t(i)] = -0.5 + 0.1 * i;
  const Moments m = column_moments(simulate(*task->simulator(), repeat_rows(theta, 20000), 3));
  for (int i = 0; i < 10; ++i) {
    EXPECT_NEAR(m.mean[size_t(i)], theta[size_t(i)], 0.012) << i;
    EXPECT_NEAR(m.var[size_t(i)], 0.1, 0.006) << i;
  }
}

// The prior is N(0, 0.1·I) (a variance), the uniform variant U(-1, 1)^10.
TEST(GaussianLinear, Priors) {
  const auto prior = make_task("gaussian_linear")->prior();
  const Moments m = column_moments(prior->sample(20000, 4));
  for (int i = 0; i < 10; ++i) {
    EXPECT_NEAR(m.mean[size_t(i)], 0.0, 0.012);
    EXPECT_NEAR(m.var[size_t(i)], 0.1, 0.006);
  }
  const Support s = make_task("gaussian_linear_uniform")->prior()->support();
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(s.lower[size_t(i)], -1.0);
    EXPECT_EQ(s.upper[size_t(i)], 1.0);
  }
}

// Posterior N(x/2, 0.05·I), n = 20 000: mean s.e. 0.0016 (tol 0.008), variance s.e. 0.0005
// (tol 0.003). Returning N(x, 0.1) (the likelihood) or forgetting the prior shrinkage fails.
TEST(GaussianLinear, AnalyticPosteriorMoments) {
  const TaskPtr task = make_task("gaussian_linear");
  ASSERT_TRUE(task->has_analytic_posterior());
  std::vector<double> x(10);
  for (int i = 0; i < 10; ++i) x[size_t(i)] = 0.8 - 0.17 * i;
  const Tensor s = task->analytic_posterior_samples(from_vector<double>(x, {1, 10}), 20000, 8);
  ASSERT_EQ(s.shape(), Shape({20000, 10}));
  const Moments m = column_moments(s);
  for (int i = 0; i < 10; ++i) {
    EXPECT_NEAR(m.mean[size_t(i)], 0.5 * x[size_t(i)], 0.008) << i;
    EXPECT_NEAR(m.var[size_t(i)], 0.05, 0.003) << i;
  }
  EXPECT_THROW(task->analytic_posterior_samples(from_vector<double>({1.0, 2.0}), 10, 1), ShapeError);
}

// Row i of the analytic samples uses its own Rng, so the thread count does not matter.
TEST(GaussianLinear, AnalyticPosteriorIsThreadCountIndependent) {
  const TaskPtr task = make_task("gaussian_linear_uniform");
  const Tensor x_o = from_vector<double>(std::vector<double>(10, 0.9), {1, 10});
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto a = task->analytic_posterior_samples(x_o, 5000, 4).to_vector<double>();
  omp_set_num_threads(2);
  const auto b = task->analytic_posterior_samples(x_o, 5000, 4).to_vector<double>();
  omp_set_num_threads(saved);
  EXPECT_EQ(a, b);
}

// The analytic posteriors against sbibm's stored reference samples for observation 1 (10 000
// each): the difference of two sample means has s.e. sqrt(2·σ²/10 000) (0.0032 for σ² = 0.05;
// tolerance 5 s.e.); the variances agree within 10 % (the s.e. of their ratio is ~2 %).
TEST(GaussianLinear, AnalyticPosteriorMatchesReferenceSamples) {
  AMOR_SKIP_WITHOUT_SBIBM("gaussian_linear_uniform");
  for (const std::string name : {"gaussian_linear", "gaussian_linear_uniform"}) {
    SCOPED_TRACE(name);
    const TaskPtr task = make_task(name);
    const Moments ref = column_moments(task->reference_samples(1));
    const Tensor s = task->analytic_posterior_samples(task->observation(1), 10000, 12);
    const Moments m = column_moments(s);
    const double* p = s.data<double>();
    if (name == "gaussian_linear_uniform") {
      for (int64_t i = 0; i < s.numel(); ++i) ASSERT_LE(std::abs(p[i]), 1.0);
    }
    for (int i = 0; i < 10; ++i) {
      const double se = std::sqrt(2.0 * ref.var[size_t(i)] / 10000.0);
      EXPECT_NEAR(m.mean[size_t(i)], ref.mean[size_t(i)], 5.0 * se) << i;
      EXPECT_NEAR(m.var[size_t(i)] / ref.var[size_t(i)], 1.0, 0.1) << i;
    }
  }
}

// ---- truncated normal -----------------------------------------------------------------------------

// Mean and variance of N(0, 1) restricted to [a, b], by quadrature (the obviously correct twin).
Moments truncated_moments_by_quadrature(double a, double b) {
  const double lo = std::max(a, -12.0), hi = std::min(b, 12.0);
  const int n = 200000;
  const double h = (hi - lo) / n;
  double z = 0.0, m1 = 0.0, m2 = 0.0;
  for (int i = 0; i <= n; ++i) {
    const double x = lo + h * i, w = (i == 0 || i == n) ? 0.5 : 1.0;
    const double f = w * std::exp(-0.5 * x * x);
    z += f;
    m1 += f * x;
    m2 += f * x * x;
  }
  const double mean = m1 / z;
  return {{mean}, {m2 / z - mean * mean}};
}

// Every branch of the sampler: the wide interval around 0 (normal rejection), a narrow one
// around 0 (uniform), a one-sided far tail (exponential), a narrow far-tail interval (uniform
// in the tail), a left tail (mirror) and the unbounded case. n = 40 000: mean s.e. is
// sd/200 <= 0.005 (tol 5 s.e.); the variance within 6 %.
TEST(TruncatedNormal, MomentsMatchQuadratureInEveryRegime) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<double, double>> cases = {
      {-1.5, 2.0}, {-0.3, 0.9}, {3.0, inf}, {4.0, 4.2}, {0.2, 0.25}, {-inf, -2.5}, {-inf, inf}, {6.0, 9.0}};
  for (const auto& [a, b] : cases) {
    SCOPED_TRACE("[" + std::to_string(a) + ", " + std::to_string(b) + "]");
    const Moments want = truncated_moments_by_quadrature(a, b);
    const int n = 40000;
    double s1 = 0.0, s2 = 0.0;
    for (int i = 0; i < n; ++i) {
      Rng rng(77, kUserStreamBase, uint64_t(i));
      // mean 2, std 0.5: the standardised interval is [a, b].
      const double v = tasks::truncated_normal(rng, 2.0, 0.5, 2.0 + 0.5 * a, 2.0 + 0.5 * b);
      const double z = (v - 2.0) / 0.5;
      ASSERT_GE(z, a - 1e-12);
      ASSERT_LE(z, b + 1e-12);
      s1 += z;
      s2 += z * z;
    }
    const double mean = s1 / n, var = s2 / n - mean * mean;
    const double sd = std::sqrt(want.var[0]);
    EXPECT_NEAR(mean, want.mean[0], 5.0 * sd / std::sqrt(double(n)));
    EXPECT_NEAR(var / want.var[0], 1.0, 0.06);
  }
}

TEST(TruncatedNormal, RejectsBadArguments) {
  Rng rng(1, kUserStreamBase, 0);
  EXPECT_THROW(tasks::truncated_normal(rng, 0.0, 0.0, -1.0, 1.0), ValueError);
  EXPECT_THROW(tasks::truncated_normal(rng, 0.0, 1.0, 1.0, 1.0), ValueError);
  EXPECT_THROW(tasks::truncated_normal(rng, std::nan(""), 1.0, -1.0, 1.0), ValueError);
}

// ---- two_moons ----------------------------------------------------------------------------------

// For fixed θ the points lie on a half circle of radius r ~ N(0.1, 0.01²) around
// c = (0.25 - |θ1+θ2|/√2, (θ2-θ1)/√2), at angles U(-π/2, π/2). n = 20 000: the radius mean has
// s.e. 7e-5 and its std 5e-5 (tol 5e-4); the angle mean s.e. 0.0064 (tol 0.04), its variance
// π²/12 within 3 %, and the extremes come within 0.01 of ±π/2. A wrong centre (sign of the
// fold, the 0.25 offset) turns the radius distribution into something else entirely.
TEST(TwoMoons, PointsLieOnTheShiftedHalfCircle) {
  const TaskPtr task = make_task("two_moons");
  const double t1 = 0.3, t2 = -0.1;
  const int64_t n = 20000;
  const Tensor x = simulate(*task->simulator(), repeat_rows({t1, t2}, n), 6);
  const double cx = 0.25 - std::abs(t1 + t2) / std::numbers::sqrt2, cy = (t2 - t1) / std::numbers::sqrt2;
  const double* p = x.data<double>();
  double r1 = 0.0, r2 = 0.0, a1 = 0.0, a2 = 0.0, amin = 10.0, amax = -10.0;
  for (int64_t i = 0; i < n; ++i) {
    const double dx = p[2 * i] - cx, dy = p[2 * i + 1] - cy;
    const double r = std::hypot(dx, dy), a = std::atan2(dy, dx);
    r1 += r;
    r2 += r * r;
    a1 += a;
    a2 += a * a;
    amin = std::min(amin, a);
    amax = std::max(amax, a);
  }
  const double rm = r1 / n, rs = std::sqrt(r2 / n - rm * rm), am = a1 / n, av = a2 / n - am * am;
  const double pi = std::numbers::pi;
  EXPECT_NEAR(rm, 0.1, 5e-4);
  EXPECT_NEAR(rs, 0.01, 5e-4);
  EXPECT_NEAR(am, 0.0, 0.04);
  EXPECT_NEAR(av / (pi * pi / 12.0), 1.0, 0.03);
  EXPECT_GE(amin, -pi / 2 - 1e-12);
  EXPECT_LE(amax, pi / 2 + 1e-12);
  EXPECT_LT(amin, -pi / 2 + 0.01);
  EXPECT_GT(amax, pi / 2 - 0.01);
}

// The fold: θ and its mirror image (-θ2, -θ1) give bit-identical x for the same Rng, which is
// what makes the posterior bimodal.
TEST(TwoMoons, MirrorParametersSimulateIdentically) {
  const TaskPtr task = make_task("two_moons");
  const Tensor a = simulate(*task->simulator(), repeat_rows({0.4, 0.7}, 100), 2);
  const Tensor b = simulate(*task->simulator(), repeat_rows({-0.7, -0.4}, 100), 2);
  EXPECT_EQ(a.to_vector<double>(), b.to_vector<double>());
}

// ---- gaussian_mixture -----------------------------------------------------------------------------

// x = θ + d with d ~ 0.5·N(0, I) + 0.5·N(0, 0.01·I), one component for both coordinates.
// n = 40 000:
//  * per-coordinate variance 0.5 + 0.005 = 0.505, s.e. 0.0056 (tol 0.03);
//  * P(|d| < 0.5) = 0.5·(1 - e^-12.5) + 0.5·(1 - e^-0.125) = 0.55875, s.e. 0.0025 (tol 0.0125);
//    a component drawn per coordinate gives 0.467, a wrong narrow scale (0.01 as std) or
//    weight moves it by > 0.05;
//  * Cov(d1², d2²) = 0.5·(1 + 1e-4) - 0.505² = 0.245, s.e. ~0.011 (tol 0.06); 0 if the
//    component were not shared (sbibm's pre-1.1 batch bug shared it across rows instead).
TEST(GaussianMixture, MixtureMomentsAndNarrowFraction) {
  const TaskPtr task = make_task("gaussian_mixture");
  const int64_t n = 40000;
  const Tensor x = simulate(*task->simulator(), repeat_rows({1.0, -2.0}, n), 13);
  const double* p = x.data<double>();
  double v1 = 0.0, v2 = 0.0, inside = 0.0, d11 = 0.0, d22 = 0.0, d12 = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double a = p[2 * i] - 1.0, b = p[2 * i + 1] + 2.0;
    v1 += a * a;
    v2 += b * b;
    inside += (a * a + b * b < 0.25);
    d11 += a * a;
    d22 += b * b;
    d12 += a * a * b * b;
  }
  EXPECT_NEAR(v1 / n, 0.505, 0.03);
  EXPECT_NEAR(v2 / n, 0.505, 0.03);
  const double want = 0.5 * (1.0 - std::exp(-12.5)) + 0.5 * (1.0 - std::exp(-0.125));
  EXPECT_NEAR(inside / n, want, 0.0125);
  EXPECT_NEAR(d12 / n - (d11 / n) * (d22 / n), 0.245, 0.06);
}

// Analytic posterior (the mixture around x_o, truncated to the box) against the stored reference
// samples of observation 1: mean s.e. sqrt(2·0.5/10 000) = 0.01 (tol 0.05), variance within 10 %.
TEST(GaussianMixture, AnalyticPosteriorMatchesReferenceSamples) {
  AMOR_SKIP_WITHOUT_SBIBM("gaussian_mixture");
  const TaskPtr task = make_task("gaussian_mixture");
  ASSERT_TRUE(task->has_analytic_posterior());
  const Moments ref = column_moments(task->reference_samples(1));
  const Moments m = column_moments(task->analytic_posterior_samples(task->observation(1), 10000, 3));
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(m.mean[size_t(i)], ref.mean[size_t(i)], 0.05) << i;
    EXPECT_NEAR(m.var[size_t(i)] / ref.var[size_t(i)], 1.0, 0.1) << i;
  }
  // Far outside the box there is nothing to sample by rejection.
  EXPECT_THROW(task->analytic_posterior_samples(from_vector<double>({60.0, 0.0}), 5, 1), ValueError);
}

// ---- slcp ---------------------------------------------------------------------------------------

// For fixed θ the 4 draws are iid N(m, Σ) with s_i = θ_{i+2}², ρ = tanh(θ5). n = 10 000 rows,
// 40 000 pooled draws: means s.e. s/200, variances within 3 % (s.e. ~0.7 %), the correlation
// within 0.02 (s.e. (1-ρ²)/200 ≈ 0.002), and the first and last draw uncorrelated (|r| < 0.03,
// s.e. 0.01). Using s = θ or Σ = diag(s) would fail.
TEST(Slcp, DrawsFollowTheStatedGaussian) {
  const TaskPtr task = make_task("slcp");
  const std::vector<double> theta = {0.7, -1.2, 1.3, -0.9, 0.6};
  const int64_t n = 10000;
  const Tensor x = simulate(*task->simulator(), repeat_rows(theta, n), 21);
  const double* p = x.data<double>();
  const double s1 = 1.3 * 1.3, s2 = 0.9 * 0.9, rho = std::tanh(0.6);
  double ma = 0, mb = 0, vaa = 0, vbb = 0, vab = 0, c14 = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int j = 0; j < 4; ++j) {
      ma += p[i * 8 + 2 * j];
      mb += p[i * 8 + 2 * j + 1];
    }
  ma /= 4.0 * n;
  mb /= 4.0 * n;
  for (int64_t i = 0; i < n; ++i) {
    for (int j = 0; j < 4; ++j) {
      const double a = p[i * 8 + 2 * j] - ma, b = p[i * 8 + 2 * j + 1] - mb;
      vaa += a * a;
      vbb += b * b;
      vab += a * b;
    }
    c14 += (p[i * 8] - ma) * (p[i * 8 + 6] - ma);
  }
  vaa /= 4.0 * n;
  vbb /= 4.0 * n;
  vab /= 4.0 * n;
  c14 /= double(n);
  EXPECT_NEAR(ma, 0.7, 5 * s1 / 200);
  EXPECT_NEAR(mb, -1.2, 5 * s2 / 200);
  EXPECT_NEAR(vaa / (s1 * s1 + 1e-6), 1.0, 0.03);
  EXPECT_NEAR(vbb / (s2 * s2 + 1e-6), 1.0, 0.03);
  EXPECT_NEAR(vab / std::sqrt(vaa * vbb), rho, 0.02);
  EXPECT_NEAR(c14 / vaa, 0.0, 0.03);
}

// slcp_distractors: the real values are slcp's own draws (same Rng, same order) at the output
// positions the permutation gives them, for simulations and for the stored observations alike
// (sbibm built observation_distractors.csv from observation.csv).
TEST(SlcpDistractors, RealValuesSitWhereThePermutationPutsThem) {
  AMOR_SKIP_WITHOUT_SBIBM("slcp");
  const TaskPtr plain = make_task("slcp"), distr = make_task("slcp_distractors");
  const auto names = plain->x_names(), dnames = distr->x_names();
  std::vector<int64_t> pos(8, -1);
  for (size_t j = 0; j < dnames.size(); ++j)
    for (size_t k = 0; k < 8; ++k)
      if (dnames[j] == names[k]) pos[k] = int64_t(j);
  // sbibm's README: real dims 6, 5, 0, 2, 1, 4, 3, 7 at positions 16, 21, 22, 23, 33, 42, 67, 90.
  const std::vector<int64_t> want = {22, 33, 23, 67, 42, 21, 16, 90};
  EXPECT_EQ(pos, want);
  const Tensor theta = plain->prior()->sample(50, 3);
  const auto xp = simulate(*plain->simulator(), theta, 17).to_vector<double>();
  const auto xd = simulate(*distr->simulator(), theta, 17).to_vector<double>();
  for (int64_t i = 0; i < 50; ++i)
    for (int k = 0; k < 8; ++k) ASSERT_EQ(xd[size_t(i * 100 + pos[size_t(k)])], xp[size_t(i * 8 + k)]);
  for (int k = 1; k <= 10; ++k) {
    const auto op = plain->observation(k).to_vector<double>();
    const auto od = distr->observation(k).to_vector<double>();
    for (int j = 0; j < 8; ++j) EXPECT_EQ(od[size_t(pos[size_t(j)])], op[size_t(j)]) << k << "," << j;
  }
}

// The 92 distractors, recomputed from the CSV constants with a plain dense matrix-vector product
// from the same random numbers (8 normals for slcp, then the component, the χ² and 92 normals):
// catches a transposed or mis-assembled scale matrix, a wrong df or location row, and the
// direction of the permutation.
TEST(SlcpDistractors, NoiseMatchesDenseTwin) {
  AMOR_SKIP_WITHOUT_SBIBM("slcp");
  const TaskPtr distr = make_task("slcp_distractors");
  const std::string dir = default_data_dir() + "/slcp/files/";
  const auto comps = io::read_csv(dir + "gmm_components.csv").values.to_vector<double>();
  const auto loc = io::read_csv(dir + "gmm_loc.csv").values.to_vector<double>();
  const auto tril = io::read_csv(dir + "gmm_scale_tril.csv.bz2").values.to_vector<double>();
  const auto perm = io::read_csv(dir + "permutation_idx.csv").values.to_vector<double>();
  const std::vector<double> theta = {0.5, -0.5, 1.0, 1.5, -0.2};
  const auto x = simulate(*distr->simulator(), repeat_rows(theta, 20), 31).to_vector<double>();
  for (int64_t i = 0; i < 20; ++i) {
    Rng rng(31, kSimulatorStream, uint64_t(i));
    for (int j = 0; j < 8; ++j) rng.normal();  // slcp's draws
    std::vector<double> w(20);
    for (int k = 0; k < 20; ++k) w[size_t(k)] = comps[size_t(k * 3 + 1)];
    const int64_t k = rng.categorical(w.data(), 20);
    const double df = comps[size_t(k * 3 + 2)];
    const double scale = std::sqrt(df / (2.0 * rng.gamma(0.5 * df)));
    std::vector<double> z(92);
    for (auto& v : z) v = scale * rng.normal();
    std::vector<double> full(100, 0.0);
    for (int r = 0; r < 92; ++r) {
      // Row r of component k in the file: the row whose (component, row) columns are (k+1, r+1).
      const double* row = nullptr;
      for (int64_t q = 0; q < 20 * 92; ++q)
        if (tril[size_t(q * 94)] == double(k + 1) && tril[size_t(q * 94 + 1)] == double(r + 1))
          row = tril.data() + q * 94 + 2;
      ASSERT_NE(row, nullptr);
      double s = loc[size_t(k * 92 + r)];
      for (int c = 0; c < 92; ++c) s += row[c] * z[size_t(c)];
      full[size_t(8 + r)] = s;
    }
    for (int o = 0; o < 100; ++o) {
      const int64_t src = int64_t(perm[size_t(o)]);
      if (src < 8) continue;
      ASSERT_NEAR(x[size_t(i * 100 + o)], full[size_t(src)], 1e-9 * (1.0 + std::abs(full[size_t(src)])))
          << "row " << i << " output " << o;
    }
  }
}

// The graph: distractors have no θ parent and no real-value parent.
TEST(SlcpDistractors, DistractorsHaveNoParameterParents) {
  AMOR_SKIP_WITHOUT_SBIBM("slcp");
  const TaskPtr distr = make_task("slcp_distractors");
  const Tensor g = distr->dag();
  const uint8_t* p = g.data<uint8_t>();
  const auto names = distr->x_names();
  for (int64_t j = 0; j < 100; ++j) {
    const bool is_distractor = names[size_t(j)].rfind("distractor_", 0) == 0;
    int64_t theta_parents = 0, real_parents = 0;
    for (int64_t i = 0; i < 5; ++i) theta_parents += p[(5 + j) * 105 + i];
    for (int64_t m = 0; m < 100; ++m)
      if (names[size_t(m)].rfind("distractor_", 0) != 0) real_parents += p[(5 + j) * 105 + 5 + m];
    if (is_distractor) {
      EXPECT_EQ(theta_parents, 0) << names[size_t(j)];
      EXPECT_EQ(real_parents, 0) << names[size_t(j)];
    } else {
      EXPECT_EQ(theta_parents, 5) << names[size_t(j)];
    }
  }
}

// ---- gaussian_linear / others: graph spot checks -----------------------------------------------------

TEST(SbibmDag, GaussianLinearIsDiagonal) {
  const Tensor g = make_task("gaussian_linear")->dag();
  const uint8_t* p = g.data<uint8_t>();
  for (int64_t c = 0; c < 20; ++c)
    for (int64_t q = 0; q < 20; ++q) EXPECT_EQ(p[c * 20 + q], c >= 10 && q == c - 10) << c << "," << q;
}

// ---- bernoulli_glm ------------------------------------------------------------------------------

// The prior's precision: log p(θ) - log p(0) = -θᵀBθ/2 with B written out here from sbibm's
// definition (B00 = 0.5; B[1:, 1:] = FᵀF, F = D·D + diag(sqrt(k/9)), D = I - subdiag(1)).
TEST(BernoulliGlm, PriorPrecisionIsTheSmoothnessMatrix) {
  AMOR_SKIP_WITHOUT_SBIBM("bernoulli_glm");
  const auto prior = make_task("bernoulli_glm")->prior();
  double d[9][9] = {}, f[9][9] = {}, b[10][10] = {};
  for (int i = 0; i < 9; ++i) {
    d[i][i] = 1.0;
    if (i > 0) d[i][i - 1] = -1.0;
  }
  for (int i = 0; i < 9; ++i)
    for (int j = 0; j < 9; ++j) {
      for (int k = 0; k < 9; ++k) f[i][j] += d[i][k] * d[k][j];
      if (i == j) f[i][j] += std::sqrt(i / 9.0);
    }
  b[0][0] = 0.5;
  for (int i = 0; i < 9; ++i)
    for (int j = 0; j < 9; ++j)
      for (int k = 0; k < 9; ++k) b[1 + i][1 + j] += f[k][i] * f[k][j];
  const Tensor theta = prior->sample(20, 2);
  const Tensor zero = zeros({1, 10}, {.dtype = DType::F64});
  const double lp0 = prior->log_prob(zero).item<double>();
  const auto lp = prior->log_prob(theta).to_vector<double>();
  const double* t = theta.data<double>();
  for (int64_t r = 0; r < 20; ++r) {
    double q = 0.0;
    for (int i = 0; i < 10; ++i)
      for (int j = 0; j < 10; ++j) q += t[r * 10 + i] * b[i][j] * t[r * 10 + j];
    EXPECT_NEAR(lp[size_t(r)] - lp0, -0.5 * q, 1e-8 * (1.0 + q)) << r;
  }
  // And the normaliser: log p(0) = -5 log(2π) + ½ log det B.
  double chol[10][10] = {}, logdet = 0.0;
  for (int i = 0; i < 10; ++i)
    for (int j = 0; j <= i; ++j) {
      double s = b[i][j];
      for (int k = 0; k < j; ++k) s -= chol[i][k] * chol[j][k];
      chol[i][j] = i == j ? std::sqrt(s) : s / chol[j][j];
    }
  for (int i = 0; i < 10; ++i) logdet += 2.0 * std::log(chol[i][i]);
  EXPECT_NEAR(lp0, -5.0 * std::log(2.0 * std::numbers::pi) + 0.5 * logdet, 1e-9);
}

// observation.csv holds the summaries of observation_raw.csv (all 10 observations): checks
// bernoulli_glm_summary against sbibm's conv1d (float32 files: tolerance 1e-3 as in the README).
TEST(BernoulliGlm, SummaryOfRawObservationIsTheObservation) {
  AMOR_SKIP_WITHOUT_SBIBM("bernoulli_glm");
  const TaskPtr task = make_task("bernoulli_glm"), raw = make_task("bernoulli_glm_raw");
  const auto stimulus = io::read_csv(default_data_dir() + "/bernoulli_glm/files/stimulus_I.csv").values.to_vector<double>();
  for (int k = 1; k <= 10; ++k) {
    const auto y = raw->observation(k).to_vector<double>();
    const auto want = task->observation(k).to_vector<double>();
    double got[10];
    tasks::bernoulli_glm_summary(y.data(), stimulus.data(), got);
    for (int j = 0; j < 10; ++j) EXPECT_NEAR(got[j], want[size_t(j)], 1e-3) << k << "," << j;
  }
}

// Saturated rates make the simulator deterministic: offset +40 fires in every bin (x = 100 spikes
// and the partial sums of the stimulus), offset -40 in none. Same θ and seed: the summary task
// returns exactly the summaries of the raw task's spike train. θ = 0 fires with p = 1/2:
// 20 000 trains, mean count 50 with s.e. 0.035 (tol 0.2).
TEST(BernoulliGlm, SimulatorSaturationConsistencyAndRate) {
  AMOR_SKIP_WITHOUT_SBIBM("bernoulli_glm");
  const TaskPtr task = make_task("bernoulli_glm"), raw = make_task("bernoulli_glm_raw");
  const auto stimulus = io::read_csv(default_data_dir() + "/bernoulli_glm/files/stimulus_I.csv").values.to_vector<double>();
  std::vector<double> on(10, 0.0), off(10, 0.0);
  on[0] = 40.0;
  off[0] = -40.0;
  const auto x_on = simulate(*task->simulator(), repeat_rows(on, 1), 1).to_vector<double>();
  const auto x_off = simulate(*task->simulator(), repeat_rows(off, 1), 1).to_vector<double>();
  EXPECT_EQ(x_on[0], 100.0);
  for (int l = 0; l < 9; ++l) {
    double s = 0.0;
    for (int t = 0; t < 100 - l; ++t) s += stimulus[size_t(t)];
    EXPECT_NEAR(x_on[size_t(1 + l)], s, 1e-9) << l;
  }
  for (double v : x_off) EXPECT_EQ(v, 0.0);

  const Tensor theta = task->prior()->sample(200, 8);
  const auto xs = simulate(*task->simulator(), theta, 4).to_vector<double>();
  const auto ys = simulate(*raw->simulator(), theta, 4).to_vector<double>();
  for (int64_t i = 0; i < 200; ++i) {
    double s[10];
    tasks::bernoulli_glm_summary(ys.data() + i * 100, stimulus.data(), s);
    for (int j = 0; j < 10; ++j) ASSERT_EQ(s[j], xs[size_t(i * 10 + j)]);
    for (int t = 0; t < 100; ++t) ASSERT_TRUE(ys[size_t(i * 100 + t)] == 0.0 || ys[size_t(i * 100 + t)] == 1.0);
  }
  const auto half = simulate(*task->simulator(), repeat_rows(std::vector<double>(10, 0.0), 20000), 5).to_vector<double>();
  double count = 0.0;
  for (int64_t i = 0; i < 20000; ++i) count += half[size_t(i * 10)];
  EXPECT_NEAR(count / 20000.0, 50.0, 0.2);
}

// The raw graph follows the design matrix: bin t has the offset and filter taps 0..min(t, 8)
// as parents; the filter prior is an AR(2) chain.
TEST(BernoulliGlm, RawGraphFollowsTheDesignMatrix) {
  AMOR_SKIP_WITHOUT_SBIBM("bernoulli_glm");
  const Tensor g = make_task("bernoulli_glm_raw")->dag();
  const uint8_t* p = g.data<uint8_t>();
  const int64_t t_all = 110;
  for (int64_t t = 0; t < 100; ++t)
    for (int64_t j = 0; j < 10; ++j)
      EXPECT_EQ(p[(10 + t) * t_all + j], j == 0 || j - 1 <= t) << t << "," << j;
  for (int64_t i = 0; i < 10; ++i)
    for (int64_t j = 0; j < 10; ++j)
      EXPECT_EQ(p[i * t_all + j], i >= 2 && j >= 1 && j < i && i - j <= 2) << i << "," << j;
}

}  // namespace
}  // namespace amor::sbi

// The reverse-time samplers driven by an exact score, so that only their discretisation is under
// test. The data distribution is a 1-D two-component Gaussian mixture, whose noised marginal
// p_t = Σ w_k N(α μ_k, α² v_k + s²) and score are known in closed form for either SDE. The
// mixture's unequal weights and widths catch a sampler that gets the drift's factor (½ for the
// ODE, 1 for the SDE), the noise scale or the denoiser wrong: each of those changes the mode
// weights or the spread far beyond the KS critical value.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "sbi/simformer/reverse_sampler.h"

namespace amor::sbi::simformer {
namespace {

struct Mixture {
  std::vector<double> weight{0.3, 0.7}, mean{-1.5, 1.0}, var{0.04, 0.16};

  // d/dx log p_t(x) with p_t the mixture pushed through x_t = α x_0 + s ε.
  double score(double x, double a, double s) const {
    double total = 0, weighted = 0;
    for (size_t k = 0; k < weight.size(); ++k) {
      const double c = a * a * var[k] + s * s, d = x - a * mean[k];
      const double p = weight[k] * std::exp(-0.5 * d * d / c) / std::sqrt(c);
      total += p;
      weighted += p * (-d / c);
    }
    return weighted / std::max(total, 1e-300);
  }

  double cdf(double x) const {
    double f = 0;
    for (size_t k = 0; k < weight.size(); ++k)
      f += weight[k] * 0.5 * std::erfc(-(x - mean[k]) / std::sqrt(2.0 * var[k]));
    return f;
  }
};

// Column 0 follows the mixture's score; column 1 is "observed" and gets a deliberately large
// score, which a sampler must ignore there.
ScoreFunction exact_score(const Mixture& mix, const Sde& sde) {
  return [&mix, &sde](const Tensor& x, double t) {
    const Tensor xc = x.contiguous();
    Tensor out = Tensor::empty(xc.shape(), DType::F32);
    const float* in = xc.data<float>();
    float* o = out.data<float>();
    const double a = sde.mean_factor(t), s = sde.std(t);
    for (int64_t i = 0; i < xc.size(0); ++i) {
      o[2 * i] = float(mix.score(double(in[2 * i]), a, s));
      o[2 * i + 1] = 123.0f;
    }
    return out;
  };
}

struct SamplerRun {
  std::vector<double> latent;
  std::vector<float> observed;
};

SamplerRun run_sampler(const Sde& sde, SamplerKind kind, int64_t steps, int64_t n, uint64_t seed) {
  const Mixture mix;
  Generator gen(seed, 7);
  const double a = sde.mean_factor(sde.t_max), s = sde.std(sde.t_max);
  // Latent column from the (approximate) marginal at t_max; observed column fixed at 0.7.
  Tensor x = randn({n, 2}, gen) * std::sqrt(a * a + s * s);
  Tensor latent = Tensor::empty({n, 2}, DType::F32);
  float* xd = x.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    xd[2 * i + 1] = 0.7f;
    latent.data<float>()[2 * i] = 1.0f;
    latent.data<float>()[2 * i + 1] = 0.0f;
  }
  const Tensor out = integrate_reverse(exact_score(mix, sde), sde, x, latent, kind, steps, gen).contiguous();
  SamplerRun r;
  for (int64_t i = 0; i < n; ++i) {
    r.latent.push_back(double(out.data<float>()[2 * i]));
    r.observed.push_back(out.data<float>()[2 * i + 1]);
  }
  return r;
}

double ks_distance(std::vector<double> v, const Mixture& mix) {
  std::sort(v.begin(), v.end());
  const double n = double(v.size());
  double d = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const double f = mix.cdf(v[i]);
    d = std::max({d, f - double(i) / n, double(i + 1) / n - f});
  }
  return d;
}

Sde ve() { return Sde{}; }
Sde vp() {
  Sde s;
  s.kind = SdeKind::VP;
  return s;
}

constexpr int64_t kSamples = 4000;
// Kolmogorov's distribution: P(√n·D > 1.95) ≈ 0.001.
const double kKsCritical = 1.95 / std::sqrt(double(kSamples));

struct Case {
  SamplerKind kind;
  int64_t steps;
};
void PrintTo(const Case& c, std::ostream* os) { *os << to_string(c.kind) << " x " << c.steps; }

class ExactScoreSamplers : public ::testing::TestWithParam<Case> {};

TEST_P(ExactScoreSamplers, MatchTheMixtureUnderVeAndVpAndKeepObservedEntries) {
  const Case c = GetParam();
  for (const Sde& sde : {ve(), vp()}) {
    const SamplerRun r = run_sampler(sde, c.kind, c.steps, kSamples, 11);
    const double d = ks_distance(r.latent, Mixture{});
    EXPECT_LT(d, kKsCritical) << to_string(c.kind) << " with " << c.steps << " steps, "
                              << (sde.kind == SdeKind::VE ? "VE" : "VP");
    for (float o : r.observed) ASSERT_EQ(o, 0.7f) << "an observed entry moved";
  }
}

INSTANTIATE_TEST_SUITE_P(Samplers, ExactScoreSamplers,
                         ::testing::Values(Case{SamplerKind::EulerMaruyama, 500}, Case{SamplerKind::HeunOde, 50},
                                           Case{SamplerKind::Ancestral, 100}, Case{SamplerKind::DpmSolver2M, 50}),
                         [](const ::testing::TestParamInfo<Case>& p) { return to_string(p.param.kind); });

// The point of the higher-order samplers: at 25 evaluations DPM-Solver++(2M) is already on target
// while Euler–Maruyama with as many steps is visibly off (its error shrinks only like 1/steps).
TEST(ExactScoreSamplers, DpmSolverNeedsFarFewerEvaluationsThanEulerMaruyama) {
  const Sde sde = ve();
  const SamplerRun dpm = run_sampler(sde, SamplerKind::DpmSolver2M, 25, kSamples, 3);
  const SamplerRun em = run_sampler(sde, SamplerKind::EulerMaruyama, 25, kSamples, 3);
  const double d_dpm = ks_distance(dpm.latent, Mixture{}), d_em = ks_distance(em.latent, Mixture{});
  EXPECT_LT(d_dpm, kKsCritical);
  EXPECT_GT(d_em, kKsCritical) << "Euler–Maruyama at 25 steps should not yet match (KS " << d_em << ")";
}

TEST(ExactScoreSamplers, SameSeedSameSamples) {
  for (SamplerKind kind : {SamplerKind::EulerMaruyama, SamplerKind::Ancestral}) {
    const SamplerRun a = run_sampler(ve(), kind, 20, 100, 5), b = run_sampler(ve(), kind, 20, 100, 5);
    EXPECT_EQ(a.latent, b.latent);
  }
}

TEST(ExactScoreSamplers, NamesAndEvaluationCounts) {
  for (SamplerKind kind : {SamplerKind::EulerMaruyama, SamplerKind::HeunOde, SamplerKind::Ancestral,
                           SamplerKind::DpmSolver2M})
    EXPECT_EQ(parse_sampler_kind(to_string(kind)), kind);
  EXPECT_THROW(parse_sampler_kind("rk4"), ValueError);
  EXPECT_EQ(network_evaluations(SamplerKind::HeunOde, 30), 60);
  EXPECT_EQ(network_evaluations(SamplerKind::DpmSolver2M, 30), 30);
  const std::vector<double> grid = reverse_time_grid(ve(), 4);
  ASSERT_EQ(grid.size(), 5u);
  EXPECT_EQ(grid.front(), ve().t_max);
  EXPECT_EQ(grid.back(), ve().t_min);
  EXPECT_THROW(reverse_time_grid(ve(), 0), ValueError);
}

}  // namespace
}  // namespace amor::sbi::simformer

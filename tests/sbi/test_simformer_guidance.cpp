// Constraint guidance, missing data and log-densities of the Simformer's conditional sampling
// (sbi/simformer/guidance.h, conditional_sampling.h, log_prob.h), driven by the exact score of a
// Gaussian so that only the guidance, the conditioning logic and the ODE are under test:
//   - intervals (two- and one-sided) on a standard normal must give ≥ 99 % of the samples inside and
//     match the truncated normal (KS); a 2-D correlated Gaussian truncated on one coordinate must
//     match rejection samples of the exact distribution in both coordinates; the guidance with its
//     sign flipped or its scale ten times too weak must fail the same checks;
//   - a NaN observation is sampled as latent and, with the other latents, matches the analytic
//     conditional given the remaining observations;
//   - log p of a conditional through the probability-flow ODE matches the analytic Gaussian
//     log-density (exact divergence tightly, Hutchinson's estimator on average), and a score whose
//     divergence is wrong (its Jacobian partly cut) fails that.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "sbi/simformer/conditional_sampling.h"
#include "sbi/simformer/guidance.h"
#include "sbi/simformer/log_prob.h"
#include "tests/sbi/exact_gaussian_score.h"
#include "tests/sbi/stat_util.h"

namespace amor::sbi::simformer {
namespace {

using ::amor::sbi::test::ks_distance;
using ::amor::sbi::test::ks_two_sample;
using ::amor::sbi::test::normal_cdf;

using test::JointGaussian;
using test::Matrix;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kSamples = 4000;

Sde ve() { return Sde{}; }
Sde vp() {
  Sde s;
  s.kind = SdeKind::VP;
  return s;
}



// P(√(nm/(n+m))·D > 1.95) ≈ 0.001 (Kolmogorov).
double ks_critical(double n, double m = kInf) { return 1.95 * std::sqrt(1.0 / n + (std::isinf(m) ? 0.0 : 1.0 / m)); }

std::vector<double> column(const Tensor& samples, int64_t j) {
  const Tensor c = samples.to(DType::F64).contiguous();
  std::vector<double> out;
  for (int64_t i = 0; i < c.size(0); ++i) out.push_back(c.data<double>()[i * c.size(1) + j]);
  return out;
}

double fraction_inside(const std::vector<double>& v, double lo, double hi) {
  return double(std::count_if(v.begin(), v.end(), [&](double x) { return x >= lo && x <= hi; })) / double(v.size());
}

Tensor bool_row(const std::vector<bool>& v) { return from_vector(v, Shape{int64_t(v.size())}); }

// Samples a standard-normal entry (entry 0) next to an observed, independent one (entry 1 at 0.7)
// under an interval on entry 0.
Tensor guided_standard_normal(const Sde& sde, SamplerKind kind, int64_t steps, double lo, double hi,
                              const GuidanceOptions& guidance, const MaskedScoreFunction* score_override = nullptr) {
  const JointGaussian joint{{0.0, 0.0}, {{1.0, 0.0}, {0.0, 1.0}}};
  const MaskedScoreFunction score = score_override ? *score_override : test::exact_score(joint, sde);
  SamplerSettings settings;
  settings.kind = kind;
  settings.steps = steps;
  settings.guidance = guidance;
  Constraints c(2);
  c.add_interval(0, lo, hi);
  return sample_conditional_standardised(score, sde, settings, from_vector(std::vector<double>{0.0, 0.7}),
                                         bool_row({false, true}), c, kSamples, 21);
}

double truncated_normal_cdf(double x, double lo, double hi) {
  const double a = normal_cdf(lo), b = normal_cdf(hi);
  return std::clamp((normal_cdf(x) - a) / (b - a), 0.0, 1.0);
}

struct IntervalCase {
  double lo, hi;
};

TEST(Guidance, IntervalsOnAStandardNormalMatchTheTruncatedNormal) {
  struct Run {
    Sde sde;
    SamplerKind kind;
    int64_t steps;
    GuidanceScale scale;
    IntervalCase interval;
  };
  const std::vector<Run> runs{
      {ve(), SamplerKind::Ancestral, 100, GuidanceScale::Tweedie, {0.5, 1.5}},
      {ve(), SamplerKind::Ancestral, 100, GuidanceScale::Tweedie, {1.0, kInf}},
      {ve(), SamplerKind::Ancestral, 100, GuidanceScale::Tweedie, {-kInf, 0.0}},
      {ve(), SamplerKind::Ancestral, 100, GuidanceScale::Tweedie, {-0.3, 0.3}},
      {ve(), SamplerKind::Ancestral, 100, GuidanceScale::PosteriorWidth, {1.0, kInf}},
      {vp(), SamplerKind::Ancestral, 100, GuidanceScale::Tweedie, {0.5, 1.5}},
      {vp(), SamplerKind::Ancestral, 100, GuidanceScale::Tweedie, {-kInf, 0.0}},
      {ve(), SamplerKind::EulerMaruyama, 200, GuidanceScale::Tweedie, {1.0, kInf}},
  };
  for (const Run& run : runs) {
    GuidanceOptions g;
    g.scale = run.scale;
    g.recurrence = 2;
    const IntervalCase ic = run.interval;
    const Tensor s = guided_standard_normal(run.sde, run.kind, run.steps, ic.lo, ic.hi, g);
    const std::vector<double> v = column(s, 0);
    const std::string what = to_string(run.kind) + (run.sde.kind == SdeKind::VE ? " VE " : " VP ") +
                             to_string(run.scale) + " [" + std::to_string(ic.lo) + ", " + std::to_string(ic.hi) + "]";
    EXPECT_GE(fraction_inside(v, ic.lo, ic.hi), 0.99) << what;
    EXPECT_LT(ks_distance(v, [&](double x) { return truncated_normal_cdf(x, ic.lo, ic.hi); }),
              ks_critical(double(kSamples)))
        << what;
    for (double o : column(s, 1)) ASSERT_EQ(o, 0.7) << "the observed entry moved";
  }
}

// The reference's schedule k_t = 1/σ_t² (no Jacobian) keeps the samples inside but does not
// reproduce the truncated distribution's shape: recorded here so a change of behaviour shows.
TEST(Guidance, TheReferenceScheduleStaysInsideButIsBiased) {
  GuidanceOptions g;
  g.scale = GuidanceScale::InverseVariance;
  const Tensor s = guided_standard_normal(ve(), SamplerKind::Ancestral, 100, 1.0, kInf, g);
  const std::vector<double> v = column(s, 0);
  EXPECT_GE(fraction_inside(v, 1.0, kInf), 0.99);
  EXPECT_GT(ks_distance(v, [](double x) { return truncated_normal_cdf(x, 1.0, kInf); }), ks_critical(double(kSamples)));
}

TEST(Guidance, AWrongSignOrAWrongScaleFails) {
  // The guidance term subtracted instead of added, through the sampler directly.
  const Sde sde = ve();
  const JointGaussian joint{{0.0, 0.0}, {{1.0, 0.0}, {0.0, 1.0}}};
  const MaskedScoreFunction exact = test::exact_score(joint, sde);
  const Tensor observed = bool_row({false, true}).reshape({1, 2}).expand({kSamples, 2}).contiguous();
  const ScoreFunction base = [&](const Tensor& x, double t) { return exact(x, observed, t); };
  Constraints c(2);
  c.add_interval(0, 0.5, 1.5);
  GuidanceOptions g;
  g.recurrence = 2;
  const ScoreFunction guided = guided_score(base, sde, c, g);
  const ScoreFunction flipped = [&](const Tensor& x, double t) { return base(x, t) * 2.0 - guided(x, t); };
  Generator gen(21, 0);
  Tensor x = randn({kSamples, 2}, gen) * std::sqrt(1.0 + sde.std(sde.t_max) * sde.std(sde.t_max));
  for (int64_t i = 0; i < kSamples; ++i) x.data<float>()[2 * i + 1] = 0.7f;
  const Tensor latent = logical_not(observed).to(DType::F32);
  const Tensor right = integrate_reverse(guided, sde, x, latent, SamplerKind::Ancestral, 100, gen, 2);
  const Tensor wrong = integrate_reverse(flipped, sde, x, latent, SamplerKind::Ancestral, 100, gen, 2);
  EXPECT_GE(fraction_inside(column(right, 0), 0.5, 1.5), 0.99);
  EXPECT_LT(fraction_inside(column(wrong, 0), 0.5, 1.5), 0.2);

  // Ten times too weak or too sharp: inside or not, the shape is off.
  for (double sharpness : {0.1, 10.0}) {
    GuidanceOptions off = g;
    off.sharpness = sharpness;
    const std::vector<double> v = column(guided_standard_normal(sde, SamplerKind::Ancestral, 100, 0.5, 1.5, off), 0);
    EXPECT_GT(ks_distance(v, [](double y) { return truncated_normal_cdf(y, 0.5, 1.5); }), ks_critical(double(kSamples)))
        << "sharpness " << sharpness;
  }
}

// A correlated 2-D Gaussian (ρ = 0.8, unit variances) truncated to z_0 ∈ [0.2, 1.4]; the exact
// reference by rejection from the Gaussian.
TEST(Guidance, CorrelatedGaussianTruncatedOnOneCoordinateMatchesRejection) {
  const JointGaussian joint{{0.0, 0.0}, {{1.0, 0.8}, {0.8, 1.0}}};
  const double lo = 0.2, hi = 1.4;
  std::vector<double> ref0, ref1;
  Generator gen(5, 1);
  while (ref0.size() < 20000) {
    const Tensor z = randn({4096, 2}, gen, {.dtype = DType::F64}).contiguous();
    for (int64_t i = 0; i < 4096 && ref0.size() < 20000; ++i) {
      const double a = z.data<double>()[2 * i], b = z.data<double>()[2 * i + 1];
      const double x0 = a, x1 = 0.8 * a + 0.6 * b;
      if (x0 >= lo && x0 <= hi) ref0.push_back(x0), ref1.push_back(x1);
    }
  }
  for (const Sde& sde : {ve(), vp()}) {
    SamplerSettings settings;
    settings.kind = SamplerKind::Ancestral;
    settings.steps = 200;
    settings.guidance.recurrence = 2;
    Constraints c(2);
    c.add_interval(0, lo, hi);
    const Tensor s = sample_conditional_standardised(test::exact_score(joint, sde), sde, settings,
                                                     from_vector(std::vector<double>{0.0, 0.0}),
                                                     bool_row({false, false}), c, kSamples, 8);
    const std::vector<double> s0 = column(s, 0), s1 = column(s, 1);
    const char* name = sde.kind == SdeKind::VE ? "VE" : "VP";
    EXPECT_GE(fraction_inside(s0, lo, hi), 0.99) << name;
    EXPECT_LT(ks_two_sample(s0, ref0), ks_critical(double(kSamples), 20000.0)) << name;
    EXPECT_LT(ks_two_sample(s1, ref1), ks_critical(double(kSamples), 20000.0)) << name;
  }
}

// A half-plane z_0 + z_1 ≤ 0 on an isotropic 2-D standard normal: w·z ~ N(0, 2) truncated to
// (−∞, 0], and the orthogonal direction stays N(0, 1).
TEST(Guidance, LinearConstraintAndPolytope) {
  const JointGaussian joint{{0.0, 0.0}, {{1.0, 0.0}, {0.0, 1.0}}};
  const Sde sde = ve();
  SamplerSettings settings;
  settings.kind = SamplerKind::Ancestral;
  settings.steps = 100;
  settings.guidance.recurrence = 2;
  Constraints c(2);
  c.add_linear({1.0, 1.0}, 0.0);
  const Tensor s = sample_conditional_standardised(test::exact_score(joint, sde), sde, settings,
                                                   from_vector(std::vector<double>{0.0, 0.0}), bool_row({false, false}),
                                                   c, kSamples, 4);
  std::vector<double> along, across;
  for (int64_t i = 0; i < kSamples; ++i) {
    const double a = s.data<double>()[2 * i], b = s.data<double>()[2 * i + 1];
    along.push_back((a + b) / std::sqrt(2.0));
    across.push_back((a - b) / std::sqrt(2.0));
  }
  EXPECT_GE(fraction_inside(along, -kInf, 0.0), 0.99);
  EXPECT_LT(ks_distance(along, [](double x) { return truncated_normal_cdf(x, -kInf, 0.0); }), ks_critical(double(kSamples)));
  EXPECT_LT(ks_distance(across, normal_cdf), ks_critical(double(kSamples)));

  // The box [-0.5, 0.5]² as a polytope A z ≤ b: both coordinates inside, each a truncated normal.
  Constraints box(2);
  box.add_polytope(from_vector(std::vector<double>{1, 0, -1, 0, 0, 1, 0, -1}, {4, 2}),
                   from_vector(std::vector<double>{0.5, 0.5, 0.5, 0.5}));
  const Tensor b = sample_conditional_standardised(test::exact_score(joint, sde), sde, settings,
                                                   from_vector(std::vector<double>{0.0, 0.0}), bool_row({false, false}),
                                                   box, kSamples, 6);
  for (int64_t j = 0; j < 2; ++j) {
    const std::vector<double> v = column(b, j);
    EXPECT_GE(fraction_inside(v, -0.5, 0.5), 0.99) << j;
    EXPECT_LT(ks_distance(v, [](double x) { return truncated_normal_cdf(x, -0.5, 0.5); }), ks_critical(double(kSamples)))
        << j;
  }
}

// guidance_gradient against a float64 finite difference of J·log c(x̂₀) for both schedules.
TEST(Guidance, GradientMatchesFiniteDifferencesOfTheLogConstraint) {
  Constraints c(3);
  c.add_interval(0, -0.2, 0.9).add_linear({0.5, -1.0, 2.0}, 0.3);
  const Sde sde = ve();
  GuidanceOptions tweedie;
  EXPECT_THROW(guidance_gradient(c, ve(), tweedie, zeros({1, 3}), 0.5), ValueError);
  for (GuidanceScale scale : {GuidanceScale::InverseVariance, GuidanceScale::PosteriorWidth}) {
    GuidanceOptions g;
    g.scale = scale;
    g.sharpness = 1.3;
    const double t = 0.65, a = sde.mean_factor(t), s = sde.std(t);  // s ≈ 0.23: no factor saturates
    auto log_c = [&](const std::vector<double>& x) {
      double total = 0;
      for (const LinearConstraint& h : c.constraints()) {
        double norm2 = 0, y = 0;
        for (size_t i = 0; i < 3; ++i) norm2 += h.weights[i] * h.weights[i], y += h.weights[i] * x[i];
        if (scale == GuidanceScale::InverseVariance) {
          const double k = g.sharpness / (s * s);
          if (std::isfinite(h.upper)) total += -std::log1p(std::exp(-k * (h.upper - y)));
          if (std::isfinite(h.lower)) total += -std::log1p(std::exp(-k * (y - h.lower)));
        } else {
          const double width = std::sqrt(norm2) * s / std::sqrt(a * a + s * s) / g.sharpness;
          total += std::log(normal_cdf((h.upper - y) / width) - normal_cdf((h.lower - y) / width));
        }
      }
      return (scale == GuidanceScale::InverseVariance ? 1.0 : a / (a * a + s * s)) * total;
    };
    const std::vector<double> x{0.1, 0.4, 0.2};
    const Tensor grad = guidance_gradient(c, sde, g, from_vector(x, {1, 3}), t).to(DType::F64).contiguous();
    for (size_t i = 0; i < 3; ++i) {
      std::vector<double> up = x, down = x;
      up[i] += 1e-5, down[i] -= 1e-5;
      const double fd = (log_c(up) - log_c(down)) / 2e-5;
      EXPECT_NEAR(grad.data<double>()[i], fd, 1e-4 * std::max(1.0, std::abs(fd))) << to_string(scale) << " entry " << i;
    }
  }
}

// Far outside, far inside, narrow intervals: the pull stays finite and points back inside.
TEST(Guidance, GradientIsFiniteAndPointsInsideEverywhere) {
  Constraints c(1);
  c.add_interval(0, 0.0, 0.01);
  for (GuidanceScale scale : {GuidanceScale::InverseVariance, GuidanceScale::PosteriorWidth})
    for (double t : {1e-5, 0.3, 1.0})
      for (double x : {-1e6, -40.0, -0.5, 0.004, 0.006, 0.5, 40.0, 1e6}) {
        GuidanceOptions g;
        g.scale = scale;
        const double v = guidance_gradient(c, ve(), g, from_vector(std::vector<double>{x}, {1, 1}), t)
                             .to(DType::F64)
                             .item<double>();
        ASSERT_TRUE(std::isfinite(v)) << to_string(scale) << " t " << t << " x " << x;
        if (x < 0) {
          EXPECT_GE(v, 0.0) << to_string(scale) << " t " << t << " x " << x;
        }
        if (x > 0.01) {
          EXPECT_LE(v, 0.0) << to_string(scale) << " t " << t << " x " << x;
        }
      }
}

TEST(Guidance, ConstraintsAndOptionsRejectBadInput) {
  Constraints c(3);
  EXPECT_THROW(c.add_interval(3, 0, 1), ValueError);
  EXPECT_THROW(c.add_interval(0, 1, 0), ValueError);
  EXPECT_THROW(c.add_interval(0, -kInf, kInf), ValueError);
  EXPECT_THROW(c.add_interval(0, std::nan(""), 1), ValueError);
  EXPECT_THROW(c.add_linear({1.0, 2.0}, 0), ValueError);
  EXPECT_THROW(c.add_linear({0.0, 0.0, 0.0}, 0), ValueError);
  EXPECT_THROW(c.add_linear({1.0, 0.0, 0.0}, kInf), ValueError);
  EXPECT_THROW(c.add_polytope(zeros({2, 2}), zeros({2})), ShapeError);
  EXPECT_TRUE(c.empty());
  c.add_interval(1, 0.0, kInf);
  EXPECT_EQ(c.constraints().size(), 1u);
  EXPECT_THROW(c.add_interval(0, 1.0, 1.0), ValueError);
  EXPECT_EQ(c.constrained_entries(), (std::vector<bool>{false, true, false}));
  const double inside[3] = {5.0, 0.1, -3.0}, outside[3] = {0.0, -0.1, 0.0};
  EXPECT_TRUE(c.satisfied(inside));
  EXPECT_FALSE(c.satisfied(outside));
  // Standardising: z = (v − 2)/4, so v ≥ 0 is z ≥ −0.5.
  const Constraints z = c.standardised({0, 2, 0}, {1, 4, 1});
  const double z_in[3] = {0, -0.49, 0}, z_out[3] = {0, -0.51, 0};
  EXPECT_TRUE(z.satisfied(z_in));
  EXPECT_FALSE(z.satisfied(z_out));

  EXPECT_THROW(GuidanceOptions::from_json({{"sharpness", 0}}), ValueError);
  EXPECT_THROW(GuidanceOptions::from_json({{"recurrence", -1}}), ValueError);
  EXPECT_THROW(GuidanceOptions::from_json({{"scale", "magic"}}), ValueError);
  EXPECT_THROW(GuidanceOptions::from_json({{"sharp", 1}}), ValueError);
  const GuidanceOptions o = GuidanceOptions::from_json({{"scale", "inverse_variance"}, {"recurrence", 5}, {"bias", 1e-8}});
  EXPECT_EQ(o.scale, GuidanceScale::InverseVariance);
  EXPECT_EQ(o.recurrence, 5);
  EXPECT_EQ(GuidanceOptions::from_json(o.to_json()).to_json(), o.to_json());

  // A constrained entry that is also observed.
  const JointGaussian joint{{0.0, 0.0, 0.0}, {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  EXPECT_THROW(sample_conditional_standardised(test::exact_score(joint, ve()), ve(), SamplerSettings{},
                                               from_vector(std::vector<double>{0, 0.5, 0}), bool_row({false, true, false}),
                                               c, 10, 1),
               ValueError);
}

TEST(Guidance, SelfRecurrenceIsSeededAndChangesTheDraws) {
  GuidanceOptions g0, g3;
  g3.recurrence = 3;
  g0.scale = g3.scale = GuidanceScale::PosteriorWidth;
  const Tensor a = guided_standard_normal(ve(), SamplerKind::Ancestral, 20, 0.0, 1.0, g3);
  const Tensor b = guided_standard_normal(ve(), SamplerKind::Ancestral, 20, 0.0, 1.0, g3);
  const Tensor c = guided_standard_normal(ve(), SamplerKind::Ancestral, 20, 0.0, 1.0, g0);
  EXPECT_EQ(a.to_vector<double>(), b.to_vector<double>());
  EXPECT_NE(a.to_vector<double>(), c.to_vector<double>());
}

// ---- missing data -------------------------------------------------------------------------------

// A linear-Gaussian joint (θ_1, θ_2, x_1, x_2, x_3): θ ~ N(0, I), x = Aθ + N(0, 0.3² I).
JointGaussian linear_gaussian_joint() {
  const double a[3][2] = {{1.0, 0.5}, {-0.4, 1.0}, {0.8, 0.8}};
  JointGaussian j;
  j.mu.assign(5, 0.0);
  j.sigma.assign(5, std::vector<double>(5, 0.0));
  for (int i = 0; i < 2; ++i) j.sigma[size_t(i)][size_t(i)] = 1.0;
  for (int r = 0; r < 3; ++r) {
    for (int i = 0; i < 2; ++i) j.sigma[size_t(2 + r)][size_t(i)] = j.sigma[size_t(i)][size_t(2 + r)] = a[r][i];
    for (int q = 0; q < 3; ++q) j.sigma[size_t(2 + r)][size_t(2 + q)] = a[r][0] * a[q][0] + a[r][1] * a[q][1];
    j.sigma[size_t(2 + r)][size_t(2 + r)] += 0.09;
  }
  return j;
}

TEST(MissingData, NanObservationIsSampledFromTheAnalyticConditional) {
  const JointGaussian joint = linear_gaussian_joint();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const Sde& sde : {ve(), vp()}) {
    SamplerSettings settings;
    settings.kind = SamplerKind::Ancestral;
    settings.steps = 100;
    Tensor effective;
    const std::vector<double> values{0.0, 0.0, 0.9, nan, -0.6};
    const Tensor s = sample_conditional_standardised(test::exact_score(joint, sde), sde, settings,
                                                     from_vector(values), bool_row({false, false, true, true, true}),
                                                     Constraints(5), kSamples, 13, &effective);
    std::vector<bool> effective_mask;
    for (int64_t i = 0; i < 5; ++i) effective_mask.push_back(effective.data<bool>()[i]);
    EXPECT_EQ(effective_mask, (std::vector<bool>{false, false, true, false, true}));
    // The analytic conditional of (θ_1, θ_2, x_2) given x_1 = 0.9, x_3 = −0.6.
    const test::Conditional c = joint.conditional({false, false, true, false, true}, values);
    ASSERT_EQ(c.latent, (std::vector<size_t>{0, 1, 3}));
    for (size_t k = 0; k < 3; ++k) {
      const std::vector<double> v = column(s, int64_t(c.latent[k]));
      const double m = c.mean[k], sd = std::sqrt(c.cov[k][k]);
      EXPECT_LT(ks_distance(v, [&](double x) { return normal_cdf((x - m) / sd); }), ks_critical(double(kSamples)))
          << "entry " << c.latent[k] << (sde.kind == SdeKind::VE ? " VE" : " VP");
    }
    // The correlation of θ_1 and x_2 (the missing entry) within ±0.05 of the analytic one.
    const std::vector<double> t1 = column(s, 0), x2 = column(s, 3);
    double m1 = 0, m2 = 0, c12 = 0, v1 = 0, v2 = 0;
    for (int64_t i = 0; i < kSamples; ++i) m1 += t1[size_t(i)] / kSamples, m2 += x2[size_t(i)] / kSamples;
    for (int64_t i = 0; i < kSamples; ++i) {
      c12 += (t1[size_t(i)] - m1) * (x2[size_t(i)] - m2);
      v1 += (t1[size_t(i)] - m1) * (t1[size_t(i)] - m1);
      v2 += (x2[size_t(i)] - m2) * (x2[size_t(i)] - m2);
    }
    EXPECT_NEAR(c12 / std::sqrt(v1 * v2), c.cov[0][2] / std::sqrt(c.cov[0][0] * c.cov[2][2]), 0.05);
    for (double o : column(s, 2)) ASSERT_EQ(o, 0.9);
    for (double o : column(s, 4)) ASSERT_EQ(o, -0.6);
  }
  // An infinite observation is still an error.
  EXPECT_THROW(sample_conditional_standardised(test::exact_score(joint, ve()), ve(), SamplerSettings{},
                                               from_vector(std::vector<double>{0, 0, kInf, 0, 0}),
                                               bool_row({false, false, true, true, true}), Constraints(5), 10, 1),
               ValueError);
}

// ---- many queries in one integration -------------------------------------------------------------

// Four queries of the linear-Gaussian joint in one batched integration: two posteriors at different
// x_o, a query with another mask, and one with a missing entry. Each query's samples must follow
// its own analytic conditional — a batch that mixed up which rows belong to which query (values or
// masks shifted by a row, a chunk boundary off by one) would put another query's mean into them.
TEST(BatchedQueries, EachQueryFollowsItsOwnAnalyticConditional) {
  const JointGaussian joint = linear_gaussian_joint();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<std::vector<double>> values{{0, 0, 0.9, -0.3, -0.6},
                                                {0, 0, -1.2, 0.4, 1.0},
                                                {0.5, 0, 0, 0.2, 0},
                                                {0, 0, 0.9, nan, -0.6}};
  const std::vector<std::vector<bool>> masks{{false, false, true, true, true},
                                             {false, false, true, true, true},
                                             {true, false, false, true, false},
                                             {false, false, true, true, true}};
  const int64_t queries = 4, n = 2000;
  std::vector<double> flat_values;
  std::vector<bool> flat_masks;
  for (int64_t q = 0; q < queries; ++q) {
    flat_values.insert(flat_values.end(), values[size_t(q)].begin(), values[size_t(q)].end());
    flat_masks.insert(flat_masks.end(), masks[size_t(q)].begin(), masks[size_t(q)].end());
  }
  SamplerSettings settings;
  settings.kind = SamplerKind::Ancestral;
  settings.steps = 100;
  settings.chunk = 1500;  // chunks straddle query boundaries
  Tensor effective;
  const Tensor s = sample_conditionals_standardised(test::exact_score_per_query(joint, ve()), ve(), settings,
                                                    from_vector(flat_values, {queries, 5}),
                                                    from_vector(flat_masks, {queries, 5}), Constraints(5), n, 31,
                                                    &effective);
  ASSERT_EQ(s.shape(), (Shape{queries * n, 5}));
  ASSERT_EQ(effective.shape(), (Shape{queries, 5}));
  EXPECT_FALSE(effective.data<bool>()[3 * 5 + 3]);  // query 3's NaN entry is latent
  EXPECT_TRUE(effective.data<bool>()[0 * 5 + 3]);
  for (int64_t q = 0; q < queries; ++q) {
    std::vector<bool> mask = masks[size_t(q)];
    for (int64_t j = 0; j < 5; ++j) mask[size_t(j)] = effective.data<bool>()[q * 5 + j];
    const test::Conditional c = joint.conditional(mask, values[size_t(q)]);
    const Tensor rows = s.slice(0, q * n, (q + 1) * n);
    for (size_t k = 0; k < c.latent.size(); ++k) {
      const double m = c.mean[k], sd = std::sqrt(c.cov[k][k]);
      EXPECT_LT(ks_distance(column(rows, int64_t(c.latent[k])), [&](double x) { return normal_cdf((x - m) / sd); }),
                ks_critical(double(n)))
          << "query " << q << ", entry " << c.latent[k];
    }
    for (int64_t j = 0; j < 5; ++j) {
      if (!mask[size_t(j)]) continue;
      for (double o : column(rows, j)) ASSERT_EQ(o, values[size_t(q)][size_t(j)]) << "query " << q;
    }
  }
  // The two posteriors differ: query 1's samples against query 0's conditional fail the test.
  const test::Conditional c0 = joint.conditional(masks[0], values[0]);
  EXPECT_GT(ks_distance(column(s.slice(0, n, 2 * n), 0),
                        [&](double x) { return normal_cdf((x - c0.mean[0]) / std::sqrt(c0.cov[0][0])); }),
            ks_critical(double(n)));

  // One query through the batched path is the single-query sampler, draw for draw.
  const Tensor one = sample_conditionals_standardised(test::exact_score(joint, ve()), ve(), settings,
                                                      from_vector(values[0], {1, 5}), bool_row(masks[0]),
                                                      Constraints(5), 300, 5);
  const Tensor single = sample_conditional_standardised(test::exact_score(joint, ve()), ve(), settings,
                                                        from_vector(values[0]), bool_row(masks[0]), Constraints(5),
                                                        300, 5);
  EXPECT_EQ(one.to_vector<double>(), single.to_vector<double>());
}

TEST(BatchedQueries, BadShapesAndValuesAreRejected) {
  const JointGaussian joint = linear_gaussian_joint();
  const MaskedScoreFunction score = test::exact_score_per_query(joint, ve());
  const Tensor values = zeros({3, 5}, {.dtype = DType::F64});
  const Tensor mask = bool_row({false, false, true, true, true});
  SamplerSettings settings;
  settings.steps = 5;
  EXPECT_THROW(sample_conditionals_standardised(score, ve(), settings, zeros({3, 6}, {.dtype = DType::F64}), mask,
                                                Constraints(5), 10, 1),
               ShapeError);
  EXPECT_THROW(sample_conditionals_standardised(score, ve(), settings, values, zeros({2, 5}).to(DType::Bool),
                                                Constraints(5), 10, 1),
               ShapeError);
  EXPECT_THROW(sample_conditionals_standardised(score, ve(), settings, values, zeros({5}), Constraints(5), 10, 1),
               DTypeError);
  EXPECT_THROW(sample_conditionals_standardised(score, ve(), settings, values, mask, Constraints(5), 0, 1),
               ValueError);
  Tensor bad = values.clone();
  bad.data<double>()[2 * 5 + 4] = kInf;
  try {
    sample_conditionals_standardised(score, ve(), settings, bad, mask, Constraints(5), 10, 1);
    FAIL() << "an infinite observed value was accepted";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("query 2"), std::string::npos) << e.what();
  }
}

// ---- log_prob -----------------------------------------------------------------------------------

struct LogProbRun {
  std::vector<double> model, analytic;
};

// log p(θ_1, θ_2, x_2 | x_1 = 0.9, x_3 = −0.6) at 200 draws of that conditional.
LogProbRun run_log_prob(const Sde& sde, const LogProbOptions& options, const MaskedScoreFunction& score,
                        int64_t points = 200) {
  const JointGaussian joint = linear_gaussian_joint();
  const std::vector<bool> mask{false, false, true, false, true};
  const std::vector<double> values{0.0, 0.0, 0.9, 0.0, -0.6};
  const test::Conditional c = joint.conditional(mask, values);
  const Matrix l = test::cholesky(c.cov);
  Generator gen(17, 3);
  const Tensor z = randn({points, 3}, gen, {.dtype = DType::F64}).contiguous();
  std::vector<double> rows;
  LogProbRun run;
  for (int64_t r = 0; r < points; ++r) {
    std::vector<double> lat(3);
    for (size_t i = 0; i < 3; ++i) {
      lat[i] = c.mean[i];
      for (size_t k = 0; k <= i; ++k) lat[i] += l[i][k] * z.data<double>()[r * 3 + int64_t(k)];
    }
    std::vector<double> row = values;
    for (size_t i = 0; i < 3; ++i) row[c.latent[i]] = lat[i];
    rows.insert(rows.end(), row.begin(), row.end());
    run.analytic.push_back(test::log_density(c, lat));
  }
  const Tensor lp = log_prob_conditional_standardised(score, sde, from_vector(rows, {points, 5}), bool_row(mask),
                                                      options, 64, 9);
  run.model = lp.to_vector<double>();
  return run;
}

double mean_abs_error(const LogProbRun& r) {
  double e = 0;
  for (size_t i = 0; i < r.model.size(); ++i) e += std::abs(r.model[i] - r.analytic[i]) / double(r.model.size());
  return e;
}
double max_abs_error(const LogProbRun& r) {
  double e = 0;
  for (size_t i = 0; i < r.model.size(); ++i) e = std::max(e, std::abs(r.model[i] - r.analytic[i]));
  return e;
}
double mean_error(const LogProbRun& r) {
  double e = 0;
  for (size_t i = 0; i < r.model.size(); ++i) e += (r.model[i] - r.analytic[i]) / double(r.model.size());
  return e;
}

TEST(LogProb, ExactDivergenceMatchesTheAnalyticConditionalDensity) {
  // What is left (measured: mean 0.002 / 0.003 nats, worst of 200 points 0.015 / 0.022 for
  // VE / VP, the same at 100 steps as at 50) is the isotropic Gaussian taken for p_{t_max}: the
  // conditional's variances range from ≈ 0.02 to ≈ 1, an error of ½·z²·α²·(Var_i − mean)/V per
  // entry (log_prob.cpp).
  for (const Sde& sde : {ve(), vp()}) {
    const char* name = sde.kind == SdeKind::VE ? "VE" : "VP";
    const LogProbRun r = run_log_prob(sde, LogProbOptions{}, test::exact_score(linear_gaussian_joint(), sde));
    EXPECT_LT(max_abs_error(r), 0.03) << name << ", mean |error| " << mean_abs_error(r);
    EXPECT_LT(mean_abs_error(r), 0.005) << name;
  }
}

double error_sd(const LogProbRun& r) {
  const double mean = mean_error(r);
  double v = 0;
  for (size_t i = 0; i < r.model.size(); ++i) {
    const double e = r.model[i] - r.analytic[i] - mean;
    v += e * e / double(r.model.size() - 1);
  }
  return std::sqrt(v);
}

TEST(LogProb, HutchinsonIsUnbiasedWithinItsStatedTolerance) {
  // Hutchinson's estimate is unbiased but noisy per point: here one Rademacher probe gives a
  // per-point error of about 1 nat (sd), eight probes about √8 times less. The tolerance is
  // statistical: the mean error over 800 points lies within 4 standard errors (plus the exact
  // divergence's 0.01) of zero.
  const Sde sde = ve();
  LogProbOptions o;
  o.divergence = DivergenceKind::Hutchinson;
  const LogProbRun one = run_log_prob(sde, o, test::exact_score(linear_gaussian_joint(), sde), 800);
  const double sd_one = error_sd(one);
  EXPECT_LT(std::abs(mean_error(one)), 4 * sd_one / std::sqrt(800.0) + 0.01) << "sd " << sd_one;
  o.probes = 8;
  const LogProbRun eight = run_log_prob(sde, o, test::exact_score(linear_gaussian_joint(), sde), 800);
  const double sd_eight = error_sd(eight);
  EXPECT_LT(std::abs(mean_error(eight)), 4 * sd_eight / std::sqrt(800.0) + 0.01) << "sd " << sd_eight;
  EXPECT_LT(sd_eight, 0.6 * sd_one);
  EXPECT_GT(sd_one, 0.05) << "Hutchinson with one probe should be visibly noisy here";
}

TEST(LogProb, AWrongDivergenceFails) {
  // The same score values, but half of the score is cut from the graph: the trajectory is
  // unchanged and only the divergence is halved. The log-density must come out wrong.
  const Sde sde = ve();
  const MaskedScoreFunction exact = test::exact_score(linear_gaussian_joint(), sde);
  const MaskedScoreFunction half = [&](const Tensor& x, const Tensor& obs, double t) {
    const Tensor s = exact(x, obs, t);
    return s * 0.5 + s.detach() * 0.5;
  };
  const LogProbRun r = run_log_prob(sde, LogProbOptions{}, half, 50);
  EXPECT_GT(mean_abs_error(r), 0.5);
}

TEST(LogProb, DivergenceOfALinearScoreIsItsTrace) {
  // ŝ(x) = −P x with P = [[2, 0.5], [0.3, 4]]: ∇·v = f·L + ½g²·Σ_latent P_ii.
  const Sde sde = vp();
  const Tensor p = from_vector(std::vector<float>{2.0f, 0.3f, 0.5f, 4.0f}, {2, 2});
  const ScoreFunction score = [&](const Tensor& x, double) { return -matmul(x, p); };
  const Tensor x = from_vector(std::vector<float>{0.3f, -1.0f, 2.0f, 0.5f}, {2, 2});
  const Tensor latent = from_vector(std::vector<float>{1.0f, 1.0f, 0.0f, 1.0f}, {2, 2});
  const double t = 0.4, f = sde.drift_factor(t), g = sde.diffusion(t);
  Tensor v;
  const std::vector<double> d =
      probability_flow_divergence(score, sde, x, latent, t, DivergenceKind::Exact, Tensor(), &v).to_vector<double>();
  EXPECT_NEAR(d[0], 2 * f + 0.5 * g * g * (2.0 + 4.0), 1e-5);
  EXPECT_NEAR(d[1], f + 0.5 * g * g * 4.0, 1e-5);
  EXPECT_EQ(v.to_vector<float>()[2], 0.0f) << "a clamped entry has zero velocity";
  const ScoreFunction constant = [](const Tensor& y, double) { return y.detach() * 0.0; };
  EXPECT_THROW(probability_flow_divergence(constant, sde, x, latent, t, DivergenceKind::Exact, Tensor(), nullptr),
               ValueError);
  EXPECT_THROW(parse_divergence_kind("trace"), ValueError);
  LogProbOptions bad;
  bad.steps = 0;
  EXPECT_THROW(bad.validate(), ValueError);
}

}  // namespace
}  // namespace amor::sbi::simformer

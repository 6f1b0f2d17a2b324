// Bounded variables in the Simformer (sbi/simformer/value_transform.h): the per-node bijection
// itself (round trips, log-Jacobian against finite differences, constraint mapping, errors), and
// a model trained on a toy whose bounded parameter is a squashed Gaussian, θ = 1 + 2·sigmoid(g),
// g ~ N(0, 1), x | g ~ N(g, 0.5²), against the same network trained on (g, x).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "sbi/simformer/simformer.h"
#include "tests/sbi/simformer_toy_config.h"

namespace amor::sbi::simformer {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

ValueBounds bounds(std::vector<double> lower, std::vector<double> upper) {
  ValueBounds b;
  b.lower = std::move(lower);
  b.upper = std::move(upper);
  return b;
}

TEST(ValueTransform, RoundTripsEachKindAndLeavesUnboundedAndNaNAlone) {
  const ValueTransform tr(bounds({1, 0, -kInf, -kInf}, {3, kInf, 2, kInf}), 4);
  EXPECT_FALSE(tr.identity());
  const std::vector<int64_t> nodes{0, 1, 2, 3};
  const Tensor v = from_vector(std::vector<double>{1.5, 0.25, -4.0, 7.0, 2.999, 1e3, 1.999, -1e3, 1.0, 1e-9,
                                                   std::nan(""), 0.0},
                               {3, 4});
  const Tensor u = tr.forward(v, nodes, Tensor(), "test value");
  EXPECT_NEAR(u.data<double>()[0], std::log(0.25 / 0.75), 1e-12);  // logit((1.5 − 1)/2)
  EXPECT_NEAR(u.data<double>()[1], std::log(0.25), 1e-12);          // log(v − 0)
  EXPECT_NEAR(u.data<double>()[2], std::log(6.0), 1e-12);           // log(2 − v)
  EXPECT_EQ(u.data<double>()[3], 7.0);                              // unbounded: as is
  EXPECT_TRUE(std::isnan(u.data<double>()[10]));                    // missing stays missing
  EXPECT_TRUE(std::isfinite(u.data<double>()[8]));                  // on the closed bound: finite
  const Tensor back = tr.inverse(u, nodes);
  for (int64_t k : {0, 1, 2, 3, 4, 5, 6, 7, 9, 11}) EXPECT_NEAR(back.data<double>()[k], v.data<double>()[k], 1e-9 * (1 + std::abs(v.data<double>()[k]))) << k;
  EXPECT_NEAR(back.data<double>()[8], 1.0, 1e-9);
  // Far-out u stays inside the bounds.
  const Tensor extreme = tr.inverse(from_vector(std::vector<double>{-800, 800, -800, 0, 800, -800, 800, 0}, {2, 4}), nodes);
  EXPECT_GE(extreme.data<double>()[0], 1.0);
  EXPECT_LE(extreme.data<double>()[4], 3.0);
  EXPECT_GE(extreme.data<double>()[1], 0.0);
  EXPECT_LE(extreme.data<double>()[2], 2.0);
}

TEST(ValueTransform, LogJacobianMatchesFiniteDifferences) {
  const ValueTransform tr(bounds({1, 0, -kInf, -kInf}, {3, kInf, 2, kInf}), 4);
  const std::vector<int64_t> nodes{0, 1, 2, 3};
  Generator gen(3);
  for (int trial = 0; trial < 20; ++trial) {
    const Tensor r = rand({4}, gen, {.dtype = DType::F64});
    const double* q = r.data<double>();
    const std::vector<double> v{1 + 2 * q[0], 0.01 + 5 * q[1], 1.99 - 5 * q[2], 10 * q[3] - 5};
    const std::vector<bool> all(4, true);
    const double ld = tr.log_abs_det(from_vector(v, {1, 4}), nodes, all).data<double>()[0];
    double fd = 0;
    for (int j = 0; j < 4; ++j) {
      const double h = 1e-6;
      std::vector<double> a = v, b = v;
      a[size_t(j)] -= h;
      b[size_t(j)] += h;
      const double ua = tr.forward(from_vector(a, {1, 4}), nodes, Tensor(), "x").data<double>()[j];
      const double ub = tr.forward(from_vector(b, {1, 4}), nodes, Tensor(), "x").data<double>()[j];
      fd += std::log(std::abs((ub - ua) / (2 * h)));
    }
    EXPECT_NEAR(ld, fd, 1e-5) << "trial " << trial;
  }
  // Only the selected entries count; outside the bounds is −∞.
  const std::vector<bool> first{true, false, false, false};
  EXPECT_NEAR(tr.log_abs_det(from_vector(std::vector<double>{2, 5, 0, 0}, {1, 4}), nodes, first).data<double>()[0],
              -std::log(2.0) - 2 * std::log(0.5), 1e-12);
  EXPECT_EQ(tr.log_abs_det(from_vector(std::vector<double>{3.5, 5, 0, 0}, {1, 4}), nodes, first).data<double>()[0], -kInf);
}

TEST(ValueTransform, RefusesValuesOutsideTheirBoundsAndBadConfigurations) {
  const ValueTransform tr(bounds({1, -kInf}, {3, kInf}), 2);
  const std::vector<int64_t> nodes{0, 1};
  const Tensor bad = from_vector(std::vector<double>{3.5, 0.0}, {1, 2});
  try {
    tr.forward(bad, nodes, Tensor(), "observed value of");
    FAIL() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("outside its bounds [1, 3]"), std::string::npos) << e.what();
  }
  // Entries not selected are not looked at (a latent entry's placeholder).
  Tensor which = zeros({2}).to(DType::Bool);
  which.data<bool>()[1] = true;
  EXPECT_EQ(tr.forward(bad, nodes, which, "x").data<double>()[0], 3.5);

  EXPECT_THROW(ValueTransform(bounds({1, 0}, {3}), 2), ValueError);              // lengths differ
  EXPECT_THROW(ValueTransform(bounds({1, 0}, {1, 1}), 2), ValueError);           // empty interval
  EXPECT_THROW(ValueTransform(bounds({1, 0, 0}, {3, 1, 1}), 2), ValueError);     // wrong node count
  ValueBounds prior;
  prior.from_prior = true;
  EXPECT_THROW(ValueTransform(prior, 2), ValueError);  // unresolved "prior"
  EXPECT_THROW(ValueBounds::from_json("posterior"), ValueError);
  EXPECT_THROW(ValueBounds::from_json({{"lower", {0, "a"}}, {"upper", {1, 2}}}), ValueError);
  EXPECT_THROW(ValueBounds::from_json({{"lower", {0}}}), ValueError);

  // JSON round trip, ±∞ as null.
  const ValueBounds b = bounds({1, -kInf}, {3, kInf});
  const nlohmann::json j = b.to_json();
  EXPECT_TRUE(j["lower"][1].is_null());
  const ValueBounds back = ValueBounds::from_json(j);
  EXPECT_EQ(back.lower, b.lower);
  EXPECT_EQ(back.upper, b.upper);
  EXPECT_TRUE(ValueBounds::from_json("prior").from_prior);
  EXPECT_TRUE(ValueBounds::from_json(nullptr).empty());
}

TEST(ValueTransform, MapsIntervalsThroughTheMonotoneMapAndRefusesMixedLinearConstraints) {
  const ValueTransform tr(bounds({1, -kInf, -kInf}, {3, kInf, 2}), 3);
  const std::vector<int64_t> nodes{0, 1, 2};
  Constraints c(3);
  c.add_interval(0, 1.5, 5.0);   // upper bound beyond the support: one-sided after mapping
  c.add_interval(1, -1.0, 1.0);  // unbounded node: unchanged
  c.add_interval(2, 0.0, 1.0);   // u = log(2 − v): decreasing, [log 1, log 2]
  c.add_interval(0, 0.0, 4.0);   // contains the whole support: dropped
  const Constraints m = tr.map(c, nodes);
  ASSERT_EQ(m.constraints().size(), 3u);
  EXPECT_NEAR(m.constraints()[0].lower, std::log(0.25 / 0.75), 1e-12);
  EXPECT_EQ(m.constraints()[0].upper, kInf);
  EXPECT_EQ(m.constraints()[1].lower, -1.0);
  EXPECT_EQ(m.constraints()[1].upper, 1.0);
  EXPECT_NEAR(m.constraints()[2].lower, 0.0, 1e-12);
  EXPECT_NEAR(m.constraints()[2].upper, std::log(2.0), 1e-12);
  // A negative weight flips the interval before mapping: −θ ≤ −2 is θ ≥ 2.
  Constraints neg(3);
  neg.add_linear({-1.0, 0.0, 0.0}, -2.0);
  const Constraints mn = tr.map(neg, nodes);
  ASSERT_EQ(mn.constraints().size(), 1u);
  EXPECT_NEAR(mn.constraints()[0].lower, 0.0, 1e-12);  // logit(1/2)
  EXPECT_EQ(mn.constraints()[0].upper, kInf);

  Constraints mixed(3);
  mixed.add_linear({1.0, 1.0, 0.0}, 1.0);
  EXPECT_THROW(tr.map(mixed, nodes), ValueError);
  Constraints outside(3);
  outside.add_interval(0, 3.5, 4.0);
  EXPECT_THROW(tr.map(outside, nodes), ValueError);
}

// Two short-trained models on the same toy: one on (θ, x) with bounds (1, 3) on θ, one on
// (g, x) = (logit((θ − 1)/2), x) without bounds. With the same seeds their networks see the same
// numbers, so every answer of the bounded model must be the unbounded model's mapped through
// θ = 1 + 2·sigmoid(g): samples, constrained samples, and log-densities plus log|dg/dθ|. This
// checks the plumbing exactly, whatever the accuracy of the model (the accuracy of the diffusion
// itself is the Gaussian toy's test, tests/sbi/test_simformer_toy.cpp).
SimformerConfig bounded_toy_config(bool bounded) {
  SimformerConfig c = test::small_toy_config();
  c.training.batch_size = 128;
  c.training.steps = 400;  // the plumbing, not the accuracy: a short training will do
  c.sampling.steps = 40;
  if (bounded) c.bounds = bounds({1.0, -kInf}, {3.0, kInf});
  return c;
}

double logit_box(double t) { return std::log((t - 1) / 2) - std::log1p(-(t - 1) / 2); }
double squash(double g) { return 1.0 + 2.0 / (1.0 + std::exp(-g)); }

TEST(SimformerBounded, AnswersAreTheUnboundedModelsMappedThroughTheBijection) {
  const int64_t n = 2000;
  Generator gen(33);
  const Tensor g = randn({n, 1}, gen, {.dtype = DType::F64});
  const Tensor theta = sigmoid(g) * 2.0 + 1.0;
  const Tensor x = g + randn({n, 1}, gen, {.dtype = DType::F64}) * 0.5;
  // The unbounded model trains on the logit of the stored θ (what the bounded one computes).
  Tensor u = theta.clone();
  for (int64_t i = 0; i < n; ++i) u.data<double>()[i] = logit_box(theta.data<double>()[i]);
  Tensor dag = zeros({2, 2}).to(DType::Bool);
  dag.data<bool>()[2] = true;  // x ← θ
  SimformerModel bounded(bounded_toy_config(true), 1, 1, dag), plain(bounded_toy_config(false), 1, 1, dag);
  bounded.train(concat({theta, x}, 1), /*seed=*/1);
  plain.train(concat({u, x}, 1), /*seed=*/1);
  EXPECT_FALSE(bounded.value_transform().identity());
  EXPECT_TRUE(plain.value_transform().identity());

  const double x_o = 1.5;
  const int64_t m = 300;
  const Tensor pb = bounded.sample_posterior(full({1}, x_o, {.dtype = DType::F64}), m, 7);
  const Tensor pu = plain.sample_posterior(full({1}, x_o, {.dtype = DType::F64}), m, 7);
  for (int64_t i = 0; i < m; ++i) {
    const double t = pb.data<double>()[i];
    ASSERT_TRUE(t > 1.0 && t < 3.0) << t;
    ASSERT_NEAR(t, squash(pu.data<double>()[i]), 1e-5) << i;
  }

  // log p(θ | x_o) = log p(g | x_o) + log|dg/dθ|, |dg/dθ| = 2/((θ − 1)(3 − θ)).
  Tensor observed = zeros({2}).to(DType::Bool);
  observed.data<bool>()[1] = true;
  Tensor pts_b = Tensor::empty({40, 2}, DType::F64), pts_u = Tensor::empty({40, 2}, DType::F64);
  for (int64_t i = 0; i < 40; ++i) {
    const double t = 1.0 + 2.0 * (double(i) + 0.5) / 40.0;
    pts_b.data<double>()[2 * i] = t;
    pts_u.data<double>()[2 * i] = logit_box(t);
    pts_b.data<double>()[2 * i + 1] = pts_u.data<double>()[2 * i + 1] = x_o;
  }
  const Tensor lb = bounded.log_prob(pts_b, observed, LogProbOptions{}, 5);
  const Tensor lu = plain.log_prob(pts_u, observed, LogProbOptions{}, 5);
  for (int64_t i = 0; i < 40; ++i) {
    const double t = pts_b.data<double>()[2 * i];
    EXPECT_NEAR(lb.data<double>()[i], lu.data<double>()[i] + std::log(2.0) - std::log(t - 1) - std::log(3 - t), 1e-4)
        << "θ = " << t;
  }
  // Outside the bounds the density is 0.
  EXPECT_EQ(bounded.log_prob(from_vector(std::vector<double>{3.5, x_o}, {1, 2}), observed, LogProbOptions{}, 1)
                .data<double>()[0],
            -kInf);

  // An interval on θ is the interval on g through the logit.
  Tensor values = zeros({2}, {.dtype = DType::F64});
  values.data<double>()[1] = x_o;
  Constraints cb(2), cu(2);
  cb.add_interval(0, 1.2, 1.8);
  cu.add_interval(0, logit_box(1.2), logit_box(1.8));
  const Tensor sb = bounded.sample(values, observed, cb, 200, 9, bounded.config().sampling);
  const Tensor su = plain.sample(values, observed, cu, 200, 9, plain.config().sampling);
  for (int64_t i = 0; i < 200; ++i)
    ASSERT_NEAR(sb.data<double>()[2 * i], squash(su.data<double>()[2 * i]), 1e-5) << i;

  // An observed θ outside its bounds is refused; a linear constraint mixing θ with x cannot be mapped.
  Tensor theta_observed = zeros({2}).to(DType::Bool);
  theta_observed.data<bool>()[0] = true;
  EXPECT_THROW(bounded.sample(from_vector(std::vector<double>{3.2, 0.0}, {2}), theta_observed, 10, 1), ValueError);
  const Tensor lik = bounded.sample(from_vector(std::vector<double>{2.0, 0.0}, {2}), theta_observed, 10, 1);
  EXPECT_EQ(lik.data<double>()[0], 2.0);  // observed entries are copied exactly
  Constraints mixed(2);
  mixed.add_linear({1.0, 1.0}, 2.0);
  EXPECT_THROW(bounded.sample(zeros({2}, {.dtype = DType::F64}), zeros({2}).to(DType::Bool), mixed, 10, 1,
                              bounded.config().sampling),
               ValueError);

  // The bounds travel with the checkpoint.
  const std::string path = ::testing::TempDir() + "/bounded_toy.safetensors";
  bounded.save(path, {});
  const auto loaded = SimformerModel::load(path, nullptr);
  EXPECT_EQ(loaded->config().bounds.lower, bounded.config().bounds.lower);
  EXPECT_EQ(loaded->sample_posterior(full({1}, x_o, {.dtype = DType::F64}), 50, 7).to_vector<double>(),
            bounded.sample_posterior(full({1}, x_o, {.dtype = DType::F64}), 50, 7).to_vector<double>());
}

}  // namespace
}  // namespace amor::sbi::simformer

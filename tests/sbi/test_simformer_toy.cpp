// The Simformer end to end on a toy whose conditionals are known in closed form:
// θ ~ N(0, 1), x | θ ~ N(θ, 0.5²). Then θ | x ~ N(0.8·x, 0.2) and x | θ ~ N(θ, 0.25), and one
// trained network must sample both. A KS test against the exact conditional would fail a model
// that ignores the condition (θ | x_o = 1.5 has mean 1.2, the prior mean is 0) or that has the
// wrong spread.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/ops.h"
#include "core/random.h"
#include "core/error.h"
#include "sbi/simformer/simformer.h"
#include "sbi/simformer/simformer_method.h"
#include "tests/sbi/simformer_toy_config.h"
#include "tests/sbi/stat_util.h"

namespace amor::sbi::simformer {
namespace {

using ::amor::sbi::test::normal_cdf;

double ks_distance(std::vector<double> v, double mean, double sd) {
  return ::amor::sbi::test::ks_distance(std::move(v), [&](double t) { return normal_cdf((t - mean) / sd); });
}

SimformerConfig toy_config() { return test::small_toy_config(); }

// m draws of x | θ = −0.5 from the pair's model; the observed θ must come back exactly.
std::vector<double> likelihood_samples(const SimformerModel& model, int64_t m) {
  Tensor values = zeros({2}, {.dtype = DType::F64});
  values.data<double>()[0] = -0.5;
  Tensor observed = zeros({2}).to(DType::Bool);
  observed.data<bool>()[0] = true;
  const Tensor lik = model.sample(values, observed, m, 8);
  std::vector<double> l;
  int64_t changed = 0;
  for (int64_t i = 0; i < m; ++i) {
    changed += lik.data<double>()[2 * i] != -0.5;
    l.push_back(lik.data<double>()[2 * i + 1]);
  }
  EXPECT_EQ(changed, 0) << "observed entries must be copied exactly";
  return l;
}

TEST(SimformerToy, SamplesPosteriorAndLikelihoodOfAGaussianPair) {
  const int64_t n = 4000;
  Generator gen(21);
  const Tensor theta = randn({n, 1}, gen, {.dtype = DType::F64});
  const Tensor x = theta + randn({n, 1}, gen, {.dtype = DType::F64}) * 0.5;
  const Tensor joint = concat({theta, x}, 1);
  Tensor dag = zeros({2, 2}).to(DType::Bool);
  dag.data<bool>()[2] = true;  // x ← θ

  SimformerModel model(toy_config(), 1, 1, dag);
  const TrainingSummary summary = model.train(joint, /*seed=*/1);
  EXPECT_GT(summary.steps, 0);

  const int64_t m = 1000;
  // Posterior θ | x = 1.5 ~ N(1.2, 0.2).
  const Tensor post = model.sample_posterior(full({1}, 1.5, {.dtype = DType::F64}), m, 7);
  std::vector<double> p(post.data<double>(), post.data<double>() + m);
  // 1.95/√n is the 0.1 % critical value of the KS distance for n = 1000.
  EXPECT_LT(ks_distance(p, 1.2, std::sqrt(0.2)), 1.95 / std::sqrt(double(m)));

  // Likelihood x | θ = -0.5 ~ N(-0.5, 0.25).
  EXPECT_LT(ks_distance(likelihood_samples(model, m), -0.5, 0.5), 1.95 / std::sqrt(double(m)));
  // A wrong answer is rejected by the same test: the prior in place of the posterior.
  EXPECT_GT(ks_distance(p, 0.0, 1.0), 1.95 / std::sqrt(double(m)));

  // Many observations in one batched call. Each row's samples must follow what the single-query
  // sampler gives at that observation (two-sample KS: the model's own single-query posterior is
  // the reference, since the tiny model is not exact in the tails, x_o = 2.5), and at x_o = 1.5
  // the exact N(1.2, 0.2). Rows mixed up between observations would fail: x_o = −1 and 2.5
  // differ by 2.8 posterior standard deviations.
  const std::vector<double> x_os{-1.0, 1.5, 2.5};
  const Tensor batched = model.sample_posterior_batched(from_vector(x_os, {3, 1}), m, 11);
  ASSERT_EQ(batched.shape(), (Shape{3, m, 1}));
  std::vector<std::vector<double>> rows, singles;
  const double two_sample_critical = 1.95 * std::sqrt(2.0 / double(m));
  for (int64_t q = 0; q < 3; ++q) {
    rows.emplace_back(batched.data<double>() + q * m, batched.data<double>() + (q + 1) * m);
    const Tensor single = model.sample_posterior(full({1}, x_os[size_t(q)], {.dtype = DType::F64}), m, 12 + uint64_t(q));
    singles.emplace_back(single.data<double>(), single.data<double>() + m);
    EXPECT_LT(::amor::sbi::test::ks_two_sample(rows.back(), singles.back()), two_sample_critical) << "x_o " << x_os[size_t(q)];
  }
  EXPECT_LT(ks_distance(rows[1], 1.2, std::sqrt(0.2)), 1.95 / std::sqrt(double(m)));
  EXPECT_GT(::amor::sbi::test::ks_two_sample(rows[0], singles[2]), two_sample_critical);
  EXPECT_EQ(model.sample_posterior_batched(full({1, 1}, 1.5, {.dtype = DType::F64}), m, 7).to_vector<double>(),
            post.to_vector<double>());
  EXPECT_THROW(model.sample_posterior_batched(zeros({3, 2}, {.dtype = DType::F64}), 10, 1), ShapeError);

  // The same network behind the ConditionalSampler interface, by variable name, with a box
  // support [0.5, 2] on θ: θ | x = 1.5 is then N(1.2, 0.2) truncated to the box (latent θ is
  // rejected outside it), and a θ given outside the box is refused.
  Support box;
  box.lower = {0.5};
  box.upper = {2.0};
  SimformerPosterior posterior(std::make_unique<SimformerModel>(std::move(model)), "toy", box, {"theta", "x"});
  const Tensor cond = posterior.sample_conditional(std::vector<std::pair<std::string, double>>{{"x", 1.5}}, m, 9);
  ASSERT_EQ(cond.shape(), (Shape{m, 2}));
  std::vector<double> t;
  for (int64_t i = 0; i < m; ++i) {
    ASSERT_EQ(cond.data<double>()[2 * i + 1], 1.5);
    t.push_back(cond.data<double>()[2 * i]);
    ASSERT_TRUE(t.back() >= 0.5 && t.back() <= 2.0) << t.back();
  }
  const double sd = std::sqrt(0.2), lo = normal_cdf((0.5 - 1.2) / sd), hi = normal_cdf((2.0 - 1.2) / sd);
  EXPECT_LT(::amor::sbi::test::ks_distance(t, [&](double v) { return (normal_cdf((v - 1.2) / sd) - lo) / (hi - lo); }),
            1.95 / std::sqrt(double(m)));
  // The batched posterior keeps every observation's samples inside the box too.
  const Tensor in_box = posterior.sample_batched(from_vector(std::vector<double>{1.5, 3.0}, {2, 1}), m, 12);
  ASSERT_EQ(in_box.shape(), (Shape{2, m, 1}));
  for (double v : in_box.to_vector<double>()) ASSERT_TRUE(v >= 0.5 && v <= 2.0) << v;
  {
    std::vector<double> b(in_box.data<double>(), in_box.data<double>() + m);
    EXPECT_LT(::amor::sbi::test::ks_distance(b, [&](double v) { return (normal_cdf((v - 1.2) / sd) - lo) / (hi - lo); }),
              1.95 / std::sqrt(double(m)));
  }
  EXPECT_THROW(posterior.sample_conditional(std::vector<std::pair<std::string, double>>{{"theta", 2.5}}, 10, 1),
               ValueError);
  EXPECT_THROW(posterior.sample_conditional(std::vector<std::pair<std::string, double>>{{"y", 0.0}}, 10, 1),
               ValueError);
  EXPECT_THROW(posterior.sample_conditional(std::vector<std::pair<int64_t, double>>{{1, 0.0}, {1, 1.0}}, 10, 1),
               ValueError);
}

// The same pair with the preconditioned network and log-normal diffusion times (score_network.h,
// sde.h): both must still give the exact conditionals, and the prior must still be rejected.
TEST(SimformerToy, PreconditionedWithLogNormalTimesSamplesTheExactConditionals) {
  const int64_t n = 4000;
  Generator gen(21);
  const Tensor theta = randn({n, 1}, gen, {.dtype = DType::F64});
  const Tensor x = theta + randn({n, 1}, gen, {.dtype = DType::F64}) * 0.5;
  Tensor dag = zeros({2, 2}).to(DType::Bool);
  dag.data<bool>()[2] = true;  // x ← θ
  SimformerConfig config = toy_config();
  config.network.precondition = true;
  config.training.time_sampling.kind = TimeSampling::Kind::LogNormal;
  SimformerModel model(config, 1, 1, dag);
  model.train(concat({theta, x}, 1), /*seed=*/1);

  const int64_t m = 1000;
  const double critical = 1.95 / std::sqrt(double(m));  // KS, 0.1 %
  const Tensor post = model.sample_posterior(full({1}, 1.5, {.dtype = DType::F64}), m, 7);
  const std::vector<double> p(post.data<double>(), post.data<double>() + m);
  EXPECT_LT(ks_distance(p, 1.2, std::sqrt(0.2)), critical);  // θ | x = 1.5 ~ N(1.2, 0.2)
  EXPECT_GT(ks_distance(p, 0.0, 1.0), critical);
  EXPECT_LT(ks_distance(likelihood_samples(model, m), -0.5, 0.5), critical);  // x | θ = −0.5 ~ N(−0.5, 0.25)
}

}  // namespace
}  // namespace amor::sbi::simformer

// Simformer building blocks: attention masks from DAGs, SDEs, condition masks, the score
// network's gradients and checkpoint round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/ops.h"
#include "core/random.h"
#include "sbi/simformer/condition_masks.h"
#include "sbi/simformer/graph_masks.h"
#include "sbi/simformer/score_network.h"
#include "sbi/simformer/sde.h"
#include "sbi/simformer/simformer.h"
#include "tests/support/gradcheck.h"

namespace amor::sbi::simformer {
namespace {

// The Tree task's DAG (reference §6): θ1→θ2, θ1→θ3, θ2→x1, x2, θ3→x3, x4. Nodes θ1..θ3 = 0..2,
// x1..x4 = 3..6; dag(child, parent).
BoolMatrix tree_dag() {
  BoolMatrix d(7);
  d.set(1, 0);
  d.set(2, 0);
  d.set(3, 1);
  d.set(4, 1);
  d.set(5, 2);
  d.set(6, 2);
  return d;
}

std::vector<int64_t> row(const BoolMatrix& m, int64_t i) {
  std::vector<int64_t> out;
  for (int64_t j = 0; j < m.n; ++j)
    if (m(i, j)) out.push_back(j);
  return out;
}

TEST(SimformerMasks, TreePosteriorDirectedMaskMatchesReference) {
  // Reference §4: θ1 attends {θ1, x1..x4}, θ2 attends {θ1, θ2, x1, x2}, θ3 attends
  // {θ1, θ3, x3, x4}; each x keeps {parent θ, itself}.
  const uint8_t observed[7] = {0, 0, 0, 1, 1, 1, 1};
  const BoolMatrix h = directed_mask(tree_dag(), observed);
  EXPECT_EQ(row(h, 0), (std::vector<int64_t>{0, 3, 4, 5, 6}));
  EXPECT_EQ(row(h, 1), (std::vector<int64_t>{0, 1, 3, 4}));
  EXPECT_EQ(row(h, 2), (std::vector<int64_t>{0, 2, 5, 6}));
  EXPECT_EQ(row(h, 3), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(row(h, 4), (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(row(h, 5), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(row(h, 6), (std::vector<int64_t>{2, 6}));
}

TEST(SimformerMasks, DirectedWithNothingObservedIsTheDag) {
  const uint8_t none[7] = {0, 0, 0, 0, 0, 0, 0};
  BoolMatrix expected = tree_dag();
  for (int64_t i = 0; i < 7; ++i) expected.set(i, i);
  EXPECT_TRUE(directed_mask(tree_dag(), none) == expected);
}

TEST(SimformerMasks, DirectedLikelihoodKeepsObservedRows) {
  // θ observed, x latent: every x has only observed parents, so each x is eliminated with its
  // moral neighbours (its parent θ and, through co-parenthood, nothing else).
  const uint8_t observed[7] = {1, 1, 1, 0, 0, 0, 0};
  const BoolMatrix h = directed_mask(tree_dag(), observed);
  EXPECT_EQ(row(h, 0), (std::vector<int64_t>{0}));
  EXPECT_EQ(row(h, 1), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(row(h, 3), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(row(h, 6), (std::vector<int64_t>{2, 6}));
}

TEST(SimformerMasks, MoralizeLinksCoParents) {
  // v-structure a → c ← b: the moral graph joins a and b.
  BoolMatrix d(3);
  d.set(2, 0);
  d.set(2, 1);
  const BoolMatrix m = moralize(d);
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 3; ++j) EXPECT_TRUE(m(i, j)) << i << "," << j;
  // A chain a → b → c: no co-parents, so a and c stay apart.
  BoolMatrix chain(3);
  chain.set(1, 0);
  chain.set(2, 1);
  const BoolMatrix mc = moralize(chain);
  EXPECT_FALSE(mc(0, 2));
  EXPECT_FALSE(mc(2, 0));
  EXPECT_TRUE(mc(0, 1) && mc(1, 0) && mc(1, 2) && mc(2, 1));
}

TEST(SimformerMasks, TensorRoundTripAndErrors) {
  const Tensor t = to_tensor(tree_dag());
  EXPECT_TRUE(dag_from_tensor(t) == tree_dag());
  EXPECT_THROW(dag_from_tensor(zeros({3, 4}).to(DType::Bool)), ShapeError);
  EXPECT_THROW(dag_from_tensor(zeros({3, 3})), DTypeError);
  BoolMatrix cyc(2);
  cyc.set(0, 1);
  cyc.set(1, 0);
  EXPECT_THROW(dag_from_tensor(to_tensor(cyc)), ValueError);
  EXPECT_THROW(parse_attention_mask_kind("sparse"), ValueError);
}

TEST(SimformerMasks, BatchedDirectedMasksFollowEachConditionMask) {
  Generator gen(3);
  const Tensor observed = sample_condition_masks({}, 16, 3, 4, gen);
  const Tensor masks = attention_masks(AttentionMaskKind::Directed, tree_dag(), observed);
  ASSERT_EQ(masks.shape(), (Shape{16, 7, 7}));
  for (int64_t b = 0; b < 16; ++b) {
    uint8_t obs[7];
    for (int64_t i = 0; i < 7; ++i) obs[i] = observed.data<bool>()[b * 7 + i];
    const BoolMatrix one = directed_mask(tree_dag(), obs);
    for (int64_t k = 0; k < 49; ++k) ASSERT_EQ(masks.data<bool>()[b * 49 + k], one.data[size_t(k)] != 0);
  }
  EXPECT_FALSE(attention_masks(AttentionMaskKind::Dense, tree_dag(), observed).defined());
  EXPECT_EQ(attention_masks(AttentionMaskKind::Undirected, tree_dag(), observed).shape(), (Shape{7, 7}));
}

TEST(SimformerSde, VeAndVpKernels) {
  Sde ve;
  EXPECT_NEAR(ve.std(1.0), 15.0, 1e-9);
  EXPECT_NEAR(ve.std(0.0), 1e-4, 1e-15);
  EXPECT_DOUBLE_EQ(ve.mean_factor(0.3), 1.0);
  EXPECT_NEAR(ve.loss_weight(0.4), std::pow(ve.diffusion(0.4), 2), 1e-12);
  // VE: d σ²/dt = g², the defining relation between kernel and diffusion.
  const double h = 1e-6, t = 0.37;
  EXPECT_NEAR((std::pow(ve.std(t + h), 2) - std::pow(ve.std(t - h), 2)) / (2 * h), std::pow(ve.diffusion(t), 2),
              1e-4 * std::pow(ve.diffusion(t), 2));
  Sde vp;
  vp.kind = SdeKind::VP;
  for (double s : {1e-5, 0.1, 0.5, 1.0}) {
    // VP preserves unit variance: m² + σ² = 1.
    EXPECT_NEAR(std::pow(vp.mean_factor(s), 2) + std::pow(vp.std(s), 2), 1.0, 1e-12);
    // d log m / dt = f(t).
    EXPECT_NEAR((std::log(vp.mean_factor(s + h)) - std::log(vp.mean_factor(s - h))) / (2 * h), vp.drift_factor(s), 1e-6);
  }
  EXPECT_THROW(Sde::from_json({{"type", "ve"}, {"sigma_min", 20.0}}), ValueError);
  EXPECT_THROW(Sde::from_json({{"type", "sub-vp"}}), ValueError);
  EXPECT_THROW(Sde::from_json({{"sigma", 1.0}}), ValueError);
  EXPECT_EQ(Sde::from_json(vp.to_json()).kind, SdeKind::VP);
}

TEST(SimformerConditionMasks, KindsAppearWithTheirProbabilities) {
  Generator gen(11);
  const int64_t batch = 20000, td = 2, xd = 3;
  const Tensor m = sample_condition_masks({}, batch, td, xd, gen);
  int64_t joint = 0, posterior = 0, likelihood = 0, all_observed = 0;
  for (int64_t b = 0; b < batch; ++b) {
    const bool* r = m.data<bool>() + b * 5;
    const bool th = r[0] || r[1], th_all = r[0] && r[1];
    const bool x_any = r[2] || r[3] || r[4], x_all = r[2] && r[3] && r[4];
    joint += !th && !x_any;
    posterior += !th && x_all;
    likelihood += th_all && !x_any;
    all_observed += th_all && x_all;
  }
  EXPECT_EQ(all_observed, 0);
  // joint: 0.2 plus the Bernoulli masks that came out empty or full (reset to latent):
  // 0.2·(0.7⁵ + 0.3⁵) + 0.2·(0.3⁵ + 0.7⁵) = 0.0679; posterior/likelihood: 0.2 plus small Bernoulli
  // contributions (0.2·(0.7²·0.3³ + 0.3²·0.7³) ≈ 0.0088 for posterior). 5-sigma bands at n = 20000.
  EXPECT_NEAR(double(joint) / batch, 0.2679, 0.017);
  EXPECT_NEAR(double(posterior) / batch, 0.2088, 0.015);
  EXPECT_NEAR(double(likelihood) / batch, 0.2 + 0.2 * (0.7 * 0.7 * 0.027 + 0.09 * 0.343), 0.015);
  ConditionMaskDistribution only_post;
  only_post.weights = {0, 1, 0, 0, 0};
  const Tensor p = sample_condition_masks(only_post, 4, td, xd, gen);
  for (int64_t i = 0; i < 20; ++i) EXPECT_EQ(p.data<bool>()[i], i % 5 >= td);
  EXPECT_THROW(ConditionMaskDistribution::from_json({{"posterior", -1.0}}), ValueError);
}

TEST(SimformerScoreNetwork, SizePresetsAndTheirOverrides) {
  const ScoreNetworkOptions large = ScoreNetworkOptions::from_json({{"size", "large"}});
  EXPECT_EQ(large.layers, 8);
  EXPECT_EQ(large.mlp_ratio, 4);
  EXPECT_EQ(large.d_model(), 50);
  // Explicit keys refine the preset, before or after it in the object.
  const ScoreNetworkOptions refined = ScoreNetworkOptions::from_json({{"layers", 4}, {"size", "large"}});
  EXPECT_EQ(refined.layers, 4);
  EXPECT_EQ(refined.mlp_ratio, 4);
  const ScoreNetworkOptions small = ScoreNetworkOptions::from_json({{"size", "small"}}, large);
  EXPECT_EQ(small.layers, 6);
  EXPECT_EQ(small.mlp_ratio, 3);
  EXPECT_THROW(ScoreNetworkOptions::from_json({{"size", "huge"}}), ValueError);
  EXPECT_THROW(ScoreNetworkOptions::from_json({{"size", 8}}), ValueError);
  const SimformerConfig c = SimformerConfig::from_json({{"network", {{"size", "large"}}}});
  EXPECT_EQ(c.network.layers, 8);
}

ScoreNetworkOptions tiny_network(bool precondition) {
  ScoreNetworkOptions o;
  o.num_nodes = 4;
  o.id_dim = 3;
  o.value_dim = 2;
  o.condition_dim = 3;
  o.layers = 2;
  o.heads = 2;
  o.head_dim = 3;
  o.mlp_ratio = 2;
  o.time_embedding_dim = 4;
  o.seed = 5;
  o.precondition = precondition;
  return o;
}

TEST(SimformerScoreNetwork, Float64GradientCheck) {
  ScoreNetworkOptions o = tiny_network(false);
  o.learn_id_embedding = true;
  ScoreNetwork net(o);
  net.to(DType::F64);
  Generator gen(9);
  const Tensor x = randn({3, 4}, gen, {.dtype = DType::F64});
  const Tensor t = uniform({3}, 0.1, 0.9, gen, {.dtype = DType::F64});
  const Tensor sd = uniform({3}, 0.5, 2.0, gen, {.dtype = DType::F64});
  Tensor observed = zeros({3, 4}).to(DType::Bool);
  observed.data<bool>()[1] = true;
  observed.data<bool>()[6] = true;
  BoolMatrix chain(4);
  chain.set(1, 0);
  chain.set(2, 1);
  chain.set(3, 2);
  const Tensor mask = attention_masks(AttentionMaskKind::Directed, chain, observed);
  // Gradients w.r.t. the inputs and a few parameters (passed as inputs: they are the module's
  // own tensors, so the finite differences perturb the network itself).
  std::vector<Tensor> inputs = {x, net.condition_token, net.id_embedding};
  for (auto& [name, p] : net.named_parameters())
    if (name == "head.weight" || name == "transformer.blocks.1.fc1.weight") inputs.push_back(p);
  ASSERT_EQ(inputs.size(), 5u);
  EXPECT_TRUE(amor::testing::gradcheck(
      [&](const std::vector<Tensor>& in) { return net.forward(in[0], observed, t, sd, Tensor(), mask); }, inputs));
}


// The slow twin of preconditioning: the same weights without it, fed c_in·x_t on latent entries,
// then combined by hand — VE (mean_t undefined) and VP-like (α < 1) rows.
TEST(SimformerScoreNetwork, PreconditioningIsScaledInputSkipAndScaledOutput) {
  ScoreNetwork with(tiny_network(true)), without(tiny_network(false));
  with.to(DType::F64);
  without.to(DType::F64);
  Generator gen(3);
  const Tensor x = randn({3, 4}, gen, {.dtype = DType::F64}) * 4.0;
  const Tensor t = uniform({3}, 0.1, 0.9, gen, {.dtype = DType::F64});
  const Tensor sd = from_vector(std::vector<double>{0.01, 0.7, 9.0}, {3});
  Tensor observed = zeros({3, 4}).to(DType::Bool);
  observed.data<bool>()[1] = observed.data<bool>()[6] = true;
  for (const Tensor& alpha : {Tensor(), from_vector(std::vector<double>{0.99, 0.6, 0.1}, {3})}) {
    const Tensor a = alpha.defined() ? alpha : ones({3}, {.dtype = DType::F64});
    const Tensor total = add(square(a), square(sd)).unsqueeze(1);  // [3, 1]
    const Tensor scaled = where(observed, x, div(x, sqrt(total)));
    const Tensor n = without.forward(scaled, observed, t, sd);
    const Tensor expected = sub(mul(div(a.unsqueeze(1), sqrt(total)), n), div(x, total));
    const Tensor got = with.forward(x, observed, t, sd, Tensor(), Tensor(), Tensor(), alpha);
    for (int64_t i = 0; i < 12; ++i) {
      if (observed.data<bool>()[i]) continue;
      EXPECT_NEAR(got.data<double>()[i], expected.data<double>()[i], 1e-12 * (1 + std::abs(expected.data<double>()[i])));
    }
  }
}

// With a zero head the preconditioned score is exactly that of N(0, 1) data: −x_t / (α² + s²).
TEST(SimformerScoreNetwork, PreconditionedZeroHeadIsTheStandardNormalScore) {
  ScoreNetwork net(tiny_network(true));
  {
    NoGradGuard no_grad;
    for (auto& [name, p] : net.named_parameters())
      if (name.rfind("head.", 0) == 0) p.fill_(0.0);
  }
  const Tensor x = from_vector(std::vector<float>{3.0f, -1.0f, 0.5f, 2.0f}, {1, 4});
  const Tensor observed = zeros({1, 4}).to(DType::Bool);
  const Tensor t = from_vector(std::vector<float>{0.5f}, {1});
  const Tensor sd = from_vector(std::vector<float>{2.0f}, {1});
  const Tensor s = net.forward(x, observed, t, sd);
  for (int64_t i = 0; i < 4; ++i) EXPECT_NEAR(s.data<float>()[i], -x.data<float>()[i] / 5.0f, 1e-6);
  const Tensor vp = net.forward(x, observed, t, sd, Tensor(), Tensor(), Tensor(), from_vector(std::vector<float>{0.5f}, {1}));
  for (int64_t i = 0; i < 4; ++i) EXPECT_NEAR(vp.data<float>()[i], -x.data<float>()[i] / 4.25f, 1e-6);
  EXPECT_THROW(net.forward(x, observed, t, sd, Tensor(), Tensor(), Tensor(), zeros({2})), ShapeError);
}

TEST(SimformerScoreNetwork, PreconditionedFloat64GradientCheck) {
  ScoreNetworkOptions o = tiny_network(true);
  o.learn_id_embedding = true;
  ScoreNetwork net(o);
  net.to(DType::F64);
  Generator gen(11);
  const Tensor x = randn({3, 4}, gen, {.dtype = DType::F64}) * 3.0;
  const Tensor t = uniform({3}, 0.1, 0.9, gen, {.dtype = DType::F64});
  const Tensor sd = uniform({3}, 0.2, 5.0, gen, {.dtype = DType::F64});
  const Tensor alpha = uniform({3}, 0.3, 1.0, gen, {.dtype = DType::F64});
  Tensor observed = zeros({3, 4}).to(DType::Bool);
  observed.data<bool>()[2] = true;
  std::vector<Tensor> inputs = {x, net.condition_token};
  for (auto& [name, p] : net.named_parameters())
    if (name == "head.weight") inputs.push_back(p);
  ASSERT_EQ(inputs.size(), 3u);
  EXPECT_TRUE(amor::testing::gradcheck(
      [&](const std::vector<Tensor>& in) {
        return net.forward(in[0], observed, t, sd, Tensor(), Tensor(), Tensor(), alpha);
      },
      inputs));
}

TEST(SimformerScoreNetwork, PreconditionOptionRoundTripsThroughJson) {
  EXPECT_FALSE(ScoreNetworkOptions{}.to_json().contains("precondition"));  // older models read as before
  const ScoreNetworkOptions on = ScoreNetworkOptions::from_json({{"precondition", true}});
  EXPECT_TRUE(on.precondition);
  EXPECT_TRUE(ScoreNetworkOptions::from_json(on.to_json()).precondition);
  EXPECT_THROW(ScoreNetworkOptions::from_json({{"precondition", 1}}), ValueError);
}

TEST(SimformerSde, TimeOfStdInvertsStdAndClamps) {
  Sde ve;
  Sde vp;
  vp.kind = SdeKind::VP;
  for (const Sde& sde : {ve, vp})
    for (double t : {1e-3, 0.1, 0.5, 0.9, 1.0}) EXPECT_NEAR(sde.time_of_std(sde.std(t)), t, 1e-9 * (1 + t)) << t;
  EXPECT_EQ(ve.time_of_std(1e-9), ve.t_min);
  EXPECT_EQ(ve.time_of_std(1e3), ve.t_max);
  EXPECT_EQ(vp.time_of_std(1.5), vp.t_max);
}

TEST(SimformerSde, LogNormalTimeSamplingHasTheRequestedLogStd) {
  TimeSampling ts;
  ts.kind = TimeSampling::Kind::LogNormal;
  ts.log_std_mean = -1.0;
  ts.log_std_sd = 1.0;
  const Sde sde;
  Generator gen(4);
  const int64_t n = 20000;
  const Tensor t = ts.sample(sde, n, gen);
  double m = 0, m2 = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double ti = t.data<float>()[i];
    ASSERT_TRUE(ti >= sde.t_min && ti <= sde.t_max);
    const double l = std::log(sde.std(ti));
    m += l / double(n);
    m2 += l * l / double(n);
  }
  // Standard errors 0.007 (mean) and 0.005 (sd): 5 of them.
  EXPECT_NEAR(m, -1.0, 0.035);
  EXPECT_NEAR(std::sqrt(m2 - m * m), 1.0, 0.025);
  // Uniform stays the reference's t ~ U(t_min, t_max).
  const Tensor u = TimeSampling{}.sample(sde, n, gen);
  double mu = 0;
  for (int64_t i = 0; i < n; ++i) mu += u.data<float>()[i] / double(n);
  EXPECT_NEAR(mu, 0.5, 0.01);
}

TEST(SimformerSde, TimeSamplingOptionsRoundTripAndRejectBadValues) {
  EXPECT_FALSE(TrainingOptions{}.to_json().contains("time_sampling"));  // older models read as before
  const TrainingOptions o =
      TrainingOptions::from_json({{"time_sampling", "log_normal"}, {"log_std_mean", -0.3}, {"log_std_sd", 2.0}});
  const TrainingOptions back = TrainingOptions::from_json(o.to_json());
  EXPECT_EQ(back.time_sampling.kind, TimeSampling::Kind::LogNormal);
  EXPECT_EQ(back.time_sampling.log_std_mean, -0.3);
  EXPECT_EQ(back.time_sampling.log_std_sd, 2.0);
  EXPECT_THROW(TrainingOptions::from_json({{"time_sampling", "beta"}}), ValueError);
  EXPECT_THROW(TrainingOptions::from_json({{"log_std_sd", 0.0}}), ValueError);
}

}  // namespace
}  // namespace amor::sbi::simformer

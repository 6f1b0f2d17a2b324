// The flow framework: permutations, LULinear, the unconstraining bijection, CompositeTransform
// and ConditionalFlow's standardisation, shapes and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "sbi/flows/conditional_flow.h"
#include "sbi/flows/lu_linear.h"
#include "sbi/flows/permutation.h"
#include "sbi/flows/unconstrained.h"
#include "tests/sbi/flow_test_util.h"
#include "tests/support/gradcheck.h"

namespace amor::sbi::flows {
namespace {

using testing::expect_invertible;
using testing::expect_logabsdet_matches_jacobian;
using testing::jitter;
using testing::max_abs_diff;
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(FlowsPermutation, ForwardInverseAndSeeding) {
  auto p = std::make_shared<Permutation>(std::vector<int64_t>{2, 0, 1});
  Tensor x = from_vector<float>({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  TransformResult f = p->forward(x);
  EXPECT_EQ(f.outputs.to_vector<float>(), (std::vector<float>{3, 1, 2, 6, 4, 5}));
  EXPECT_EQ(f.logabsdet.to_vector<float>(), (std::vector<float>{0, 0}));
  expect_invertible(*p, x, Tensor(), 0.0);
  EXPECT_EQ(reverse_permutation(4)->permutation(), (std::vector<int64_t>{3, 2, 1, 0}));
  Generator g1(7), g2(7), g3(8);
  auto a = random_permutation(10, g1), b = random_permutation(10, g2), c = random_permutation(10, g3);
  EXPECT_EQ(a->permutation(), b->permutation());
  EXPECT_NE(a->permutation(), c->permutation());
  EXPECT_THROW(Permutation(std::vector<int64_t>{0, 0, 1}), ValueError);
  EXPECT_THROW(Permutation(std::vector<int64_t>{0, 3}), ValueError);
  EXPECT_THROW(p->forward(zeros(Shape{2, 4})), ShapeError);
  // The permutation is a buffer: restoring it (as a checkpoint does) changes both directions.
  auto q = std::make_shared<Permutation>(std::vector<int64_t>{0, 1, 2});
  q->find_state("perm")->copy_(from_vector<int64_t>({2, 0, 1}));
  EXPECT_EQ(max_abs_diff(q->forward(x).outputs, f.outputs), 0.0);
  expect_invertible(*q, x, Tensor(), 0.0);
}

TEST(FlowsLULinear, IdentityInitAndMatrices) {
  Generator gen(1);
  LULinear lu(3, gen);
  Tensor x = randn(Shape{5, 3}, gen);
  TransformResult f = lu.forward(x);
  EXPECT_LE(max_abs_diff(f.outputs, x), 1e-6);
  EXPECT_LE(max_abs_diff(f.logabsdet, zeros(Shape{5})), 1e-6);
  // Names and order as nflows.
  std::vector<std::string> names;
  for (const auto& [n, t] : lu.named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"bias", "lower_entries", "upper_entries", "unconstrained_upper_diag"}));
  // Entry layout: lower (1,0),(2,0),(2,1); upper (0,1),(0,2),(1,2).
  {
    NoGradGuard ng;
    lu.lower_entries.copy_(from_vector<float>({1, 2, 3}));
    lu.upper_entries.copy_(from_vector<float>({4, 5, 6}));
  }
  EXPECT_EQ(lu.lower().to_vector<float>(), (std::vector<float>{1, 0, 0, 1, 1, 0, 2, 3, 1}));
  const std::vector<float> U = lu.upper().to_vector<float>();
  EXPECT_NEAR(U[0], 1.0, 1e-6);
  EXPECT_EQ(U[1], 4.f);
  EXPECT_EQ(U[2], 5.f);
  EXPECT_EQ(U[3], 0.f);
  EXPECT_EQ(U[5], 6.f);
  EXPECT_EQ(U[6], 0.f);
  EXPECT_EQ(U[7], 0.f);
}

TEST(FlowsLULinear, InvertibleWithCorrectLogDet) {
  for (int64_t d : {1, 2, 5}) {
    Generator gen{uint64_t(d)};
    LULinear lu(d, gen, {.identity_init = false, .dtype = DType::F64});
    jitter(lu, 3, 0.2);
    Tensor x = randn(Shape{6, d}, gen, {.dtype = DType::F64});
    expect_invertible(lu, x, Tensor(), 1e-10);
    expect_logabsdet_matches_jacobian(lu, x, Tensor());
    LULinear lu32(d, gen, {.identity_init = false});
    jitter(lu32, 4, 0.2);
    expect_invertible(lu32, randn(Shape{64, d}, gen), Tensor(), 1e-5);
  }
}

TEST(FlowsLULinear, Gradcheck) {
  Generator gen(5);
  LULinear lu(4, gen, {.identity_init = false, .dtype = DType::F64});
  jitter(lu, 6, 0.2);
  Tensor x = amor::testing::randn_f64({3, 4}, 7);
  std::vector<Tensor> in = {x};
  for (const Tensor& p : lu.parameters()) in.push_back(p);
  EXPECT_TRUE(amor::testing::gradcheck(
      [&](const std::vector<Tensor>& v) { auto r = lu.forward(v[0]); return std::vector<Tensor>{r.outputs, r.logabsdet}; }, in));
  EXPECT_TRUE(amor::testing::gradcheck(
      [&](const std::vector<Tensor>& v) { auto r = lu.inverse(v[0]); return std::vector<Tensor>{r.outputs, r.logabsdet}; }, in));
}

Support mixed_support() {
  // logit, identity, lower log, upper log, logit on a shifted box
  return Support{{-1.0, -kInf, 0.0, -kInf, 2.0}, {3.0, kInf, kInf, 1.5, 2.5}};
}

Tensor inside_points(int64_t n, uint64_t seed) {
  Generator gen(seed);
  Tensor u = rand(Shape{n, 5}, gen, {.dtype = DType::F64});
  Tensor lo = from_vector<double>({-1.0, -3.0, 0.0, -2.0, 2.0}), w = from_vector<double>({4.0, 6.0, 5.0, 3.5, 0.5});
  return (lo + u * w * 0.98 + w * 0.01).contiguous();
}

TEST(FlowsUnconstrained, RoundTripLogDetAndBounds) {
  UnconstrainingTransform t(mixed_support(), DType::F64);
  EXPECT_TRUE(t.any_bounded());
  Tensor x = inside_points(8, 1);
  expect_invertible(t, x, Tensor(), 1e-10);
  expect_logabsdet_matches_jacobian(t, x, Tensor(), 1e-6);
  // Identity columns pass through unchanged; logit of the box middle is 0.
  TransformResult f = t.forward(x);
  EXPECT_EQ(max_abs_diff(f.outputs.narrow(1, 1, 1), x.narrow(1, 1, 1)), 0.0);
  EXPECT_NEAR(t.forward(from_vector<double>({1.0, 0.0, 1.0, 0.5, 2.25}, Shape{1, 5})).outputs.to_vector<double>()[0], 0.0, 1e-15);
  // Anything in R^5 maps back inside the support.
  Generator gen(2);
  Tensor u = randn(Shape{200, 5}, gen, {.dtype = DType::F64}) * 5.0;
  const std::vector<double> th = t.inverse(u).outputs.to_vector<double>();
  const Support s = mixed_support();
  for (size_t i = 0; i < th.size(); ++i) {
    EXPECT_GE(th[i], s.lower[i % 5]);
    EXPECT_LE(th[i], s.upper[i % 5]);
  }
  // On a bound: finite outputs (clamped), never ±inf or NaN.
  Tensor edge = from_vector<double>({-1.0, 0.0, 0.0, 1.5, 2.5}, Shape{1, 5});
  EXPECT_TRUE(all_finite(t.forward(edge).outputs));
  EXPECT_TRUE(all_finite(t.forward(edge).logabsdet));
  // float32 round trip.
  UnconstrainingTransform t32(mixed_support());
  expect_invertible(t32, x.to(DType::F32), Tensor(), 1e-5);
  EXPECT_THROW(UnconstrainingTransform(Support{{1.0}, {1.0}}), ValueError);
  EXPECT_THROW(UnconstrainingTransform(Support{{0.0, 0.0}, {1.0}}), ShapeError);
  EXPECT_FALSE(UnconstrainingTransform(Support{{-kInf}, {kInf}}).any_bounded());
}

TEST(FlowsUnconstrained, Gradcheck) {
  UnconstrainingTransform t(mixed_support(), DType::F64);
  Tensor x = inside_points(4, 3);
  auto fwd = [&](const std::vector<Tensor>& v) { auto r = t.forward(v[0]); return std::vector<Tensor>{r.outputs, r.logabsdet}; };
  auto inv = [&](const std::vector<Tensor>& v) { auto r = t.inverse(v[0]); return std::vector<Tensor>{r.outputs, r.logabsdet}; };
  EXPECT_TRUE(amor::testing::gradcheck(fwd, {x}));
  EXPECT_TRUE(amor::testing::gradcheck(inv, {amor::testing::randn_f64({4, 5}, 4)}));
}

TEST(FlowsComposite, ChainsInOrderAndSumsLogDets) {
  Generator gen(3);
  auto lu1 = std::make_shared<LULinear>(3, gen, LULinearOptions{.identity_init = false, .dtype = DType::F64});
  auto lu2 = std::make_shared<LULinear>(3, gen, LULinearOptions{.identity_init = false, .dtype = DType::F64});
  auto perm = std::make_shared<Permutation>(std::vector<int64_t>{1, 2, 0});
  CompositeTransform chain({lu1, perm, lu2});
  EXPECT_EQ(chain.size(), 3u);
  Tensor x = randn(Shape{5, 3}, gen, {.dtype = DType::F64});
  NoGradGuard ng;
  TransformResult a = lu1->forward(x), b = perm->forward(a.outputs), c = lu2->forward(b.outputs);
  TransformResult all = chain.forward(x);
  EXPECT_LE(max_abs_diff(all.outputs, c.outputs), 1e-14);
  EXPECT_LE(max_abs_diff(all.logabsdet, a.logabsdet + c.logabsdet), 1e-14);
  expect_invertible(chain, x, Tensor(), 1e-10);
  // Checkpoint-style names.
  EXPECT_NE(chain.find_state("transforms.0.lower_entries"), nullptr);
  EXPECT_NE(chain.find_state("transforms.1.perm"), nullptr);
  EXPECT_THROW(chain.push_back(std::make_shared<Permutation>(std::vector<int64_t>{0, 1})), ShapeError);
}

TEST(FlowsConditionalFlow, StandardizationIsFittedAndEntersTheDensity) {
  Generator gen(4);
  auto lu = std::make_shared<LULinear>(2, gen, LULinearOptions{.dtype = DType::F64});
  ConditionalFlow flow(2, 0, lu, {.standardize_theta = true, .dtype = DType::F64});
  // θ ~ N((3, -1), diag(2², 0.5²)): with an identity chain the flow is exactly that Gaussian
  // once the standardisation is fitted.
  Tensor theta = randn(Shape{20000, 2}, gen, {.dtype = DType::F64}) * from_vector<double>({2.0, 0.5}) +
                 from_vector<double>({3.0, -1.0});
  flow.set_standardization(theta);
  const std::vector<double> m = flow.find_state("theta_mean")->to_vector<double>();
  const std::vector<double> s = flow.find_state("theta_std")->to_vector<double>();
  // 20000 draws: standard errors 0.014 / 0.0035 (mean) and 0.01 / 0.0025 (std); 5 sigma.
  EXPECT_NEAR(m[0], 3.0, 0.07);
  EXPECT_NEAR(m[1], -1.0, 0.018);
  EXPECT_NEAR(s[0], 2.0, 0.05);
  EXPECT_NEAR(s[1], 0.5, 0.0125);
  Tensor pt = from_vector<double>({3.5, -0.8}, Shape{1, 2});
  const double z0 = (3.5 - m[0]) / s[0], z1 = (-0.8 - m[1]) / s[1];
  const double expected = -0.5 * (z0 * z0 + z1 * z1) - std::log(2 * M_PI) - std::log(s[0] * s[1]);
  EXPECT_NEAR(flow.log_prob(pt).item<double>(), expected, 1e-12);
  // Non-finite rows are ignored; a constant column keeps std 1.
  Tensor with_nan = from_vector<double>({1, 5, 2, 5, NAN, 5, 3, 5}, Shape{4, 2});
  flow.set_standardization(with_nan);
  EXPECT_EQ(flow.find_state("theta_mean")->to_vector<double>(), (std::vector<double>{2.0, 5.0}));
  EXPECT_EQ(flow.find_state("theta_std")->to_vector<double>(), (std::vector<double>{1.0, 1.0}));
  EXPECT_THROW(flow.set_standardization(from_vector<double>({1, 2}, Shape{1, 2})), ValueError);
}

TEST(FlowsConditionalFlow, ShapeAndDTypeErrors) {
  Generator gen(5);
  ConditionalFlow flow(2, 3, std::make_shared<LULinear>(2, gen), {});
  Tensor th = zeros(Shape{4, 2}), c = zeros(Shape{4, 3});
  EXPECT_EQ(flow.log_prob(th, c).shape(), Shape{4});
  EXPECT_EQ(flow.log_prob(th, zeros(Shape{1, 3})).shape(), Shape{4});  // broadcast context
  EXPECT_THROW(flow.log_prob(th), ShapeError);                          // missing context
  EXPECT_THROW(flow.log_prob(zeros(Shape{4, 3}), c), ShapeError);
  EXPECT_THROW(flow.log_prob(th, zeros(Shape{3, 3})), ShapeError);
  EXPECT_THROW(flow.log_prob(th, zeros(Shape{4, 2})), ShapeError);
  EXPECT_THROW(flow.log_prob(th.to(DType::F64), c), DTypeError);
  EXPECT_THROW(flow.sample(0, zeros(Shape{1, 3}), gen), ValueError);
  EXPECT_THROW(flow.sample(5, zeros(Shape{2, 3}), gen), ShapeError);
  EXPECT_EQ(flow.sample(5, zeros(Shape{1, 3}), gen).shape(), (Shape{5, 2}));
  EXPECT_EQ(flow.sample_batched(5, zeros(Shape{4, 3}), gen).shape(), (Shape{4, 5, 2}));
  EXPECT_THROW(ConditionalFlow(3, 0, std::make_shared<LULinear>(2, gen)), ShapeError);
  FlowOptions bad;
  bad.support = Support{{0.0}, {1.0}};
  EXPECT_THROW(ConditionalFlow(2, 0, std::make_shared<LULinear>(2, gen), bad), ShapeError);
}

TEST(FlowsConditionalFlow, OptionsJsonRoundTrip) {
  FlowOptions o;
  o.standardize_context = false;
  o.support = Support{{0.0, -kInf}, {1.0, 2.0}};
  o.dtype = DType::F64;
  const nlohmann::json j = o.to_json();
  const FlowOptions r = FlowOptions::from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(r.standardize_theta, true);
  EXPECT_EQ(r.standardize_context, false);
  ASSERT_TRUE(r.support.has_value());
  EXPECT_EQ(r.support->lower, o.support->lower);
  EXPECT_EQ(r.support->upper, o.support->upper);
  EXPECT_EQ(r.dtype, DType::F64);
  EXPECT_FALSE(FlowOptions::from_json(FlowOptions{}.to_json()).support.has_value());
  EXPECT_THROW(FlowOptions::from_json(nlohmann::json{{"dtype", "int8"}}), ValueError);
  EXPECT_THROW(FlowOptions::from_json(nlohmann::json{{"support", {{"lower", {"x"}}, {"upper", {1}}}}}), ValueError);
  EXPECT_THROW(check_json_keys(nlohmann::json{{"hiden", 3}}, {"hidden"}, "test"), ValueError);
}

}  // namespace
}  // namespace amor::sbi::flows

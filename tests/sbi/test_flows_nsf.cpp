// make_nsf (sbi/flows/nsf): sbi's build_nsf structure, invertibility, normalisation of the density
// by quadrature (1-D and 2-D), float64 gradient checks of log_prob, thread-count independence,
// the JSON config, and a short seeded training run on a 2-D conditional Gaussian.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/clip.h"
#include "nn/optim.h"
#include "sbi/flows/lu_linear.h"
#include "sbi/flows/nsf.h"
#include "sbi/flows/spline_coupling.h"
#include "tests/sbi/flow_test_util.h"
#include "tests/support/gradcheck.h"

namespace amor::sbi::flows {
namespace {

using testing::expect_invertible;
using testing::jitter;
using testing::max_abs_diff;

NSFConfig f64_config(int64_t hidden = 50, uint64_t seed = 0) {
  NSFConfig c;
  c.hidden_features = hidden;
  c.seed = seed;
  c.flow.dtype = DType::F64;
  return c;
}

TEST(FlowsNSF, StructureAsSbi) {
  // d > 1: 5 × [coupling (even, odd, even, ...), LULinear]; ResidualNet conditioners.
  ConditionalFlowPtr flow = make_nsf(3, 4);
  auto& chain = dynamic_cast<CompositeTransform&>(flow->transform());
  ASSERT_EQ(chain.size(), 10u);
  for (size_t i = 0; i < 10; i += 2) {
    auto& c = dynamic_cast<PiecewiseRationalQuadraticCoupling&>(chain[i]);
    EXPECT_EQ(c.mask(), alternating_mask(3, (i / 2) % 2 == 0)) << i;
    EXPECT_EQ(c.options().num_bins, 10);
    EXPECT_EQ(c.options().tail_bound, 3.0);
    auto& net = dynamic_cast<ResidualNet&>(c.conditioner());
    EXPECT_EQ(net.hidden_features(), 50);
    const int64_t transformed = (i / 2) % 2 == 0 ? 2 : 1;
    EXPECT_EQ(net.in_features(), 3 - transformed);
    EXPECT_EQ(net.out_features(), transformed * 29);
    EXPECT_NE(dynamic_cast<LULinear*>(&chain[i + 1]), nullptr);
  }
  EXPECT_EQ(flow->dtype(), DType::F32);
  // The checkpoint keys follow nflows' module names.
  EXPECT_NE(flow->find_state("transform.transforms.0.transform_net.blocks.1.context_layer.weight"), nullptr)
      << "names: " << flow->named_parameters().front().first;
  // d = 1: 5 couplings whose parameters come from the context; no LULinear.
  ConditionalFlowPtr one = make_nsf(1, 2);
  auto& chain1 = dynamic_cast<CompositeTransform&>(one->transform());
  ASSERT_EQ(chain1.size(), 5u);
  for (size_t i = 0; i < 5; ++i)
    EXPECT_NE(dynamic_cast<ContextSplineMap*>(&dynamic_cast<PiecewiseRationalQuadraticCoupling&>(chain1[i]).conditioner()),
              nullptr);
  EXPECT_THROW(make_nsf(1, 0), ValueError);
  EXPECT_THROW(make_nsf(0, 2), ValueError);
  NSFConfig bad;
  bad.num_bins = 0;
  EXPECT_THROW(make_nsf(2, 2, bad), ValueError);
  // Same seed, same weights; another seed, others.
  NSFConfig s1;
  s1.seed = 5;
  auto a = make_nsf(2, 3, s1), b = make_nsf(2, 3, s1), c = make_nsf(2, 3);
  Tensor th = zeros(Shape{2, 2}), ctx = ones(Shape{2, 3});
  jitter(*a, 1);
  jitter(*b, 1);
  jitter(*c, 1);
  EXPECT_EQ(max_abs_diff(a->log_prob(th, ctx), b->log_prob(th, ctx)), 0.0);
  EXPECT_GT(max_abs_diff(a->log_prob(th, ctx), c->log_prob(th, ctx)), 1e-6);
}

TEST(FlowsNSF, Invertible) {
  for (int64_t d : {1, 2, 5}) {
    SCOPED_TRACE("d = " + std::to_string(d));
    ConditionalFlowPtr flow = make_nsf(d, 3, f64_config(16, 7));
    jitter(*flow, 8, 0.3);
    Tensor x = ::amor::testing::uniform_f64(Shape{12, d}, 9, -4.0, 4.0), ctx = ::amor::testing::randn_f64(Shape{12, 3}, 10);
    expect_invertible(flow->transform(), x, ctx, 1e-9);
    // Sampling inverts log_prob's map: the log q of sample_and_log_prob matches log_prob.
    Generator gen(11);
    auto [samples, lq] = flow->sample_and_log_prob(50, ctx.narrow(0, 0, 1), gen);
    EXPECT_LE(max_abs_diff(flow->log_prob(samples, ctx.narrow(0, 0, 1)), lq), 1e-9);
  }
}

// Σ over the grid of q · cell area (the trapezoid rule; the density is ~0 at the box edges).
double grid_mass(ConditionalFlow& flow, const Tensor& ctx, int64_t d, double L, int64_t m) {
  NoGradGuard no_grad;
  const double h = 2 * L / double(m - 1);
  Tensor axis = linspace(-L, L, m, {.dtype = DType::F64});
  Tensor pts = d == 1 ? axis.unsqueeze(1)
                      : stack({axis.unsqueeze(1).expand(Shape{m, m}).reshape(Shape{m * m}),
                               axis.unsqueeze(0).expand(Shape{m, m}).reshape(Shape{m * m})},
                              1);
  Tensor q = exp(flow.log_prob(pts, ctx));
  return sum(q).item<double>() * std::pow(h, double(d));
}

// max |log q(θ | c) - log N(θ; 0, I)| over a few points: the flow under test is far from its
// base, so the normalisation checks below are not passed by a near-identity map.
double distance_from_base(ConditionalFlow& flow, const Tensor& ctx, int64_t d) {
  NoGradGuard no_grad;
  Tensor th = ::amor::testing::uniform_f64(Shape{200, d}, 77, -2.0, 2.0);
  Tensor diff = flow.log_prob(th, ctx) - ConditionalFlow::standard_normal_log_prob(th);
  return max(abs(diff)).item<double>();
}

TEST(FlowsNSF, NormalisedOneDimensional) {
  // q(θ | c) must integrate to 1 for every context. Beyond ±3 (after standardisation) every
  // spline is the identity, so the density there is the base's: outside [-11, 11] (with the
  // standardisation below, |u| > 5.2) lies < 1e-7 of the mass. The trapezoid rule with
  // h = 5.5e-4 is accurate to ~1e-6 here (against the grid of twice the spacing, and a run
  // with 4x the points gave 1 - 1.5e-7), so 5e-6 is the tolerance; a log-det with a wrong sign
  // or a missing term moves the integral by O(0.1).
  ConditionalFlowPtr flow = make_nsf(1, 2, f64_config(16, 3));
  jitter(*flow, 4, 0.3);
  flow->set_standardization(::amor::testing::randn_f64(Shape{100, 1}, 5, 0.5, 2.0),
                            ::amor::testing::randn_f64(Shape{100, 2}, 6));
  for (uint64_t seed : {7, 8, 9}) {
    Tensor ctx = ::amor::testing::randn_f64(Shape{1, 2}, seed);
    EXPECT_GT(distance_from_base(*flow, ctx, 1), 0.5);
    const double fine = grid_mass(*flow, ctx, 1, 11.0, 40001), coarse = grid_mass(*flow, ctx, 1, 11.0, 20001);
    EXPECT_NEAR(fine, coarse, 5e-6);
    EXPECT_NEAR(fine, 1.0, 5e-6) << "context seed " << seed;
  }
}

TEST(FlowsNSF, NormalisedTwoDimensional) {
  // The same in 2-D over [-10, 10]², where the LULinear layers mix the features. The grid of
  // h = 0.067 and the one of twice the spacing agree to ~4e-4 (a grid with h = 0.047 over
  // [-7, 7]² gave a mass within 8e-4 too), so 2e-3 is the tolerance; a log-det that is off by a
  // visible amount moves the mass by more than 1e-2.
  ConditionalFlowPtr flow = make_nsf(2, 3, f64_config(8, 12));
  jitter(*flow, 13, 0.2);
  Tensor ctx = ::amor::testing::randn_f64(Shape{1, 3}, 14);
  EXPECT_GT(distance_from_base(*flow, ctx, 2), 0.5);
  const double fine = grid_mass(*flow, ctx, 2, 10.0, 301), coarse = grid_mass(*flow, ctx, 2, 10.0, 151);
  EXPECT_NEAR(fine, coarse, 2e-3);
  EXPECT_NEAR(fine, 1.0, 2e-3);
}

TEST(FlowsNSF, GradcheckLogProb) {
  // log q w.r.t. θ, the context and parameters of the first coupling, the last LULinear and (1-D)
  // the context network.
  for (int64_t d : {1, 3}) {
    SCOPED_TRACE("d = " + std::to_string(d));
    NSFConfig cfg = f64_config(6, 20);
    cfg.num_transforms = 2;
    cfg.num_bins = 5;
    ConditionalFlowPtr flow = make_nsf(d, 2, cfg);
    jitter(*flow, 21, 0.4);
    Tensor th = ::amor::testing::uniform_f64(Shape{4, d}, 22, -3.5, 3.5), ctx = ::amor::testing::randn_f64(Shape{4, 2}, 23);
    std::vector<Tensor> inputs = {th, ctx};
    for (const auto& [name, t] : flow->named_parameters())
      if (name.find("transforms.0.transform_net") != std::string::npos && name.find("weight") != std::string::npos) {
        inputs.push_back(t);
        break;
      }
    if (d > 1) inputs.push_back(*flow->find_state("transform.transforms.3.unconstrained_upper_diag"));
    ASSERT_GE(inputs.size(), 3u);
    EXPECT_TRUE(::amor::testing::gradcheck(
        [flow](const std::vector<Tensor>& v) { return flow->log_prob(v[0], v[1]); }, inputs));
  }
}

TEST(FlowsNSF, SameResultForOneAndTwoThreads) {
  ConditionalFlowPtr flow = make_nsf(3, 2);
  jitter(*flow, 30);
  Generator gen(31);
  Tensor th = randn(Shape{3000, 3}, gen), ctx = randn(Shape{3000, 2}, gen);
  const int saved = omp_get_max_threads();
  std::vector<float> out[2];
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    out[threads - 1] = flow->log_prob(th, ctx).to_vector<float>();
  }
  omp_set_num_threads(saved);
  EXPECT_EQ(out[0], out[1]);
}

TEST(FlowsNSF, ConfigJson) {
  NSFConfig c;
  c.hidden_features = 32;
  c.num_bins = 8;
  c.tail_bound = 2.5;
  c.seed = 99;
  c.flow.dtype = DType::F64;
  const NSFConfig r = NSFConfig::from_json(c.to_json());
  EXPECT_EQ(r.to_json(), c.to_json());
  EXPECT_EQ(r.hidden_features, 32);
  EXPECT_EQ(r.tail_bound, 2.5);
  EXPECT_EQ(r.flow.dtype, DType::F64);
  EXPECT_EQ(NSFConfig::from_json(nlohmann::json::object()).to_json(), NSFConfig{}.to_json());
  for (const char* bad : {R"({"num_bins": 0})", R"({"num_bins": 2.5})", R"({"tail_bound": -1})",
                          R"({"hidden_features": "50"})", R"({"type": "maf"})", R"({"bins": 10})",
                          R"({"seed": -1})"})
    EXPECT_THROW(NSFConfig::from_json(nlohmann::json::parse(bad)), ValueError) << bad;
}

TEST(FlowsNSF, TrainsOnConditionalGaussian) {
  // θ | c ~ N(μ(c), Σ), c ~ U(-1, 1)², μ(c) = (c1, 0.5·sin(π c2)), std (0.3, 0.2), correlation 0.8.
  // The best possible mean NLL is the conditional entropy ½·log((2πe)²·det Σ) = -0.484. A
  // density that ignores the context cannot get below ~0.9 (the marginal of θ), and the
  // untrained flow starts at ~1.5, so reaching < -0.25 on held-out data needs working spline
  // couplings, log-dets and gradients. sbi's NSF (hidden 50, 10 bins) in float32; Adam at 2e-3
  // (faster than sbi's 5e-4 for a short run) with sbi's gradient clipping at norm 5.
  const double s1 = 0.3, s2 = 0.2, rho = 0.8;
  auto simulate = [&](int64_t n, Generator& gen, Tensor* theta, Tensor* ctx) {
    Tensor c = uniform(Shape{n, 2}, -1.0, 1.0, gen, {.dtype = DType::F64});
    Tensor z = randn(Shape{n, 2}, gen, {.dtype = DType::F64});
    Tensor e1 = s1 * z.select(1, 0), e2 = s2 * (rho * z.select(1, 0) + std::sqrt(1 - rho * rho) * z.select(1, 1));
    Tensor mu2 = 0.5 * sin(std::numbers::pi * c.select(1, 1));
    *theta = stack({c.select(1, 0) + e1, mu2 + e2}, 1).to(DType::F32);
    *ctx = c.to(DType::F32);
  };
  Generator gen(2024);
  Tensor theta, ctx, theta_val, ctx_val;
  simulate(4000, gen, &theta, &ctx);
  simulate(2000, gen, &theta_val, &ctx_val);
  const double entropy = 0.5 * std::log(std::pow(2 * std::numbers::pi * std::numbers::e, 2) *
                                        (s1 * s1 * s2 * s2 * (1 - rho * rho)));
  ConditionalFlowPtr flow = make_nsf(2, 2);
  flow->set_standardization(theta, ctx);
  auto val_nll = [&]() {
    NoGradGuard no_grad;
    return -mean(flow->log_prob(theta_val, ctx_val)).item<double>();
  };
  const double before = val_nll();
  nn::Adam opt(flow->parameters(), 3e-3);
  const int64_t batch = 200, steps = 300;
  Tensor order = randperm(4000, gen);
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t start = (s * batch) % 4000;
    if (start == 0 && s > 0) order = randperm(4000, gen);
    Tensor idx = order.narrow(0, start, batch);
    opt.zero_grad();
    Tensor loss = -mean(flow->log_prob(index_select(theta, 0, idx), index_select(ctx, 0, idx)));
    loss.backward();
    nn::clip_grad_norm(flow->parameters(), 5.0);
    opt.step();
  }
  const double after = val_nll();
  std::printf("NSF smoke: held-out NLL %.3f -> %.3f (optimum %.3f)\n", before, after, entropy);
  EXPECT_GT(before, 1.0);
  EXPECT_LT(after, -0.25);
  EXPECT_GT(after, entropy - 0.05);  // below the optimum by more than noise would be suspicious
}

}  // namespace
}  // namespace amor::sbi::flows

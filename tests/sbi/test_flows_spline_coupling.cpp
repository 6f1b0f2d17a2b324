// ResidualNet, ContextSplineMap and PiecewiseRationalQuadraticCoupling (sbi/flows): nflows'
// names and initialisation, values against direct compositions, invertibility, log-dets against
// numeric Jacobians, float64 gradient checks and input validation.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "sbi/flows/residual_net.h"
#include "sbi/flows/spline_coupling.h"
#include "tests/sbi/flow_test_util.h"
#include "tests/support/gradcheck.h"

namespace amor::sbi::flows {
namespace {

using testing::expect_invertible;
using testing::expect_logabsdet_matches_jacobian;
using testing::jitter;
using testing::max_abs_diff;

std::vector<std::string> names_of(const nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& [n, t] : m.named_parameters()) out.push_back(n);
  return out;
}

// ---- ResidualNet ------------------------------------------------------------------------------

TEST(FlowsResidualNet, NamesAndZeroInitialisedBlockOutputs) {
  Generator gen(1);
  ResidualNet net(3, 7, gen, {.hidden_features = 5, .context_features = 2, .num_blocks = 2});
  const std::vector<std::string> want = {
      "initial_layer.weight", "initial_layer.bias",
      "blocks.0.context_layer.weight", "blocks.0.context_layer.bias",
      "blocks.0.linear_layers.0.weight", "blocks.0.linear_layers.0.bias",
      "blocks.0.linear_layers.1.weight", "blocks.0.linear_layers.1.bias",
      "blocks.1.context_layer.weight", "blocks.1.context_layer.bias",
      "blocks.1.linear_layers.0.weight", "blocks.1.linear_layers.0.bias",
      "blocks.1.linear_layers.1.weight", "blocks.1.linear_layers.1.bias",
      "final_layer.weight", "final_layer.bias"};
  EXPECT_EQ(names_of(net), want);
  EXPECT_EQ(net.find_state("initial_layer.weight")->shape(), (Shape{5, 5}));  // in + context
  EXPECT_EQ(net.find_state("final_layer.weight")->shape(), (Shape{7, 5}));
  // Each block's output layer starts in U(-1e-3, 1e-3); the others have PyTorch's default
  // U(-1/sqrt(5), 1/sqrt(5)), so some entry of them exceeds 1e-3.
  for (const char* n : {"blocks.0.linear_layers.1.weight", "blocks.1.linear_layers.1.bias"})
    EXPECT_LE(max(abs(*net.find_state(n))).item<double>(), 1e-3) << n;
  EXPECT_GT(max(abs(*net.find_state("blocks.0.linear_layers.0.weight"))).item<double>(), 1e-3);
  // Without a context there are no context layers.
  ResidualNet plain(3, 7, gen, {.hidden_features = 5, .context_features = 0, .num_blocks = 1});
  EXPECT_EQ(plain.find_state("blocks.0.context_layer.weight"), nullptr);
}

TEST(FlowsResidualNet, MatchesComposition) {
  Generator gen(2);
  ResidualNet net(3, 4, gen, {.hidden_features = 6, .context_features = 2, .num_blocks = 2, .dtype = DType::F64});
  jitter(net, 3);
  Tensor x = ::amor::testing::randn_f64(Shape{5, 3}, 4), c = ::amor::testing::randn_f64(Shape{5, 2}, 5);
  auto p = [&](const std::string& n) { return *net.find_state(n); };
  auto lin = [&](const Tensor& in, const std::string& n) { return linear(in, p(n + ".weight"), p(n + ".bias")); };
  Tensor h = lin(concat({x, c}, 1), "initial_layer");
  for (int b = 0; b < 2; ++b) {
    const std::string pre = "blocks." + std::to_string(b) + ".";
    Tensor t = lin(relu(lin(relu(h), pre + "linear_layers.0")), pre + "linear_layers.1");
    h = h + t * sigmoid(lin(c, pre + "context_layer"));
  }
  ::amor::testing::expect_close(net.forward(x, c), lin(h, "final_layer"), 1e-13, 1e-13);
}

TEST(FlowsResidualNet, GradcheckAndErrors) {
  Generator gen(6);
  auto net = std::make_shared<ResidualNet>(2, 3, gen, ResidualNetOptions{.hidden_features = 4, .context_features = 2,
                                                                          .num_blocks = 2, .dtype = DType::F64});
  jitter(*net, 7);
  Tensor x = ::amor::testing::randn_f64(Shape{4, 2}, 8), c = ::amor::testing::randn_f64(Shape{4, 2}, 9);
  Tensor w = *net->find_state("blocks.1.context_layer.weight");
  EXPECT_TRUE(::amor::testing::gradcheck(
      [net](const std::vector<Tensor>& v) { return net->forward(v[0], v[1]); }, {x, c, w}));
  EXPECT_THROW(net->forward(x, Tensor()), ShapeError);
  EXPECT_THROW(net->forward(zeros(Shape{4, 3}, {.dtype = DType::F64}), c), ShapeError);
  EXPECT_THROW(net->forward(x, zeros(Shape{3, 2}, {.dtype = DType::F64})), ShapeError);
  EXPECT_THROW(ResidualNet(0, 3, gen, {.context_features = 0}), ValueError);
  EXPECT_THROW(ResidualNet(2, 0, gen), ValueError);
}

// ---- ContextSplineMap -------------------------------------------------------------------------

TEST(FlowsContextSplineMap, LayersNamesAndIgnoresInputs) {
  Generator gen(10);
  ContextSplineMap m(3, 29, 8, 1, gen, DType::F64);
  EXPECT_EQ(names_of(m), (std::vector<std::string>{"spline_predictor.0.weight", "spline_predictor.0.bias",
                                                   "spline_predictor.2.weight", "spline_predictor.2.bias",
                                                   "spline_predictor.4.weight", "spline_predictor.4.bias"}));
  EXPECT_EQ(m.hidden_features(), 8);
  Tensor c = ::amor::testing::randn_f64(Shape{5, 3}, 11);
  auto p = [&](const std::string& n) { return *m.find_state("spline_predictor." + n); };
  Tensor want = linear(relu(linear(relu(linear(c, p("0.weight"), p("0.bias"))), p("2.weight"), p("2.bias"))),
                       p("4.weight"), p("4.bias"));
  ::amor::testing::expect_close(m.forward(Tensor(), c), want, 1e-14, 1e-14);
  ::amor::testing::expect_close(m.forward(::amor::testing::randn_f64(Shape{5, 1}, 12), c), want, 0.0, 0.0);
  EXPECT_THROW(m.forward(Tensor(), Tensor()), ShapeError);
  EXPECT_THROW(m.forward(Tensor(), zeros(Shape{5, 2}, {.dtype = DType::F64})), ShapeError);
  EXPECT_EQ(names_of(ContextSplineMap(3, 29, 8, 3, gen)).size(), 10u);  // 5 separate Linears
}

// ---- PiecewiseRationalQuadraticCoupling -------------------------------------------------------

TEST(FlowsSplineCoupling, AlternatingMasks) {
  EXPECT_EQ(alternating_mask(5, true), (std::vector<bool>{true, false, true, false, true}));
  EXPECT_EQ(alternating_mask(5, false), (std::vector<bool>{false, true, false, true, false}));
  EXPECT_EQ(alternating_mask(1, true), (std::vector<bool>{true}));
  EXPECT_THROW(alternating_mask(0, true), ValueError);
}

// A float64 coupling over `features` with the given mask, conditioner hidden 6, context 2,
// parameters jittered so the splines are far from their near-uniform start.
std::shared_ptr<PiecewiseRationalQuadraticCoupling> make_coupling(const std::vector<bool>& mask, uint64_t seed,
                                                                  SplineCouplingOptions o = {}) {
  Generator gen(seed);
  int64_t transformed = 0;
  for (bool m : mask) transformed += m;
  auto net = std::make_shared<ResidualNet>(int64_t(mask.size()) - transformed, transformed * (3 * o.num_bins - 1),
                                           gen, ResidualNetOptions{.hidden_features = 6, .context_features = 2,
                                                                   .num_blocks = 2, .dtype = DType::F64});
  auto c = std::make_shared<PiecewiseRationalQuadraticCoupling>(mask, net, o);
  jitter(*c, seed + 1, 0.5);
  return c;
}

TEST(FlowsSplineCoupling, MatchesSplineOfConditionerOutput) {
  // Untouched features pass bit for bit; transformed ones are the spline of the conditioner's
  // output (width/height logits divided by sqrt(hidden)); the log-det sums over them.
  const std::vector<bool> mask = {false, true, true, false, true};
  auto c = make_coupling(mask, 20, {.num_bins = 4, .tail_bound = 2.0});
  Tensor x = ::amor::testing::uniform_f64(Shape{6, 5}, 21, -2.5, 2.5), ctx = ::amor::testing::randn_f64(Shape{6, 2}, 22);
  Tensor raw = c->conditioner().forward(index_select(x, 1, from_vector<int64_t>({0, 3})), ctx);
  Tensor params = raw.reshape(Shape{6, 3, 11});
  const double r = std::sqrt(6.0);
  Tensor scaled = concat({params.narrow(2, 0, 8) / r, params.narrow(2, 8, 3)}, 2);
  ::amor::testing::expect_close(c->spline_params(x, ctx), scaled, 1e-15, 1e-15);
  for (bool inverse : {false, true}) {
    RQSplineOutputs s = rational_quadratic_spline(index_select(x, 1, from_vector<int64_t>({1, 2, 4})), scaled,
                                                  {.num_bins = 4, .tail_bound = 2.0, .inverse = inverse});
    TransformResult t = inverse ? c->inverse(x, ctx) : c->forward(x, ctx);
    for (int64_t j : {0, 3}) EXPECT_EQ(max_abs_diff(t.outputs.select(1, j), x.select(1, j)), 0.0);
    ::amor::testing::expect_close(index_select(t.outputs, 1, from_vector<int64_t>({1, 2, 4})), s.outputs, 0.0, 0.0);
    ::amor::testing::expect_close(t.logabsdet, sum(s.logabsdet, {1}), 1e-14, 1e-14);
  }
}

TEST(FlowsSplineCoupling, InvertibleWithLogDetOfTheJacobian) {
  for (const std::vector<bool>& mask : {alternating_mask(4, true), alternating_mask(3, false), std::vector<bool>{true, true}}) {
    auto c = make_coupling(mask, 30 + mask.size());
    // Inputs up to ±4.5: some in the identity tails beyond ±3.
    Tensor x = ::amor::testing::uniform_f64(Shape{8, int64_t(mask.size())}, 31, -4.5, 4.5);
    Tensor ctx = ::amor::testing::randn_f64(Shape{8, 2}, 32);
    expect_invertible(*c, x, ctx, 1e-10);
    expect_logabsdet_matches_jacobian(*c, x, ctx, 1e-6);
  }
}

TEST(FlowsSplineCoupling, Gradcheck) {
  // Inputs, context and conditioner parameters (first and last layer), both directions.
  auto c = make_coupling(alternating_mask(3, true), 40);
  Tensor x = ::amor::testing::uniform_f64(Shape{4, 3}, 41, -3.5, 3.5), ctx = ::amor::testing::randn_f64(Shape{4, 2}, 42);
  Tensor w0 = *c->find_state("transform_net.initial_layer.weight");
  Tensor b1 = *c->find_state("transform_net.final_layer.bias");
  for (bool inverse : {false, true}) {
    SCOPED_TRACE(inverse ? "inverse" : "forward");
    EXPECT_TRUE(::amor::testing::gradcheck(
        [c, inverse](const std::vector<Tensor>& v) {
          TransformResult r = inverse ? c->inverse(v[0], v[1]) : c->forward(v[0], v[1]);
          return std::vector<Tensor>{r.outputs, r.logabsdet};
        },
        {x, ctx, w0, b1}));
  }
}

TEST(FlowsSplineCoupling, OneDimensionalFromContext) {
  // The 1-D coupling of sbi's NSF: mask {true}, parameters from the context only.
  Generator gen(50);
  auto net = std::make_shared<ContextSplineMap>(2, 29, 8, 1, gen, DType::F64);
  PiecewiseRationalQuadraticCoupling c({true}, net);
  jitter(c, 51, 0.5);
  Tensor x = ::amor::testing::uniform_f64(Shape{7, 1}, 52, -4.0, 4.0), ctx = ::amor::testing::randn_f64(Shape{7, 2}, 53);
  expect_invertible(c, x, ctx, 1e-10);
  expect_logabsdet_matches_jacobian(c, x, ctx, 1e-6);
  // Another context gives another spline.
  EXPECT_GT(max_abs_diff(c.forward(x, ctx).outputs, c.forward(x, ctx + 1.0).outputs), 1e-3);
}

TEST(FlowsSplineCoupling, Errors) {
  Generator gen(60);
  auto net = std::make_shared<ResidualNet>(1, 2 * 29, gen, ResidualNetOptions{.hidden_features = 4, .context_features = 2});
  EXPECT_THROW(PiecewiseRationalQuadraticCoupling({false, false}, net), ValueError);
  EXPECT_THROW(PiecewiseRationalQuadraticCoupling({true, false}, nullptr), ValueError);
  // The conditioner's width must be #transformed · (3K - 1): 2·29 does not fit one feature.
  PiecewiseRationalQuadraticCoupling wrong({true, false}, net);
  EXPECT_THROW(wrong.forward(zeros(Shape{3, 2}), zeros(Shape{3, 2})), ShapeError);
  PiecewiseRationalQuadraticCoupling ok(alternating_mask(3, true), net);
  EXPECT_THROW(ok.forward(zeros(Shape{3, 2}), zeros(Shape{3, 2})), ShapeError);  // 2 features, not 3
  EXPECT_NO_THROW(ok.forward(zeros(Shape{3, 3}), zeros(Shape{3, 2})));
  EXPECT_THROW(ok.forward(zeros(Shape{3, 3}), Tensor()), ShapeError);  // the net needs its context
}

}  // namespace
}  // namespace amor::sbi::flows

// Summary networks (sbi/summary): permutation invariance of the set networks, invariance to
// padding (padded elements, whatever their values, never change the output), variable N from
// call to call, float64 gradient checks with respect to the input and every parameter, config
// round trips through build_summary_network, and typed errors.
#include <gtest/gtest.h>

#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "sbi/summary/deep_set.h"
#include "sbi/summary/set_transformer.h"
#include "sbi/summary/summary_network.h"
#include "sbi/summary/time_series_network.h"
#include "tests/support/gradcheck.h"

namespace amor::sbi::summary {
namespace {

using amor::testing::gradcheck;
constexpr DType F64 = DType::F64;

// Small configurations (dropout off, so forward is deterministic in training mode too).
nlohmann::json small_config(const std::string& type) {
  if (type == "deepset")
    return {{"type", "deepset"},          {"summary_dim", 5},     {"equivariant_widths", {8, 8}},
            {"invariant_inner_widths", {8}}, {"invariant_outer_widths", {8}}, {"invariant_last_widths", {8, 8}},
            {"dropout", 0.0}};
  if (type == "set_transformer")
    return {{"type", "set_transformer"}, {"summary_dim", 5}, {"embed_dims", {8, 12}}, {"num_heads", {2, 3}},
            {"num_seeds", 2},            {"mlp_widths", {10}}, {"dropout", 0.0}};
  return {{"type", "timeseries"}, {"summary_dim", 5},    {"filters", {6, 4}},
          {"kernel_sizes", {3, 2}}, {"recurrent_dim", 5}, {"dropout", 0.0}};
}

// Adds N(0, 0.2²) to every parameter so no check sits at an initial special point (LayerNorm's
// ones and zeros).
void jitter(nn::Module& m, uint64_t seed) {
  Generator gen(seed, 77);
  NoGradGuard ng;
  for (Tensor p : m.parameters()) p.add_(randn(p.shape(), gen, {.dtype = p.dtype()}), 0.2);
}

Tensor permute_rows(const Tensor& x, const std::vector<int64_t>& perm) {
  return index_select(x, 1, from_vector(perm, Shape{int64_t(perm.size())}));
}

Tensor length_mask(const std::vector<int64_t>& len, int64_t N) {
  std::vector<bool> m;
  for (int64_t n : len)
    for (int64_t t = 0; t < N; ++t) m.push_back(t < n);
  return from_vector(m, Shape{int64_t(len.size()), N});
}

class SetNetworks : public ::testing::TestWithParam<std::string> {};

TEST_P(SetNetworks, PermutationInvariantFloat32) {
  auto net = build_summary_network(small_config(GetParam()), 3, 1);
  jitter(*net, 2);
  net->eval();
  Generator gen(3);
  const Tensor x = randn({4, 9, 3}, gen);
  const Tensor y = net->forward(x);
  EXPECT_EQ(y.shape(), (Shape{4, 5}));
  for (const auto& perm : std::vector<std::vector<int64_t>>{{8, 7, 6, 5, 4, 3, 2, 1, 0}, {3, 0, 8, 1, 5, 2, 7, 4, 6}})
    EXPECT_TRUE(amor::testing::all_close(net->forward(permute_rows(x, perm)), y, 1e-5, 1e-5));
  // A broken network (an order-dependent input) would fail: sanity check that the input matters.
  EXPECT_FALSE(amor::testing::all_close(net->forward(x * 1.5), y, 1e-3, 1e-3));
}

TEST_P(SetNetworks, PaddingNeverChangesTheOutput) {
  auto net = build_summary_network(small_config(GetParam()), 2, 4);
  jitter(*net, 5);
  net->eval();
  Generator gen(6);
  const std::vector<int64_t> len = {3, 7, 1, 5};
  Tensor x = randn({4, 7, 2}, gen);
  const Tensor mask = length_mask(len, 7);
  const Tensor y = net->forward(x, mask);
  // Padded values changed wildly: the output stays.
  const Tensor x2 = where(mask.unsqueeze(2), x, 1e4);
  EXPECT_TRUE(amor::testing::all_close(net->forward(x2, mask), y, 1e-5, 1e-5));
  // Each set alone, unpadded (variable N from call to call), gives its row of y.
  for (int64_t b = 0; b < 4; ++b)
    EXPECT_TRUE(amor::testing::all_close(net->forward(x.narrow(0, b, 1).narrow(1, 0, len[size_t(b)])),
                                         y.narrow(0, b, 1), 1e-5, 1e-5))
        << "row " << b;
  // Padding interleaved (not trailing) is fine for sets: mask holes anywhere.
  const std::vector<int64_t> perm = {6, 0, 5, 1, 4, 2, 3};
  EXPECT_TRUE(amor::testing::all_close(net->forward(permute_rows(x, perm), permute_rows(mask.unsqueeze(2), perm).squeeze(2)),
                                       y, 1e-5, 1e-5));
}

TEST_P(SetNetworks, EmptySetIsFinite) {
  auto net = build_summary_network(small_config(GetParam()), 2, 7);
  net->eval();
  const Tensor y = net->forward(ones({2, 3, 2}), zeros({2, 3}, {.dtype = DType::Bool}));
  EXPECT_TRUE(all_finite(y));
}

TEST_P(SetNetworks, GradcheckFloat64) {
  // Narrower than small_config: every parameter entry costs two forward passes.
  nlohmann::json cfg = small_config(GetParam());
  if (GetParam() == "set_transformer") {
    cfg["embed_dims"] = {4, 6};
    cfg["mlp_widths"] = {5};
  }
  auto net = build_summary_network(cfg, 2, 8, F64);
  jitter(*net, 9);
  const Tensor x = amor::testing::randn_f64({2, 4, 2}, 10);
  const Tensor mask = length_mask({4, 2}, 4);
  std::vector<Tensor> inputs = {x};
  for (const Tensor& p : net->parameters()) inputs.push_back(p);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return net->forward(v[0], mask); }, inputs));
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return net->forward(v[0]); }, inputs));
}

INSTANTIATE_TEST_SUITE_P(Summary, SetNetworks, ::testing::Values("deepset", "set_transformer"));

TEST(TimeSeriesNetwork, TrailingPaddingNeverChangesTheOutput) {
  auto net = build_summary_network(small_config("timeseries"), 2, 11);
  jitter(*net, 12);
  net->eval();
  Generator gen(13);
  const std::vector<int64_t> len = {6, 2, 4};
  const Tensor x = randn({3, 6, 2}, gen);
  const Tensor mask = length_mask(len, 6);
  const Tensor y = net->forward(x, mask);
  EXPECT_EQ(y.shape(), (Shape{3, 5}));
  EXPECT_TRUE(amor::testing::all_close(net->forward(where(mask.unsqueeze(2), x, -1e4), mask), y, 1e-5, 1e-5));
  for (int64_t b = 0; b < 3; ++b)
    EXPECT_TRUE(amor::testing::all_close(net->forward(x.narrow(0, b, 1).narrow(1, 0, len[size_t(b)])),
                                         y.narrow(0, b, 1), 1e-5, 1e-5))
        << "row " << b;
}

TEST(TimeSeriesNetwork, OrderMatters) {
  // A series summary must see the order: reversing a series changes the summary.
  auto net = build_summary_network(small_config("timeseries"), 1, 14);
  net->eval();
  const Tensor x = arange(0.0, 8.0, 1.0).reshape({1, 8, 1});
  const Tensor xr = index_select(x, 1, from_vector(std::vector<int64_t>{7, 6, 5, 4, 3, 2, 1, 0}, Shape{8}));
  EXPECT_FALSE(amor::testing::all_close(net->forward(x), net->forward(xr), 1e-3, 1e-3));
}

TEST(TimeSeriesNetwork, GradcheckFloat64) {
  auto net = build_summary_network(small_config("timeseries"), 2, 15, F64);
  jitter(*net, 16);
  const Tensor x = amor::testing::randn_f64({2, 5, 2}, 17);
  const Tensor mask = length_mask({5, 3}, 5);
  std::vector<Tensor> inputs = {x};
  for (const Tensor& p : net->parameters()) inputs.push_back(p);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return net->forward(v[0], mask); }, inputs));
}

TEST(SummaryNetworks, DefaultsAndConfigRoundTrip) {
  for (const auto& name : summary_network_names()) {
    auto net = build_summary_network(name, 3, 1);  // a bare name: BayesFlow's defaults
    EXPECT_EQ(net->summary_dim(), 16) << name;
    EXPECT_EQ(net->input_dim(), 3);
    auto again = build_summary_network(net->config(), 3, 1);
    EXPECT_EQ(again->config(), net->config());
    EXPECT_EQ(again->num_parameters(), net->num_parameters());
    // Same seed, same weights.
    const auto a = net->state(), b = again->state();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(amor::testing::all_equal(a[i].second, b[i].second)) << a[i].first;
  }
  const auto ds = DeepSetOptions::from_json({{"summary_dim", 10}});
  EXPECT_EQ(ds.summary_dim, 10);
  EXPECT_EQ(ds.depth, 2);
  EXPECT_EQ(ds.equivariant_widths, (std::vector<int64_t>{64, 64}));
}

TEST(SummaryNetworks, Errors) {
  EXPECT_THROW(build_summary_network("lstm", 3, 1), ValueError);
  EXPECT_THROW(build_summary_network(nlohmann::json{{"summary_dim", 3}}, 3, 1), ValueError);  // no type
  EXPECT_THROW(build_summary_network({{"type", "deepset"}, {"depht", 2}}, 3, 1), ValueError);
  EXPECT_THROW(build_summary_network({{"type", "deepset"}, {"inner_pooling", "median"}}, 3, 1), ValueError);
  EXPECT_THROW(build_summary_network({{"type", "deepset"}, {"summary_dim", 0}}, 3, 1), ValueError);
  EXPECT_THROW(build_summary_network({{"type", "deepset"}, {"dropout", 1.0}}, 3, 1), ValueError);
  EXPECT_THROW(build_summary_network({{"type", "deepset"}, {"activation", "swish2"}}, 3, 1), ValueError);
  EXPECT_THROW(build_summary_network({{"type", "set_transformer"}, {"num_heads", {4}}}, 3, 1), ValueError);
  EXPECT_THROW(build_summary_network({{"type", "set_transformer"}, {"embed_dims", {10, 10}}}, 3, 1), ValueError);
  EXPECT_THROW(build_summary_network({{"type", "timeseries"}, {"filters", {4, 4}}, {"kernel_sizes", {3, 3, 3}}}, 3, 1),
               ValueError);
  EXPECT_THROW(build_summary_network("deepset", 0, 1), ValueError);
  auto net = build_summary_network(small_config("deepset"), 3, 1);
  EXPECT_THROW(net->forward(zeros({2, 4, 2})), ShapeError);
  EXPECT_THROW(net->forward(zeros({2, 4})), ShapeError);
  EXPECT_THROW(net->forward(zeros({2, 0, 3})), ShapeError);
  EXPECT_THROW(net->forward(zeros({2, 4, 3}), zeros({2, 4})), ShapeError);
  EXPECT_THROW(net->forward(zeros({2, 4, 3}), ones({2, 5}, {.dtype = DType::Bool})), ShapeError);
  EXPECT_THROW(net->forward(zeros({2, 4, 3}, {.dtype = DType::I64})), DTypeError);
}

}  // namespace
}  // namespace amor::sbi::summary

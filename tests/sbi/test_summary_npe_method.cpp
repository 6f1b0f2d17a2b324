// NPE with a summary network through the method interface (NpeConfig "summary"): a task whose
// x is 10 i.i.d. draws N(θ, 1) with θ ~ N(0, 1), read as a set of 10 scalars by a DeepSet; the
// posterior N(Σx / 11, 1 / 11) is known. Also: flat-input layouts, configuration validation,
// and the checkpoint round trip through load_posterior's loader.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "core/ops.h"
#include "sbi/npe/npe.h"
#include "sbi/simulator.h"
#include "sbi/summary/flat_input.h"
#include "tests/sbi/summary_test_util.h"
#include "tests/support/gradcheck.h"

namespace amor::sbi {
namespace {

class IidMeanTask : public Task {
 public:
  std::string name() const override { return "iid_mean"; }
  DistributionPtr prior() const override { return diag_normal({0.0}, {1.0}); }
  SimulatorPtr simulator() const override {
    return make_simulator(1, 10, [](const double* theta, double* x, Rng& rng) {
      for (int i = 0; i < 10; ++i) x[i] = rng.normal(theta[0], 1.0);
    });
  }
};

TEST(SummaryNpeMethod, FlatInputLayouts) {
  const Tensor x = arange(0.0, 12.0, 1.0).reshape({2, 6});  // two rows of 6 values
  auto l = summary::flat_input_layout({{"type", "deepset"}, {"input_shape", {3, 2}}}, 6);
  EXPECT_EQ(l.length, 3);
  EXPECT_EQ(l.features, 2);
  EXPECT_FALSE(l.network.contains("input_shape"));
  // Row-major: element n has features x[2n], x[2n+1].
  EXPECT_EQ(summary::unflatten_input(x, l).select(0, 0).to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  l = summary::flat_input_layout({{"type", "timeseries"}, {"input_shape", {3, 2}}, {"channels_first", true}}, 6);
  // Channels first: x = [c0 t0..t2, c1 t0..t2] -> step t has (x[t], x[3 + t]).
  EXPECT_EQ(summary::unflatten_input(x, l).select(0, 1).to_vector<float>(), (std::vector<float>{6, 9, 7, 10, 8, 11}));
  EXPECT_EQ(summary::flat_input_layout(l.to_json(), 6).to_json(), l.to_json());
  l = summary::flat_input_layout("set_transformer", 6);  // default: 6 elements of 1 feature
  EXPECT_EQ(l.length, 6);
  EXPECT_EQ(l.features, 1);
  EXPECT_THROW(summary::flat_input_layout({{"type", "deepset"}, {"input_shape", {4, 2}}}, 6), ValueError);
  EXPECT_THROW(summary::flat_input_layout({{"type", "deepset"}, {"input_shape", {6}}}, 6), ValueError);
  EXPECT_THROW(summary::flat_input_layout({{"type", "deepset"}, {"channels_first", 1}}, 6), ValueError);
  EXPECT_THROW(summary::unflatten_input(zeros(Shape{2, 5}), l), ShapeError);
}

TEST(SummaryNpeMethod, ConfigKeys) {
  const auto c = npe::NpeConfig::from_json({{"summary", {{"type", "deepset"}, {"summary_dim", 8}}}});
  EXPECT_EQ(c.summary.at("type"), "deepset");
  EXPECT_EQ(npe::NpeConfig::from_json(c.to_json()).to_json(), c.to_json());
  EXPECT_TRUE(npe::NpeConfig::from_json(nlohmann::json::object()).summary.is_null());
  EXPECT_NO_THROW(npe::NpeConfig::from_json({{"summary", "timeseries"}}));
  EXPECT_THROW(npe::NpeConfig::from_json({{"summary", "lstm"}}), ValueError);
  EXPECT_THROW(npe::NpeConfig::from_json({{"summary", {{"type", "deepset"}, {"width", 3}}}}), ValueError);
  EXPECT_THROW(npe::NpeConfig::from_json({{"summary", 3}}), ValueError);
}

TEST(SummaryNpeMethod, RecoversTheAnalyticPosterior) {
  SKIP_ACCURACY_UNDER_SANITIZERS();
  const test::ScopedOmpThreads one(1);
  IidMeanTask task;
  const Dataset data = simulate_dataset(*task.prior(), *task.simulator(), 8000, 3);
  TrainOptions opt;
  opt.seed = 4;
  opt.config = {{"estimator", "coupling"},
                {"estimator_options", {{"depth", 2}, {"hidden_features", {32, 32}}}},
                {"summary",
                 {{"type", "deepset"},
                  {"summary_dim", 4},
                  {"depth", 1},
                  {"equivariant_widths", {32}},
                  {"invariant_inner_widths", {32}},
                  {"invariant_outer_widths", {32}},
                  {"invariant_last_widths", {32}},
                  {"dropout", 0.0}}},
                {"training", {{"learning_rate", 2e-3}, {"batch_size", 100}, {"max_epochs", 25}}}};
  TrainReport report;
  const PosteriorPtr post = npe::NpeMethod().train(task, data, opt, &report);
  EXPECT_EQ(post->x_dim(), 10);
  EXPECT_EQ(post->theta_dim(), 1);
  EXPECT_GT(report.epochs, 0);
  std::printf("npe+summary: %lld epochs, best val loss %.3f, %.2f s\n", static_cast<long long>(report.epochs),
              report.best_val_loss, report.train_seconds);
  auto* npe_post = dynamic_cast<npe::NpePosterior*>(post.get());
  ASSERT_NE(npe_post, nullptr);
  ASSERT_NE(npe_post->summary_model(), nullptr);
  // Posterior N(Σx/11, 1/11) for three observations: mean within 0.25 posterior sd, variance
  // within [0.7, 1.4]× (8000 simulations only; Monte Carlo error of 4000 draws ~0.016 sd, 2 %).
  // A summary that scrambled the layout or ignored x would miss by about one sd or more.
  Rng rng(5, 0, 0);
  for (int k = 0; k < 3; ++k) {
    const double theta = rng.normal();
    std::vector<double> x(10);
    double sum = 0;
    for (auto& e : x) sum += (e = rng.normal(theta, 1.0));
    const Tensor x_o = from_vector(x, Shape{1, 10}).to(DType::F64);
    const std::vector<double> s = post->sample(x_o, 4000, 7).to_vector<double>();
    double m = 0, v = 0;
    for (double e : s) m += e;
    m /= double(s.size());
    for (double e : s) v += (e - m) * (e - m);
    v /= double(s.size() - 1);
    EXPECT_LT(std::abs(m - sum / 11.0) * std::sqrt(11.0), 0.25) << "observation " << k;
    EXPECT_GT(v * 11.0, 0.7) << "observation " << k;
    EXPECT_LT(v * 11.0, 1.4) << "observation " << k;
  }
}

TEST(SummaryNpeMethod, SaveLoadRoundTrip) {
  IidMeanTask task;
  const Dataset data = simulate_dataset(*task.prior(), *task.simulator(), 300, 3);
  TrainOptions opt;
  opt.seed = 4;
  opt.config = {{"estimator", "coupling"},
                {"estimator_options", {{"depth", 1}, {"hidden_features", {16}}}},
                {"summary", {{"type", "deepset"}, {"summary_dim", 3}, {"equivariant_widths", {8}},
                             {"invariant_inner_widths", {8}}, {"invariant_outer_widths", {8}},
                             {"invariant_last_widths", {8}}}},
                {"training", {{"batch_size", 50}, {"max_epochs", 2}}}};
  const PosteriorPtr post = npe::NpeMethod().train(task, data, opt);
  auto* npe_post = dynamic_cast<npe::NpePosterior*>(post.get());
  ASSERT_NE(npe_post, nullptr);
  ASSERT_NE(npe_post->summary_model(), nullptr);
  EXPECT_EQ(post->x_dim(), 10);
  // Save and reload: same samples and densities.
  const std::string path = (std::filesystem::temp_directory_path() / "amor_npe_summary_test.safetensors").string();
  post->save(path);
  const PosteriorPtr again = npe::NpeMethod().load(path);
  const Tensor x_o = from_vector(std::vector<double>(10, 0.5), Shape{1, 10});
  EXPECT_TRUE(amor::testing::all_equal(again->sample(x_o, 100, 3), post->sample(x_o, 100, 3)));
  auto* again_npe = dynamic_cast<npe::NpePosterior*>(again.get());
  ASSERT_NE(again_npe, nullptr);
  const Tensor th = linspace(-1.0, 1.0, 5).reshape({5, 1});
  EXPECT_TRUE(amor::testing::all_equal(again_npe->log_prob(th, x_o), npe_post->log_prob(th, x_o)));
  EXPECT_THROW(post->sample(zeros(Shape{1, 9}), 10, 1), ShapeError);
  std::filesystem::remove(path);
}

TEST(SummaryNpeMethod, TimeSeriesAndSetTransformerSummariesTrain) {
  // Smoke test of the other two networks through the method: a few epochs lower the validation
  // loss below the prior's NLL (1.42) and sampling gives finite draws.
  const test::ScopedOmpThreads one(1);
  IidMeanTask task;
  const Dataset data = simulate_dataset(*task.prior(), *task.simulator(), 1000, 6);
  for (const nlohmann::json& summary :
       {nlohmann::json{{"type", "timeseries"}, {"summary_dim", 4}, {"filters", {8}}, {"recurrent_dim", 8}},
        nlohmann::json{{"type", "set_transformer"}, {"summary_dim", 4}, {"embed_dims", {16}}, {"num_heads", {2}},
                       {"num_seeds", 1}, {"mlp_widths", {16}}}}) {
    TrainOptions opt;
    opt.seed = 2;
    opt.config = {{"estimator", "coupling"},
                  {"estimator_options", {{"depth", 1}, {"hidden_features", {16}}}},
                  {"summary", summary},
                  {"training", {{"learning_rate", 3e-3}, {"batch_size", 50}, {"max_epochs", 6}}}};
    TrainReport report;
    const PosteriorPtr post = npe::NpeMethod().train(task, data, opt, &report);
    EXPECT_LT(report.best_val_loss, 1.0) << summary.dump();
    EXPECT_TRUE(all_finite(post->sample(from_vector(std::vector<double>(10, 0.3), Shape{1, 10}), 50, 1)));
  }
}

TEST(SummaryNpeMethod, LayoutMismatchIsAValueError) {
  IidMeanTask task;
  const Dataset data = simulate_dataset(*task.prior(), *task.simulator(), 50, 3);
  TrainOptions opt;
  opt.config = {{"summary", {{"type", "deepset"}, {"input_shape", {3, 3}}}}};
  EXPECT_THROW(npe::NpeMethod().train(task, data, opt), ValueError);
}

}  // namespace
}  // namespace amor::sbi

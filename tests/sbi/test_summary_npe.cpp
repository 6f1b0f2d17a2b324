// Joint training of a summary network with a conditional flow (sbi/summary/joint_training.h) on
// a problem with a closed-form posterior: θ ~ N(0, 1), x_i ~ N(θ, 1) for i < N, N ~ U{5..14}
// drawn once per batch. Given N points the posterior is N(Σx / (N + 1), 1 / (N + 1)).
// Also: data plumbing (BatchAdapter, padding), checkpoint round trip, determinism, errors.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "core/ops.h"
#include "core/random.h"
#include "sbi/summary/joint_training.h"
#include "sbi/summary/summary_flow.h"
#include "tests/sbi/summary_test_util.h"
#include "tests/support/gradcheck.h"

namespace amor::sbi::summary {
namespace {

using test::ScopedOmpThreads;

GenerativeModel gaussian_mean_model() {
  auto meta = [](Rng& rng) { return Values{{"N", double(rng.randint(5, 15))}}; };
  auto prior = [](Rng& rng, const Values&) { return Values{{"theta", std::vector<double>{rng.normal()}}}; };
  auto likelihood = [](Rng& rng, const Values& v) {
    const auto n = static_cast<size_t>(v.scalar("N"));
    std::vector<double> x(n);
    for (auto& e : x) e = rng.normal(v.get("theta", 0), 1.0);
    return Values{{"x", std::move(x)}};
  };
  return GenerativeModel(prior, likelihood, meta);
}

BatchAdapter gaussian_mean_adapter() {
  return BatchAdapter{.inference_variables = {"theta"}, .summary_variables = {"x"}, .conditions = {{"N", "sqrt"}}};
}

SummaryFlowConfig small_model_config() {
  SummaryFlowConfig c;
  c.summary = {{"type", "deepset"},
               {"summary_dim", 4},
               {"depth", 1},
               {"equivariant_widths", {32}},
               {"invariant_inner_widths", {32}},
               {"invariant_outer_widths", {32}},
               {"invariant_last_widths", {32}},
               {"dropout", 0.0}};
  c.estimator = "coupling";
  c.estimator_options = {{"depth", 2}, {"hidden_features", {32, 32}}};
  c.theta_dim = 1;
  c.input_dim = 1;
  c.condition_dim = 1;
  c.seed = 7;
  return c;
}

struct PosteriorCheck {
  double max_mean_error = 0, min_var_ratio = 1e9, max_var_ratio = 0;
};

// Held-out data sets with N = 5, 9, 14: posterior mean and variance of 4000 draws against the
// closed form.
PosteriorCheck check_against_analytic(SummaryFlow& model) {
  PosteriorCheck r;
  Rng rng(99, 5, 0);
  Generator gen(3);
  for (int64_t N : {5, 9, 14}) {
    for (int rep = 0; rep < 2; ++rep) {
      const double theta = rng.normal();
      std::vector<double> x(static_cast<size_t>(N));
      double sum = 0;
      for (auto& e : x) sum += (e = rng.normal(theta, 1.0));
      SetBatch obs;
      obs.x = from_vector(x, Shape{1, N, 1}).to(DType::F32);
      obs.conditions = full(Shape{1, 1}, std::sqrt(double(N)));
      const std::vector<double> s = model.sample(4000, obs, gen).to(DType::F64).to_vector<double>();
      double m = 0, v = 0;
      for (double e : s) m += e;
      m /= double(s.size());
      for (double e : s) v += (e - m) * (e - m);
      v /= double(s.size() - 1);
      const double post_mean = sum / double(N + 1), post_var = 1.0 / double(N + 1);
      if (std::getenv("AMOR_TEST_VERBOSE"))
        std::printf("N %lld: mean %.3f (exact %.3f), var %.4f (exact %.4f)\n", static_cast<long long>(N), m, post_mean,
                    v, post_var);
      r.max_mean_error = std::max(r.max_mean_error, std::abs(m - post_mean) / std::sqrt(post_var));
      r.min_var_ratio = std::min(r.min_var_ratio, v / post_var);
      r.max_var_ratio = std::max(r.max_var_ratio, v / post_var);
    }
  }
  return r;
}

TEST(SummaryNpe, OnlineTrainingRecoversTheAnalyticPosterior) {
  SKIP_ACCURACY_UNDER_SANITIZERS();
  const ScopedOmpThreads one(1);
  SummaryFlow model(small_model_config());
  OnlineTrainingOptions o;
  o.epochs = 12;
  o.batches_per_epoch = 100;
  o.batch_size = 64;
  o.learning_rate = 2e-3;
  o.validation_batches = 4;
  const auto t0 = std::chrono::steady_clock::now();
  const OnlineTrainingResult r = train_online(model, gaussian_mean_model(), gaussian_mean_adapter(), o, 11);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.epochs, 12);
  EXPECT_EQ(r.steps, 1200);
  // The expected NLL of the exact posterior is E[½ log(2πe/(N+1))] = 0.26 over N uniform on
  // 5..14 (0.52 at N = 5); the prior alone scores 1.42. The loss must fall far below the prior's.
  EXPECT_LT(r.val_losses.back(), 0.45);
  EXPECT_LT(r.val_losses.back(), r.val_losses.front());
  const PosteriorCheck c = check_against_analytic(model);
  // Thresholds: mean within 0.2 posterior sd and variance within [0.75, 1.33]× the exact one.
  // Monte Carlo error of 4000 draws is ~0.016 sd and ~2 % in variance; a network that ignores N
  // (variance off by up to 2.5×) or x (mean off by ~1 sd) fails.
  EXPECT_LT(c.max_mean_error, 0.2);
  EXPECT_GT(c.min_var_ratio, 0.75);
  EXPECT_LT(c.max_var_ratio, 1.33);
  std::printf("online: %.2f s, final val loss %.3f, max |mean err|/sd %.3f, var ratio [%.3f, %.3f]\n", secs,
              r.val_losses.back(), c.max_mean_error, c.min_var_ratio, c.max_var_ratio);
}

TEST(SummaryNpe, OfflineTrainingOnPaddedSetsRecoversTheAnalyticPosterior) {
  SKIP_ACCURACY_UNDER_SANITIZERS();
  const ScopedOmpThreads one(1);
  // 128 batches of 64 with their own N, padded to N = 14 with a mask: the offline path sees
  // every N in one mini-batch.
  const SetBatch data = simulate_set_dataset(gaussian_mean_model(), gaussian_mean_adapter(), 128, 64, 21);
  ASSERT_EQ(data.x.size(0), 128 * 64);
  ASSERT_TRUE(data.mask.defined());
  SummaryFlow model(small_model_config());
  npe::FlowTrainingOptions o;
  o.batch_size = 128;
  o.learning_rate = 2e-3;
  o.max_epochs = 20;
  const npe::FlowTrainingResult r = train_offline(model, data, o, 5);
  EXPECT_EQ(r.num_dropped, 0);
  EXPECT_LT(r.best_val_loss, 0.45);  // see OnlineTrainingRecoversTheAnalyticPosterior
  const PosteriorCheck c = check_against_analytic(model);
  EXPECT_LT(c.max_mean_error, 0.2);
  EXPECT_GT(c.min_var_ratio, 0.75);
  EXPECT_LT(c.max_var_ratio, 1.33);
  std::printf("offline: %lld epochs, best val loss %.3f, max |mean err|/sd %.3f, var ratio [%.3f, %.3f]\n",
              static_cast<long long>(r.epochs), r.best_val_loss, c.max_mean_error, c.min_var_ratio, c.max_var_ratio);
}

OnlineTrainingOptions tiny_run() {
  OnlineTrainingOptions o;
  o.epochs = 2;
  o.batches_per_epoch = 5;
  o.batch_size = 32;
  o.validation_batches = 2;
  o.standardization_batches = 2;
  return o;
}

TEST(SummaryNpe, ThreadCountDoesNotChangeTraining) {
  std::vector<std::vector<double>> losses;
  std::vector<Tensor> samples;
  for (int threads : {1, 2}) {
    const ScopedOmpThreads t(threads);
    OnlineTrainingOptions o = tiny_run();
    o.num_threads = threads;
    SummaryFlow model(small_model_config());
    const auto r = train_online(model, gaussian_mean_model(), gaussian_mean_adapter(), o, 3);
    std::vector<double> l = r.train_losses;
    l.insert(l.end(), r.val_losses.begin(), r.val_losses.end());
    losses.push_back(l);
    SetBatch obs;
    obs.x = ones(Shape{1, 6, 1});
    obs.conditions = full(Shape{1, 1}, std::sqrt(6.0));
    Generator gen(1);
    samples.push_back(model.sample(50, obs, gen));
  }
  EXPECT_EQ(losses[0], losses[1]);
  EXPECT_TRUE(amor::testing::all_equal(samples[0], samples[1]));
  // A different seed gives a different run (the seed is used).
  SummaryFlow other(small_model_config());
  const auto r = train_online(other, gaussian_mean_model(), gaussian_mean_adapter(), tiny_run(), 4);
  EXPECT_NE(r.train_losses, std::vector<double>(losses[0].begin(), losses[0].begin() + 2));
}

TEST(SummaryNpe, CheckpointRoundTripKeepsBothNetworks) {
  const std::string path = (std::filesystem::temp_directory_path() / "amor_summary_flow_test.safetensors").string();
  SummaryFlowConfig cfg = small_model_config();
  cfg.summary = {{"type", "set_transformer"}, {"summary_dim", 4}, {"embed_dims", {8}}, {"num_heads", {2}},
                 {"num_seeds", 2},            {"mlp_widths", {8}}, {"dropout", 0.0}};
  SummaryFlow model(cfg);
  train_online(model, gaussian_mean_model(), gaussian_mean_adapter(), tiny_run(), 8);
  model.save(path, {{"note", "test"}});
  const auto loaded = SummaryFlow::load(path);
  EXPECT_EQ(loaded->config().to_json(), model.config().to_json());
  // Same weights and buffers (summary network, flow, standardisation).
  const auto a = model.state(), b = loaded->state();
  ASSERT_EQ(a.size(), b.size());
  bool has_summary = false, has_flow = false, has_input_std = false;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_TRUE(amor::testing::all_equal(a[i].second, b[i].second)) << a[i].first;
    has_summary = has_summary || a[i].first.rfind("summary.", 0) == 0;
    has_flow = has_flow || a[i].first.rfind("flow.", 0) == 0;
    has_input_std = has_input_std || a[i].first == "input_std";
  }
  EXPECT_TRUE(has_summary && has_flow && has_input_std);
  const SetBatch batch = gaussian_mean_adapter()(gaussian_mean_model().sample(16, 5, 0));
  EXPECT_TRUE(amor::testing::all_equal(loaded->log_prob(batch), model.log_prob(batch)));
  Generator g1(9), g2(9);
  EXPECT_TRUE(amor::testing::all_equal(loaded->sample_batched(7, batch, g1), model.sample_batched(7, batch, g2)));
  std::filesystem::remove(path);
  EXPECT_THROW(SummaryFlow::load(path), IOError);
}

TEST(SummaryNpe, SampleBatchedChunksAgreeWithOneChunk) {
  SummaryFlow model(small_model_config());
  const SetBatch batch = gaussian_mean_adapter()(gaussian_mean_model().sample(5, 2, 0));
  model.initialize_from_data(batch);
  Generator g1(4), g2(4);
  const Tensor whole = model.sample_batched(6, batch, g1);
  const Tensor chunked = model.sample_batched(6, batch, g2, /*max_rows=*/12);  // 2 data sets per chunk
  EXPECT_EQ(whole.shape(), (Shape{5, 6, 1}));
  EXPECT_EQ(chunked.shape(), (Shape{5, 6, 1}));
  EXPECT_TRUE(all_finite(chunked));
  // The first chunk draws the same noise as the first rows of the whole call.
  EXPECT_TRUE(amor::testing::all_close(chunked.narrow(0, 0, 2), whole.narrow(0, 0, 2), 1e-6, 1e-6));
}

TEST(SetData, AdapterBuildsThetaSetsAndTransformedConditions) {
  const Batch b = gaussian_mean_model().sample(8, 1, 0);
  const SetBatch s = gaussian_mean_adapter()(b);
  const int64_t N = b.at("x").size(1);
  EXPECT_EQ(s.theta.shape(), (Shape{8, 1}));
  EXPECT_EQ(s.x.shape(), (Shape{8, N, 1}));
  EXPECT_FALSE(s.mask.defined());
  EXPECT_EQ(s.x.dtype(), DType::F32);
  EXPECT_TRUE(amor::testing::all_close(s.conditions, full(Shape{8, 1}, std::sqrt(double(N))), 1e-6, 1e-6));
  // Two summary variables concatenate on the feature axis; a log condition.
  BatchAdapter two{.inference_variables = {"theta"}, .summary_variables = {"x", "x"}, .conditions = {{"N", "log"}},
                   .dtype = DType::F64};
  const SetBatch s2 = two(b);
  EXPECT_EQ(s2.x.shape(), (Shape{8, N, 2}));
  EXPECT_TRUE(amor::testing::all_close(s2.conditions, full(Shape{8, 1}, std::log(double(N)), {.dtype = DType::F64}), 1e-12, 0));
  EXPECT_EQ(BatchAdapter::from_json(two.to_json()).to_json(), two.to_json());
  // Errors: missing variable, a set variable used as θ, an unknown transform.
  EXPECT_THROW(BatchAdapter({.inference_variables = {"mu"}, .summary_variables = {"x"}, .conditions = {}})(b), ValueError);
  EXPECT_THROW(BatchAdapter({.inference_variables = {"theta"}, .summary_variables = {"N"}, .conditions = {}})(b), ValueError);
  EXPECT_THROW(BatchAdapter({.inference_variables = {"theta"}, .summary_variables = {"x"}, .conditions = {{"N", "exp"}}})(b),
               ValueError);
  EXPECT_THROW(BatchAdapter::from_json({{"summary_variables", {"x"}}}), ValueError);
}

TEST(SetData, PaddingStacksSetsOfDifferentSizes) {
  const SetBatch p = pad_sets({ones(Shape{2, 3}), full(Shape{4, 3}, 2.0), full(Shape{1, 3}, 3.0)});
  EXPECT_EQ(p.x.shape(), (Shape{3, 4, 3}));
  EXPECT_EQ(p.mask.to(DType::F64).to_vector<double>(),
            (std::vector<double>{1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(p.x.select(0, 0).select(0, 3).to_vector<float>(), (std::vector<float>{0, 0, 0}));  // zero padding
  EXPECT_EQ(p.x.select(0, 2).select(0, 0).to_vector<float>(), (std::vector<float>{3, 3, 3}));
  EXPECT_THROW(pad_sets({ones(Shape{2, 3}), ones(Shape{2, 2})}), ShapeError);
  EXPECT_THROW(pad_sets({ones(Shape{2})}), ShapeError);
  EXPECT_THROW(pad_sets({}), ValueError);
  // Datasets keep θ and conditions row-aligned with their sets.
  const SetBatch d = simulate_set_dataset(gaussian_mean_model(), gaussian_mean_adapter(), 3, 4, 2);
  EXPECT_EQ(d.theta.shape(), (Shape{12, 1}));
  const std::vector<float> c = d.conditions.to_vector<float>();
  const std::vector<uint8_t> m = d.mask.contiguous().to_vector<uint8_t>();
  for (int64_t i = 0; i < 12; ++i) {
    int64_t real = 0;
    for (int64_t j = 0; j < d.x.size(1); ++j) real += m[size_t(i * d.x.size(1) + j)];
    EXPECT_NEAR(c[size_t(i)], std::sqrt(double(real)), 1e-5) << i;  // √N matches the set's real size
  }
}

TEST(SummaryNpe, Errors) {
  SummaryFlow model(small_model_config());
  SetBatch b;
  b.theta = zeros(Shape{2, 1});
  b.x = zeros(Shape{2, 3, 2});  // 2 features, the model reads 1
  b.conditions = ones(Shape{2, 1});
  EXPECT_THROW(model.log_prob(b), ShapeError);
  b.x = zeros(Shape{2, 3, 1});
  b.conditions = Tensor();  // the model needs √N
  EXPECT_THROW(model.log_prob(b), ValueError);
  b.conditions = ones(Shape{2, 1});
  b.theta = zeros(Shape{2, 2});
  EXPECT_THROW(model.log_prob(b), ShapeError);
  b.theta = Tensor();
  EXPECT_THROW(model.log_prob(b), ValueError);
  b.theta = zeros(Shape{2, 1});
  Generator gen(1);
  EXPECT_THROW(model.sample(5, b, gen), ShapeError);  // two data sets given to sample()
  SummaryFlowConfig bad = small_model_config();
  bad.theta_dim = 0;
  EXPECT_THROW(SummaryFlow{bad}, ValueError);
  bad = small_model_config();
  bad.summary = "lstm";
  EXPECT_THROW(SummaryFlow{bad}, ValueError);
  EXPECT_THROW(SummaryFlowConfig::from_json({{"estimatr", "maf"}}), ValueError);
  OnlineTrainingOptions o;
  o.batch_size = 1;
  EXPECT_THROW(train_online(model, gaussian_mean_model(), gaussian_mean_adapter(), o, 1), ValueError);
  EXPECT_THROW(OnlineTrainingOptions::from_json({{"epoch", 3}}), ValueError);
  // The schedule: 0.1·lr at step 0, lr after the warm-up, 0 at the end.
  OnlineTrainingOptions s;
  EXPECT_NEAR(online_learning_rate(s, 0, 1000), 0.1 * s.learning_rate, 1e-15);
  EXPECT_NEAR(online_learning_rate(s, 50, 1000), s.learning_rate, 1e-15);
  EXPECT_NEAR(online_learning_rate(s, 1000, 1000), 0.0, 1e-15);
}

}  // namespace
}  // namespace amor::sbi::summary

// The all-conditional evaluation (sbi/diagnostics/all_conditionals.h and `amor evaluate
// --all-conditionals`) on the test task test_gauss2d, whose joint density is known: the
// joint_oracle samples every conditional exactly and must score C2ST ≈ 0.5; the
// wrong_joint_oracle (three times the noise) must score far above. Also the reference cache.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "sbi/diagnostics/all_conditionals.h"
#include "sbi/io/csv.h"
#include "sbi/method.h"
#include "sbi/simulator.h"
#include "sbi/task.h"
#include "tests/apps/cli_test_util.h"
#include "tests/apps/support/fixtures.h"

namespace amor::test {
namespace {

sbi::PosteriorPtr train_oracle(const std::string& method, const sbi::Task& task) {
  register_cli_fixtures();
  const sbi::Dataset data = sbi::simulate_dataset(*task.prior(), *task.simulator(), 3000, 1);
  return sbi::find_method(method).train(task, data, {});
}

sbi::AllConditionalsOptions small_options(const std::string& cache) {
  sbi::AllConditionalsOptions o;
  o.num_conditions = 6;
  o.num_samples = 1000;
  o.seed = 3;
  o.cache_dir = cache;
  return o;
}

// 1000 vs 1000 samples in at most 4 dimensions: a classifier that can only guess scores
// 0.5 ± 0.016; the mean over 6 conditions 0.5 ± 0.007.
TEST(AllConditionals, ExactSamplerScoresChanceAndAWrongOneDoesNot) {
  register_cli_fixtures();
  const sbi::TaskPtr task = sbi::make_task("test_gauss2d");
  TempDir dir;
  sbi::PosteriorPtr exact = train_oracle("joint_oracle", *task);
  auto* exact_sampler = dynamic_cast<sbi::ConditionalSampler*>(exact.get());
  ASSERT_NE(exact_sampler, nullptr);
  int calls = 0;
  sbi::AllConditionalsOptions o = small_options(dir / "cache");
  o.on_condition = [&](const sbi::ConditionResult&) { ++calls; };
  const sbi::AllConditionalsResult good = sbi::evaluate_all_conditionals(*exact_sampler, *task, o);
  ASSERT_EQ(good.conditions.size(), 6u);
  EXPECT_EQ(calls, 6);
  double sum = 0;
  for (const sbi::ConditionResult& r : good.conditions) {
    EXPECT_LT(r.c2st, 0.57) << "condition " << r.condition.index << " (" << r.condition.kind << ")";
    EXPECT_FALSE(r.reference_from_cache);
    EXPECT_TRUE(std::filesystem::is_regular_file(r.reference_path)) << r.reference_path;
    sum += r.c2st;
  }
  EXPECT_DOUBLE_EQ(good.mean_c2st, sum / 6);
  EXPECT_LT(good.mean_c2st, 0.54);

  // The wrong sampler against the same (now cached) references.
  sbi::PosteriorPtr wrong = train_oracle("wrong_joint_oracle", *task);
  auto* wrong_sampler = dynamic_cast<sbi::ConditionalSampler*>(wrong.get());
  ASSERT_NE(wrong_sampler, nullptr);
  const sbi::AllConditionalsResult bad = sbi::evaluate_all_conditionals(*wrong_sampler, *task, small_options(dir / "cache"));
  for (const sbi::ConditionResult& r : bad.conditions) {
    EXPECT_TRUE(r.reference_from_cache);
    EXPECT_GT(r.c2st, 0.6) << "condition " << r.condition.index << " (" << r.condition.kind << ")";
  }
  EXPECT_GT(bad.mean_c2st, 0.7);
}

TEST(AllConditionals, ReferenceCacheIsKeyedAndRecomputedWhenDamaged) {
  register_cli_fixtures();
  const sbi::TaskPtr task = sbi::make_task("test_gauss2d");
  TempDir dir;
  const auto conditions = sbi::draw_evaluation_conditions(*task, 2, 5);
  const sbi::ConditionalReferenceOptions ro;
  bool cached = true;
  std::string path;
  const Tensor first = sbi::cached_conditional_reference(*task, conditions[0], 300, 5, ro, dir / "c", &cached, &path);
  EXPECT_FALSE(cached);
  EXPECT_EQ(first.shape(), (Shape{300, int64_t(conditions[0].latent.size())}));
  // Under <cache>/<task>/, named by seed and condition.
  EXPECT_EQ(std::filesystem::path(path).parent_path(), std::filesystem::path(dir / "c") / "test_gauss2d");
  EXPECT_EQ(std::filesystem::path(path).filename().string().rfind("seed5_condition0_", 0), 0u) << path;
  const sbi::io::CsvTable table = sbi::io::read_csv(path);
  std::vector<std::string> names{"mu_1", "mu_2", "y_1", "y_2"}, latent;
  for (int64_t i : conditions[0].latent) latent.push_back(names[size_t(i)]);
  EXPECT_EQ(table.header, latent);

  const Tensor again = sbi::cached_conditional_reference(*task, conditions[0], 300, 5, ro, dir / "c", &cached);
  EXPECT_TRUE(cached);
  EXPECT_EQ(again.to_vector<double>(), first.to_vector<double>());  // the CSV round trip is exact
  // Without a cache the same samples are drawn (the cache only saves time).
  EXPECT_EQ(sbi::cached_conditional_reference(*task, conditions[0], 300, 5, ro, "", &cached).to_vector<double>(),
            first.to_vector<double>());
  EXPECT_FALSE(cached);

  // Another sample count, seed or sampler setting is another file.
  std::string other;
  sbi::cached_conditional_reference(*task, conditions[0], 200, 5, ro, dir / "c", &cached, &other);
  EXPECT_FALSE(cached);
  EXPECT_NE(other, path);
  sbi::ConditionalReferenceOptions ro2;
  ro2.final_moves = 3;
  sbi::cached_conditional_reference(*task, conditions[0], 300, 5, ro2, dir / "c", &cached, &other);
  EXPECT_FALSE(cached);
  EXPECT_NE(other, path);

  // A truncated file is sampled again and rewritten.
  write_text(path, "mu_1\n0.5\n");
  const Tensor repaired = sbi::cached_conditional_reference(*task, conditions[0], 300, 5, ro, dir / "c", &cached);
  EXPECT_FALSE(cached);
  EXPECT_EQ(repaired.to_vector<double>(), first.to_vector<double>());
  EXPECT_EQ(sbi::io::read_csv(path).values.size(0), 300);
}

TEST(AllConditionals, EvaluateCommandWritesPerConditionMetrics) {
  TempDir dir;
  const std::string out = dir / "eval", cache = dir / "refs";
  write_text(dir.path() / "c.json", "{\"epochs\": 2}");
  const std::vector<std::string> args{"evaluate", "--task", "test_gauss2d", "--method", "joint_oracle",
                                      "--simulations", "2000", "--seed", "4", "--all-conditionals", "4",
                                      "--conditional-samples", "800", "--reference-cache", cache,
                                      "--config", dir / "c.json", "--out", out};
  auto r = run_test_cli(args, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json m = nlohmann::json::parse(read_text(out + "/metrics.json"));
  EXPECT_EQ(m["evaluation"], "all_conditionals");
  EXPECT_EQ(m["task"], "test_gauss2d");
  EXPECT_EQ(m["config"]["num_conditions"], 4);
  EXPECT_EQ(m["config"]["num_samples_per_condition"], 800);
  EXPECT_EQ(m["config"]["reference"]["cache_dir"], cache);
  EXPECT_EQ(m["config"]["method"], nlohmann::json({{"epochs", 2}}));  // --config reaches the method
  EXPECT_EQ(m["training"]["epochs"], 2);
  ASSERT_EQ(m["conditions"].size(), 4u);
  double sum = 0;
  for (const auto& c : m["conditions"]) {
    EXPECT_FALSE(c["observed"].empty());
    EXPECT_FALSE(c["latent"].empty());
    EXPECT_EQ(c["observed"].size() + c["latent"].size(), 4u);
    EXPECT_LT(c["c2st"].get<double>(), 0.58);
    EXPECT_EQ(c["reference_from_cache"], false);
    sum += c["c2st"].get<double>();
  }
  EXPECT_NEAR(m["c2st_mean"].get<double>(), sum / 4, 1e-12);
  EXPECT_NE(r.out.find("mean"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("C2ST"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("condition 4/4"), std::string::npos) << r.err;

  // Run again: every reference comes from the cache, and the scores are identical.
  r = run_test_cli(args, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json m2 = nlohmann::json::parse(read_text(out + "/metrics.json"));
  for (size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(m2["conditions"][k]["reference_from_cache"], true);
    EXPECT_EQ(m2["conditions"][k]["c2st"], m["conditions"][k]["c2st"]);
  }
}

TEST(AllConditionals, EvaluateCommandRefusesWhatItCannotScore) {
  TempDir dir;
  // A posterior-only method (after training: the method decides what its model can sample).
  auto r = run_test_cli({"evaluate", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "300",
                         "--all-conditionals", "2", "--reference-cache", dir / "c", "--out", dir / "o"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("samples only the posterior"), std::string::npos) << r.err;
  // A task without a joint density (before any training).
  r = run_test_cli({"evaluate", "--task", "slcp", "--method", "joint_oracle", "--simulations", "300",
                    "--all-conditionals", "2", "--out", dir / "o"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no closed-form joint density"), std::string::npos) << r.err;
  // Bad counts, and --observations does not go with it.
  r = run_test_cli({"evaluate", "--task", "test_gauss2d", "--method", "joint_oracle", "--simulations", "300",
                    "--all-conditionals", "0", "--out", dir / "o"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  r = run_test_cli({"evaluate", "--task", "test_gauss2d", "--method", "joint_oracle", "--simulations", "300",
                    "--all-conditionals", "2", "--conditional-samples", "5", "--out", dir / "o"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--conditional-samples"), std::string::npos) << r.err;
  r = run_test_cli({"evaluate", "--task", "test_gauss2d", "--method", "joint_oracle", "--simulations", "300",
                    "--all-conditionals", "2", "--observations", "1", "--out", dir / "o"}, dir);
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace amor::test

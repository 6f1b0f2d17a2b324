// The Simformer's all-conditional accuracy (issue 6; ../shared/reference/simformer.md §6-7): trained
// on 1e4 simulations of tree / hmm, its samples of 20 random conditionals are scored by C2ST
// against SMC reference samples on the true joint density; the mean must be ≤ 0.60 (the paper's
// undirected Simformer at 1e4, with a random-forest C2ST and 100 masks: tree 0.541, hmm 0.541).
//
// The recipe is cut down from the reference (30 000 steps at batch 1000) to fit the 2-core
// machine; kSteps / kBatch below. References are cached in the build tree
// (AMOR_TEST_REFERENCE_CACHE), so a rerun only trains and samples the model.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "sbi/diagnostics/all_conditionals.h"
#include "sbi/method.h"
#include "sbi/simulator.h"
#include "sbi/task.h"

#ifndef AMOR_TEST_REFERENCE_CACHE
#error "tests/CMakeLists.txt defines AMOR_TEST_REFERENCE_CACHE (a directory in the build tree)"
#endif

namespace amor::sbi {
namespace {

constexpr int64_t kSimulations = 10000;
constexpr int64_t kConditions = 20;
constexpr int64_t kSamples = 2000;  // model and reference samples per condition

double simformer_all_conditional_c2st(const std::string& task_name, const nlohmann::json& config) {
  const TaskPtr task = make_task(task_name);
  const uint64_t seed = 1;
  const auto t0 = std::chrono::steady_clock::now();
  const Dataset data = simulate_dataset(*task->prior(), *task->simulator(), kSimulations, seed);
  TrainOptions options;
  options.seed = seed;
  options.config = config;
  double last_print = -1e9;
  options.on_progress = [&](const TrainProgress& p) {
    if (p.elapsed_s - last_print < 60) return;  // a line a minute
    last_print = p.elapsed_s;
    std::printf("[ simformer ] %s: step %lld/%lld, loss %.4f, %.0f s\n", task_name.c_str(),
                static_cast<long long>(p.done), static_cast<long long>(p.total), p.train_loss, p.elapsed_s);
    std::fflush(stdout);
  };
  TrainReport report;
  PosteriorPtr posterior = find_method("simformer").train(*task, data, options, &report);
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ simformer ] %s: trained in %.1f s (%lld steps), config %s\n", task_name.c_str(), train_s,
              static_cast<long long>(report.steps), config.dump().c_str());
  std::fflush(stdout);
  auto* sampler = dynamic_cast<ConditionalSampler*>(posterior.get());
  EXPECT_NE(sampler, nullptr);
  if (!sampler) return 1.0;
  AllConditionalsOptions eval;
  eval.num_conditions = kConditions;
  eval.num_samples = kSamples;
  eval.seed = seed;
  eval.cache_dir = AMOR_TEST_REFERENCE_CACHE;
  eval.on_condition = [&](const ConditionResult& r) {
    std::printf("[ simformer ] %s condition %lld (%s, %zu latent): C2ST %.3f (reference %s %.1f s, model %.1f s, "
                "C2ST %.1f s)\n",
                task_name.c_str(), static_cast<long long>(r.condition.index), r.condition.kind.c_str(),
                r.condition.latent.size(), r.c2st, r.reference_from_cache ? "cached" : "sampled",
                r.reference_seconds, r.sampling_seconds, r.c2st_seconds);
    std::fflush(stdout);
  };
  const AllConditionalsResult res = evaluate_all_conditionals(*sampler, *task, eval);
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ simformer ] %s: mean all-conditional C2ST %.3f over %lld conditions (%.0f s in all)\n",
              task_name.c_str(), res.mean_c2st, static_cast<long long>(kConditions), total_s);
  std::fflush(stdout);
  return res.mean_c2st;
}

// The 2-core recipe: undirected attention, VE, 6000 steps at batch 500, 100 Euler–Maruyama steps.
nlohmann::json two_core_recipe() {
  return {{"training", {{"steps", 6000}, {"batch_size", 500}}}, {"sampling", {{"steps", 100}}}};
}

TEST(SimformerAllConditionals, SLOW_TreeAt1e4) {
  EXPECT_LE(simformer_all_conditional_c2st("tree", two_core_recipe()), 0.60);
}

TEST(SimformerAllConditionals, SLOW_HmmAt1e4) {
  EXPECT_LE(simformer_all_conditional_c2st("hmm", two_core_recipe()), 0.60);
}

}  // namespace
}  // namespace amor::sbi

// SLOW: issue #7's SIRD acceptance end to end. The Simformer trained on the `sird` task at 1e4
// simulations with examples/sird/simformer.json's recipe (dense attention, 4 layers, half of the
// condition masks posterior ones, 16 000 steps of 256, bounded coordinates, ancestral sampling at
// 50 steps) should give a posterior over γ, δ and β at the 10 times whose SBC ranks are uniform
// (check_sbc at family-wise alpha 0.05: KS, chi-square and the ECDF band of each of the 12
// parameters), over 200 simulations × 100 posterior draws. About 50 min of one core for training
// and 5 for SBC. docs/results.md ("SIRD") has the numbers.
#include <gtest/gtest.h>

#include <cstdio>

#include "sbi/diagnostics/sbc_run.h"
#include "sbi/method.h"
#include "sbi/simulator.h"
#include "sbi/task.h"
#include "examples/sird/sird_recipe.h"

namespace amor::sbi {
namespace {

TEST(SLOW_SirdSimformer, PosteriorPassesSimulationBasedCalibration) {
  const TaskPtr task = make_task("sird");
  const Dataset data = simulate_dataset(*task->prior(), *task->simulator(), 10000, 1);
  ASSERT_EQ(data.num_invalid, 0);
  TrainOptions o;
  o.seed = 1;
  o.config = sird_simformer_recipe();
  const PosteriorPtr posterior = find_method("simformer").train(*task, data, o);
  SbcRunOptions so;
  so.num_simulations = 200;
  so.num_draws = 100;
  so.seed = 7;
  const SbcRun run = run_sbc(*task, *posterior, so);
  std::printf("%s\n", run.check.summary().c_str());
  EXPECT_TRUE(run.check.passed) << run.check.summary();
}

}  // namespace
}  // namespace amor::sbi

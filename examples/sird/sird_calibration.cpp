// SIRD with a function-valued contact rate, end to end through the C++ API (docs/sird.md):
//   1. simulate the `sird` task (θ = γ, δ, β at 10 times; x = I, R, D at 10 times each) and
//      train the Simformer on it, or load a checkpoint (`amor train --task sird ...` writes one);
//   2. simulation-based calibration of the posterior over all 12 parameters (ranks, check_sbc);
//   3. a posterior predictive check at one fresh simulation: the observed I, R, D against the
//      central 90% band of simulations from posterior draws, printed per time point.
//
//   sird_calibration [--model FILE] [--simulations N] [--steps S] [--batch B] [--sbc-rounds N]
//                    [--draws L] [--seed S] [--save-model FILE]
//
// Defaults: 10000 simulations, the recipe of sird_recipe.h (a 4-layer network trained 16 000 steps
// of 256 in bounded coordinates; about 50 min of one core), 200 SBC rounds of 100 draws. `amor ppc`
// draws the same check as a figure.
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

#include "sbi/diagnostics/posterior_predictive.h"
#include "sbi/diagnostics/sbc_run.h"
#include "sbi/method.h"
#include "sbi/simulator.h"
#include "sbi/task.h"
#include "sird_recipe.h"

namespace {

struct Args {
  std::string model, save_model;
  int64_t simulations = 10000, steps = 16000, batch = 256, rounds = 200, draws = 100;
  uint64_t seed = 1;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help") throw std::invalid_argument("see the comment at the top of sird_calibration.cpp");
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
    const std::string v = argv[++i];
    if (flag == "--model") a.model = v;
    else if (flag == "--save-model") a.save_model = v;
    else if (flag == "--simulations") a.simulations = std::stoll(v);
    else if (flag == "--steps") a.steps = std::stoll(v);
    else if (flag == "--batch") a.batch = std::stoll(v);
    else if (flag == "--sbc-rounds") a.rounds = std::stoll(v);
    else if (flag == "--draws") a.draws = std::stoll(v);
    else if (flag == "--seed") a.seed = std::stoull(v);
    else throw std::invalid_argument("unknown flag " + flag);
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  namespace sbi = amor::sbi;
  try {
    const Args a = parse(argc, argv);
    const sbi::TaskPtr task = sbi::make_task("sird");
    sbi::PosteriorPtr posterior;
    if (!a.model.empty()) {
      posterior = sbi::load_posterior(a.model, "sird");
    } else {
      const sbi::Dataset data = sbi::simulate_dataset(*task->prior(), *task->simulator(), a.simulations, a.seed);
      sbi::TrainOptions o;
      o.seed = a.seed;
      o.config = sird_simformer_recipe(a.steps, a.batch);
      o.on_progress = [](const sbi::TrainProgress& p) {
        if (p.done % 200 == 0)
          std::fprintf(stderr, "  step %lld/%lld  loss %.4f  (%.0f s)\n", static_cast<long long>(p.done),
                       static_cast<long long>(p.total), p.train_loss, p.elapsed_s);
      };
      posterior = sbi::find_method("simformer").train(*task, data, o);
      if (!a.save_model.empty()) posterior->save(a.save_model);
    }

    // 2. SBC over γ, δ, β(t_1..t_10).
    sbi::SbcRunOptions so;
    so.num_simulations = a.rounds;
    so.num_draws = a.draws;
    so.seed = a.seed + 1000;
    const sbi::SbcRun run = sbi::run_sbc(*task, *posterior, so);
    std::printf("SBC, %lld rounds x %lld draws:\n%s\n", static_cast<long long>(run.ranks.size(0)),
                static_cast<long long>(a.draws), run.check.summary().c_str());
    std::printf("SBC %s\n\n", run.check.passed ? "passed" : "FAILED");

    // 3. Posterior predictive check at a fresh simulation.
    const sbi::Dataset obs = sbi::simulate_dataset(*task->prior(), *task->simulator(), 1, a.seed + 2000);
    const sbi::PosteriorPredictive pp = sbi::posterior_predictive(*task, *posterior, obs.x, 500, a.seed + 3000);
    const amor::Tensor q = sbi::column_quantiles(pp.x, {0.05, 0.5, 0.95});
    const std::vector<std::string> names = task->x_names();
    const int64_t dx = task->x_dim();
    std::printf("posterior predictive at one simulation (500 draws): observed, median, 90%% band\n");
    for (int64_t j = 0; j < dx; ++j)
      std::printf("  %-5s %10.4g  %10.4g  [%.4g, %.4g]\n", names[size_t(j)].c_str(), obs.x.data<double>()[j],
                  q.data<double>()[dx + j], q.data<double>()[j], q.data<double>()[2 * dx + j]);
    std::printf("observed entries inside the 90%% band: %.2f\n", sbi::predictive_interval_coverage(pp.x, obs.x, 0.9));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sird_calibration: %s\n", e.what());
    return 2;
  }
}

// `amor train`: simulate, train one method, save the posterior checkpoint.
#include <cstdio>
#include <string>

#include "apps/cli_support.h"
#include "apps/commands.h"
#include "apps/function_valued.h"
#include "apps/training.h"
#include "sbi/method.h"
#include "sbi/task.h"

namespace amor::apps {

int run_train(const TrainArgs& a) {
  if (is_function_valued_task(a.task)) return run_train_function_valued(a);
  // Everything that can be checked is checked before the (long) work starts.
  const sbi::Method& method = sbi::find_method(a.method);
  const sbi::TaskPtr task = sbi::make_task(a.task, {.data_dir = a.data_dir});
  const nlohmann::json config = with_device(method_config(a.method, a.config, a.estimator, a.summary), a.device);
  check_output_file("--out", a.out);

  TrainedModel m = simulate_and_train("amor train", *task, method, a.simulations, a.seed, config);
  if (!m.posterior) return kInterruptedExit;
  m.posterior->save(a.out);
  const sbi::TrainReport& r = m.report;
  // Epoch-based methods (NPE, NLE) report epochs; the Simformer counts steps only.
  const std::string length =
      r.epochs > 0 ? std::to_string(r.epochs) + " epochs (" + std::to_string(r.steps) + " steps)"
                   : std::to_string(r.steps) + " steps";
  std::fprintf(stderr, "amor train: %s on %s: %s in %s, best validation loss %.4f%s\n",
               a.method.c_str(), a.task.c_str(), length.c_str(),
               format_seconds(r.train_seconds).c_str(), r.best_val_loss,
               r.interrupted ? " (interrupted: best model so far)" : "");
  std::fprintf(stderr, "amor train: wrote %s\n", a.out.c_str());
  return 0;
}

}  // namespace amor::apps

#include "apps/training.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "apps/cli_support.h"
#include "apps/interrupt.h"
#include "apps/progress.h"
#include "core/error.h"

namespace amor::apps {

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

TrainedModel simulate_and_train(const char* command, const sbi::Task& task,
                                const sbi::Method& method, int64_t num_simulations,
                                uint64_t seed, const nlohmann::json& config) {
  InterruptGuard interrupt;
  TrainedModel out;
  const auto t0 = std::chrono::steady_clock::now();
  sbi::SimulateOptions sim_options;
  sim_options.cancel = interrupt.flag();
  sbi::Dataset data = sbi::simulate_dataset(*task.prior(), *task.simulator(), num_simulations,
                                            seed, sim_options);
  out.simulate_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (interrupt.interrupted()) {
    std::fprintf(stderr, "%s: interrupted while simulating; nothing was trained\n", command);
    return out;
  }
  const bool terminal = ProgressReporter::is_terminal(stderr);
  // The simulation summary is printed once training is over, so a method that refuses its
  // config leaves one line (its error) on stderr; a terminal gets a transient status line.
  if (terminal) std::fprintf(stderr, "\rsimulated %lld; training ...\033[K", static_cast<long long>(data.num_simulated));

  ProgressReporter progress(stderr, {.terminal = terminal,
                                     .columns = terminal ? ProgressReporter::terminal_columns(stderr) : 0});
  sbi::TrainOptions options;
  options.seed = seed;
  options.config = config;
  options.on_progress = [&progress](const sbi::TrainProgress& p) { progress.update(p); };
  options.stop = interrupt.flag();
  const double cpu0 = process_cpu_seconds();
  try {
    out.posterior = method.train(task, data, options, &out.report);
    out.train_cpu_seconds = process_cpu_seconds() - cpu0;
  } catch (...) {
    progress.finish();
    if (terminal) std::fprintf(stderr, "\r\033[K");
    throw;
  }
  progress.finish();
  std::fprintf(stderr, "%s: %lld simulations of %s in %s, %lld invalid (dropped)\n", command,
               static_cast<long long>(data.num_simulated), task.name().c_str(),
               format_seconds(out.simulate_seconds).c_str(),
               static_cast<long long>(data.num_invalid));
  out.report.num_simulations = data.num_simulated;
  out.report.num_invalid = data.num_invalid;
  out.report.interrupted = out.report.interrupted || interrupt.interrupted();
  return out;
}

TrainedModel train_or_load(const char* command, const sbi::Task& task, const sbi::Method& method,
                           const std::string& model_path, int64_t num_simulations, uint64_t seed,
                           const nlohmann::json& config) {
  if (model_path.empty()) return simulate_and_train(command, task, method, num_simulations, seed, config);
  TrainedModel out;
  out.posterior = method.load(model_path);
  AMOR_CHECK(out.posterior->task_name() == task.name(), ValueError, "--model: ", model_path,
             " was trained on task '", out.posterior->task_name(), "', not '", task.name(), "'");
  out.loaded_from = model_path;
  std::fprintf(stderr, "%s: loaded %s (%s on %s)\n", command, model_path.c_str(),
               out.posterior->method().c_str(), task.name().c_str());
  return out;
}

}  // namespace amor::apps

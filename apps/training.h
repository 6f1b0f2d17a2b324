// Simulate-then-train, shared by `amor train` and `amor evaluate`: draws the training set,
// trains with a progress display on stderr, and lets Ctrl-C stop training early (the best model
// so far is kept; see apps/interrupt.h).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "sbi/method.h"
#include "sbi/task.h"

namespace amor::apps {

struct TrainedModel {
  sbi::PosteriorPtr posterior;  // null when interrupted before training started
  sbi::TrainReport report;
  double simulate_seconds = 0.0;
  double train_cpu_seconds = 0.0;  // CPU time of the whole process (all threads) while training
  std::string loaded_from;         // the checkpoint, when the model was loaded instead of trained
};

// CPU time used so far by the process, all threads (CLOCK_PROCESS_CPUTIME_ID): with one thread,
// a figure that other work on a shared machine inflates far less than wall time.
double process_cpu_seconds();

// `command` prefixes the messages ("amor train").
TrainedModel simulate_and_train(const char* command, const sbi::Task& task,
                                const sbi::Method& method, int64_t num_simulations,
                                uint64_t seed, const nlohmann::json& config);

// `amor evaluate`'s model: loaded from `model_path` when it is non-empty (ValueError when the
// checkpoint belongs to another task; the method's own load() refuses another method's), else
// simulated and trained as above.
TrainedModel train_or_load(const char* command, const sbi::Task& task, const sbi::Method& method,
                           const std::string& model_path, int64_t num_simulations, uint64_t seed,
                           const nlohmann::json& config);

// Exit status after Ctrl-C stopped the work before anything could be saved (128 + SIGINT).
inline constexpr int kInterruptedExit = 130;

}  // namespace amor::apps

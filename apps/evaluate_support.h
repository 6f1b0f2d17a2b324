// What the three modes of `amor evaluate` (posterior, --likelihood, --all-conditionals) share:
// the inputs read before any slow work, the model (trained or loaded, then saved on request) and
// the common keys of metrics.json.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/commands.h"
#include "apps/training.h"
#include "sbi/method.h"
#include "sbi/task.h"

namespace amor::apps {

struct EvaluationInputs {
  const sbi::Method* method = nullptr;
  sbi::TaskPtr task;
  nlohmann::json config;  // --config, or {} for the method's defaults
};

// Finds the method and task, reads --config, creates --out and checks that --save-model can be
// written: a typo or a missing file should not cost a training run.
EvaluationInputs read_evaluation_inputs(const EvaluateArgs& a);

// The observations --observations names (default: every one of the task's); ValueError naming
// `purpose` when the task has none.
std::vector<int> evaluation_observations(const EvaluateArgs& a, const sbi::Task& task, const char* purpose);

// train_or_load, then --save-model (before the long sampling and scoring, so the model outlives a
// later failure). A null posterior means Ctrl-C stopped the work first.
TrainedModel model_for_evaluation(const EvaluateArgs& a, const EvaluationInputs& in);

// metrics.json's common keys: amor_version, task, method, evaluation (`kind`), num_simulations
// (null for --model), model, num_invalid_simulations, seed and training (times, length, loss).
nlohmann::json metrics_head(const EvaluateArgs& a, const TrainedModel& m, const char* kind);

}  // namespace amor::apps

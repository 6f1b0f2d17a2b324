#include "apps/evaluate_support.h"

#include <cmath>

#include "apps/cli_support.h"
#include "core/error.h"

#ifndef AMOR_VERSION_STRING
#define AMOR_VERSION_STRING "unknown"
#endif

namespace amor::apps {

EvaluationInputs read_evaluation_inputs(const EvaluateArgs& a) {
  EvaluationInputs in;
  in.method = &sbi::find_method(a.method);
  in.task = sbi::make_task(a.task, {.data_dir = a.data_dir});
  in.config = with_device(method_config(a.method, a.config, a.estimator, a.summary), a.device);
  ensure_output_dir("--out", a.out);
  if (!a.save_model.empty()) check_output_file("--save-model", a.save_model);
  return in;
}

std::vector<int> evaluation_observations(const EvaluateArgs& a, const sbi::Task& task, const char* purpose) {
  AMOR_CHECK(task.num_observations() > 0, ValueError, "task '", a.task, "' has no ", purpose);
  const std::string all = "1-" + std::to_string(task.num_observations());
  return parse_observation_list("--observations", a.observations.empty() ? all : a.observations,
                                task.num_observations());
}

TrainedModel model_for_evaluation(const EvaluateArgs& a, const EvaluationInputs& in) {
  TrainedModel m = train_or_load("amor evaluate", *in.task, *in.method, a.model, a.simulations, a.seed, in.config);
  if (m.posterior && !a.save_model.empty()) m.posterior->save(a.save_model);
  return m;
}

nlohmann::json metrics_head(const EvaluateArgs& a, const TrainedModel& m, const char* kind) {
  const sbi::TrainReport& r = m.report;
  const auto or_null = [](bool has, const auto& v) { return has ? nlohmann::json(v) : nlohmann::json(); };
  return {{"amor_version", AMOR_VERSION_STRING},
          {"task", a.task},
          {"method", a.method},
          {"evaluation", kind},
          {"num_simulations", or_null(a.model.empty(), a.simulations)},
          {"model", or_null(!a.model.empty(), a.model)},
          {"num_invalid_simulations", r.num_invalid},
          {"seed", a.seed},
          {"training", {{"seconds", r.train_seconds},
                        {"cpu_seconds", m.train_cpu_seconds},
                        {"simulation_seconds", m.simulate_seconds},
                        {"epochs", r.epochs},
                        {"steps", r.steps},
                        {"best_val_loss", or_null(std::isfinite(r.best_val_loss), r.best_val_loss)},
                        {"interrupted", r.interrupted}}}};
}

}  // namespace amor::apps

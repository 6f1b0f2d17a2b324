// `amor evaluate --all-conditionals K`: train once, then score K random conditionals of the
// joint (θ, x) — the Simformer's all-conditional metric — with sbi::evaluate_all_conditionals
// (sbi/diagnostics/all_conditionals.h). Writes DIR/metrics.json (per-condition C2ST, the mask and
// observed values, times, settings) and prints a table. Reference samples are cached under
// --reference-cache, by default in the build tree.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "apps/cli_support.h"
#include "apps/commands.h"
#include "apps/training.h"
#include "core/error.h"
#include "core/file_io.h"
#include "sbi/diagnostics/all_conditionals.h"
#include "sbi/method.h"
#include "sbi/task.h"

#ifndef AMOR_VERSION_STRING
#define AMOR_VERSION_STRING "unknown"
#endif

namespace amor::apps {

namespace {

// The compiled-in cache in the build tree while that tree exists; else DIR/reference_cache.
std::string reference_cache_dir(const EvaluateArgs& a) {
  if (!a.reference_cache.empty()) return a.reference_cache;
#ifdef AMOR_DEFAULT_REFERENCE_CACHE
  std::error_code ec;
  const std::filesystem::path dflt(AMOR_DEFAULT_REFERENCE_CACHE);
  if (std::filesystem::is_directory(dflt.parent_path(), ec)) return dflt.string();
#endif
  return (std::filesystem::path(a.out) / "reference_cache").string();
}

std::string fixed4(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

std::string condition_text(const sbi::EvaluationCondition& c, const std::vector<std::string>& names) {
  std::string s;
  for (const auto& [i, v] : c.observed) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%s=%.3g", s.empty() ? "" : ",", names[size_t(i)].c_str(), v);
    s += buf;
  }
  return s;
}

}  // namespace

int run_evaluate_all_conditionals(const EvaluateArgs& a) {
  const sbi::Method& method = sbi::find_method(a.method);
  const sbi::TaskPtr task = sbi::make_task(a.task, {.data_dir = a.data_dir});
  AMOR_CHECK(task->has_joint_log_density(), ValueError, "--all-conditionals: task '", a.task,
             "' has no closed-form joint density to draw reference samples from");
  AMOR_CHECK(a.all_conditionals >= 1, ValueError, "--all-conditionals must be >= 1, got ", a.all_conditionals);
  // Read the config before anything slow: a typo in it should not cost a training run.
  const nlohmann::json config =
      with_device(a.config.empty() ? nlohmann::json::object() : read_json_object("--config", a.config), a.device);
  ensure_output_dir("--out", a.out);
  sbi::AllConditionalsOptions options;
  options.num_conditions = a.all_conditionals;
  options.num_samples = a.conditional_samples;
  options.seed = a.seed;
  options.cache_dir = reference_cache_dir(a);
  options.validate();

  TrainedModel m = simulate_and_train("amor evaluate", *task, method, a.simulations, a.seed, config);
  if (!m.posterior) return kInterruptedExit;
  auto* sampler = dynamic_cast<sbi::ConditionalSampler*>(m.posterior.get());
  AMOR_CHECK(sampler != nullptr, ValueError, "--all-conditionals: method '", a.method,
             "' samples only the posterior; use a method that samples any conditional (simformer)");

  std::vector<std::string> names = task->theta_names();
  for (std::string& x : task->x_names()) names.push_back(std::move(x));
  options.on_condition = [&](const sbi::ConditionResult& r) {
    std::fprintf(stderr, "amor evaluate: condition %lld/%lld (%s, %zu latent): C2ST %.4f (reference %s%s)\n",
                 static_cast<long long>(r.condition.index + 1), static_cast<long long>(a.all_conditionals),
                 r.condition.kind.c_str(), r.condition.latent.size(), r.c2st,
                 r.reference_from_cache ? "from cache" : "sampled in ",
                 r.reference_from_cache ? "" : format_seconds(r.reference_seconds).c_str());
  };
  const sbi::AllConditionalsResult res = sbi::evaluate_all_conditionals(*sampler, *task, options);

  nlohmann::json per = nlohmann::json::array();
  std::vector<std::vector<std::string>> table{{"condition", "kind", "observed", "latent", "C2ST", "reference", "sampling"}};
  for (const sbi::ConditionResult& r : res.conditions) {
    nlohmann::json observed = nlohmann::json::object(), latent = nlohmann::json::array();
    for (const auto& [i, v] : r.condition.observed) observed[names[size_t(i)]] = v;
    for (int64_t i : r.condition.latent) latent.push_back(names[size_t(i)]);
    per.push_back({{"index", r.condition.index},
                   {"kind", r.condition.kind},
                   {"observed", observed},
                   {"latent", latent},
                   {"c2st", r.c2st},
                   {"reference_seconds", r.reference_seconds},
                   {"reference_from_cache", r.reference_from_cache},
                   {"reference_file", r.reference_path},
                   {"sampling_seconds", r.sampling_seconds},
                   {"c2st_seconds", r.c2st_seconds}});
    table.push_back({std::to_string(r.condition.index + 1), r.condition.kind, condition_text(r.condition, names),
                     std::to_string(r.condition.latent.size()), fixed4(r.c2st),
                     r.reference_from_cache ? "cached" : format_seconds(r.reference_seconds),
                     format_seconds(r.sampling_seconds)});
  }

  const sbi::TrainReport& rep = m.report;
  const sbi::ConditionalReferenceOptions& ro = options.reference;
  nlohmann::json metrics = {
      {"amor_version", AMOR_VERSION_STRING},
      {"task", a.task},
      {"method", a.method},
      {"evaluation", "all_conditionals"},
      {"num_simulations", a.simulations},
      {"num_invalid_simulations", rep.num_invalid},
      {"seed", a.seed},
      {"config", {{"method", config},
                  {"num_conditions", options.num_conditions},
                  {"num_samples_per_condition", options.num_samples},
                  {"condition_masks", "joint/posterior/likelihood/bernoulli(0.3)/bernoulli(0.7), 0.2 each; "
                                      "none with nothing latent or nothing observed"},
                  {"reference", {{"sampler", "smc (adaptive tempering, random-walk Metropolis + slice moves)"},
                                 {"ess_fraction", ro.ess_fraction},
                                 {"moves_per_stage", ro.moves_per_stage},
                                 {"final_moves", ro.final_moves},
                                 {"base_simulations", ro.base_simulations},
                                 {"base_inflation", ro.base_inflation},
                                 {"cache_dir", options.cache_dir}}},
                  {"c2st", {{"implementation", "sbibm"}, {"folds", 5}, {"seed", 1}, {"z_score", true}}}}},
      {"training", {{"seconds", rep.train_seconds},
                    {"simulation_seconds", m.simulate_seconds},
                    {"epochs", rep.epochs},
                    {"steps", rep.steps},
                    {"best_val_loss", std::isfinite(rep.best_val_loss) ? nlohmann::json(rep.best_val_loss) : nlohmann::json()},
                    {"interrupted", rep.interrupted}}},
      {"conditions", per},
      {"c2st_mean", res.mean_c2st},
  };
  const std::string metrics_path = (std::filesystem::path(a.out) / "metrics.json").string();
  write_file_atomically(metrics_path, metrics.dump(2) + "\n", "amor evaluate");

  std::printf("%s / %s, %lld simulations (%lld invalid), trained in %s%s; %lld conditionals\n", a.task.c_str(),
              a.method.c_str(), static_cast<long long>(a.simulations), static_cast<long long>(rep.num_invalid),
              format_seconds(rep.train_seconds).c_str(), rep.interrupted ? " (interrupted)" : "",
              static_cast<long long>(a.all_conditionals));
  table.push_back({"mean", "", "", "", fixed4(res.mean_c2st), "", ""});
  print_table(stdout, table);
  std::printf("wrote %s\n", metrics_path.c_str());
  return 0;
}

}  // namespace amor::apps

// `amor evaluate`: train once, then for each chosen sbibm observation draw 10 000 posterior
// samples and score them against the reference posterior with the sbibm C2ST. Writes, in DIR:
//   metrics.json     the scores, times, the number of invalid simulations and the settings
//   samples_K.csv    the samples for observation K (one header line, θ columns)
//   pair_K.svg       their pair plot with the reference samples overlaid
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "apps/cli_support.h"
#include "apps/commands.h"
#include "apps/plot/output.h"
#include "apps/plot/pair_plot.h"
#include "apps/training.h"
#include "core/error.h"
#include "sbi/diagnostics/c2st.h"
#include "core/file_io.h"
#include "sbi/method.h"
#include "sbi/task.h"

#ifndef AMOR_VERSION_STRING
#define AMOR_VERSION_STRING "unknown"
#endif

namespace amor::apps {

namespace {

constexpr int64_t kPosteriorSamples = 10000;  // per observation, as sbibm

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string in_dir(const std::string& dir, const std::string& name) {
  return (std::filesystem::path(dir) / name).string();
}

std::vector<double> row(const Tensor& t) {
  const Tensor c = t.to(DType::F64).contiguous();
  return {c.data<double>(), c.data<double>() + c.numel()};
}

}  // namespace

int run_evaluate(const EvaluateArgs& a) {
  if (a.all_conditionals > 0) return run_evaluate_all_conditionals(a);
  const sbi::Method& method = sbi::find_method(a.method);
  const sbi::TaskPtr task = sbi::make_task(a.task, {.data_dir = a.data_dir});
  AMOR_CHECK(task->num_observations() > 0, ValueError, "task '", a.task,
             "' has no reference posterior samples to evaluate against");
  const std::vector<int> obs = parse_observation_list(
      "--observations", a.observations.empty() ? "1-" + std::to_string(task->num_observations())
                                               : a.observations,
      task->num_observations());
  // Read the config before anything slow: a typo in it should not cost a training run.
  const nlohmann::json config =
      with_device(a.config.empty() ? nlohmann::json::object() : read_json_object("--config", a.config), a.device);
  ensure_output_dir("--out", a.out);
  // Read every observation and reference set now: a missing file should not cost a training run.
  std::vector<Tensor> x_o, reference, truth;
  for (int k : obs) {
    x_o.push_back(task->observation(k));
    reference.push_back(task->reference_samples(k));
    truth.push_back(task->true_parameters(k));
  }

  TrainedModel m = simulate_and_train("amor evaluate", *task, method, a.simulations, a.seed,
                                      config);
  if (!m.posterior) return kInterruptedExit;

  nlohmann::json per_obs = nlohmann::json::array();
  std::vector<std::vector<std::string>> table{{"observation", "C2ST", "sampling", "C2ST time"}};
  double sum = 0;
  const std::vector<std::string> names = task->theta_names();
  for (size_t i = 0; i < obs.size(); ++i) {
    const int k = obs[i];
    auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = process_cpu_seconds();
    // Each observation gets its own sampling seed, so the sets are independent.
    const Tensor samples = m.posterior->sample(x_o[i], kPosteriorSamples, a.seed + static_cast<uint64_t>(k));
    const double sample_s = seconds_since(t0), sample_cpu_s = process_cpu_seconds() - cpu0;
    t0 = std::chrono::steady_clock::now();
    const double score = sbi::c2st(reference[i], samples);
    const double c2st_s = seconds_since(t0);
    sum += score;
    write_table(in_dir(a.out, "samples_" + std::to_string(k) + ".csv"), names, samples);
    plot::PairPlotOptions po;
    po.samples_label = a.method;
    po.reference_label = "reference";
    po.truth = row(truth[i]);
    char title[160];
    std::snprintf(title, sizeof title, "%s, %s, %lld simulations, observation %d: C2ST %.3f",
                  a.task.c_str(), a.method.c_str(), static_cast<long long>(a.simulations), k, score);
    po.title = title;
    const plot::SampleTable ref_table = to_sample_table(names, reference[i]);
    plot::save_figure(plot::pair_plot(to_sample_table(names, samples), &ref_table, po),
                      in_dir(a.out, "pair_" + std::to_string(k) + ".svg"));
    per_obs.push_back({{"num_observation", k},
                       {"c2st", score},
                       {"sampling_seconds", sample_s},
                       {"sampling_cpu_seconds", sample_cpu_s},
                       {"c2st_seconds", c2st_s},
                       {"samples", "samples_" + std::to_string(k) + ".csv"},
                       {"pair_plot", "pair_" + std::to_string(k) + ".svg"}});
    char sbuf[32];
    std::snprintf(sbuf, sizeof sbuf, "%.4f", score);
    table.push_back({std::to_string(k), sbuf, format_seconds(sample_s), format_seconds(c2st_s)});
  }
  const double mean = sum / static_cast<double>(obs.size());

  const sbi::TrainReport& r = m.report;
  nlohmann::json metrics = {
      {"amor_version", AMOR_VERSION_STRING},
      {"task", a.task},
      {"method", a.method},
      {"num_simulations", a.simulations},
      {"num_invalid_simulations", r.num_invalid},
      {"seed", a.seed},
      {"config", {{"method", config},
                  {"num_posterior_samples", kPosteriorSamples},
                  {"c2st", {{"implementation", "sbibm"}, {"folds", 5}, {"seed", 1}, {"z_score", true}}}}},
      {"training", {{"seconds", r.train_seconds},
                    {"cpu_seconds", m.train_cpu_seconds},
                    {"simulation_seconds", m.simulate_seconds},
                    {"epochs", r.epochs},
                    {"steps", r.steps},
                    {"best_val_loss", std::isfinite(r.best_val_loss) ? nlohmann::json(r.best_val_loss) : nlohmann::json()},
                    {"interrupted", r.interrupted}}},
      {"observations", per_obs},
      {"c2st_mean", mean},
  };
  write_file_atomically(in_dir(a.out, "metrics.json"), metrics.dump(2) + "\n",
                                 "amor evaluate");

  std::printf("%s / %s, %lld simulations (%lld invalid), trained in %s%s\n", a.task.c_str(),
              a.method.c_str(), static_cast<long long>(a.simulations),
              static_cast<long long>(r.num_invalid), format_seconds(r.train_seconds).c_str(),
              r.interrupted ? " (interrupted)" : "");
  char mbuf[32];
  std::snprintf(mbuf, sizeof mbuf, "%.4f", mean);
  table.push_back({"mean", mbuf, "", ""});
  print_table(stdout, table);
  std::printf("wrote %s\n", in_dir(a.out, "metrics.json").c_str());
  return 0;
}

}  // namespace amor::apps

// `amor evaluate --likelihood`: score a model's likelihood x | θ rather than its posterior. For
// each chosen observation k, θ_k = the task's true parameters of observation k; the reference is
// 10 000 fresh simulations at θ_k (the simulator *is* the exact likelihood, so no closed form is
// needed), the model's 10 000 samples come from its conditional sampler with θ observed, and the
// score is the C2ST between the two sets of x. Writes DIR/metrics.json, DIR/likelihood_K.csv
// (the model's x samples) and prints a table.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "apps/cli_support.h"
#include "apps/commands.h"
#include "apps/evaluate_support.h"
#include "core/error.h"
#include "core/file_io.h"
#include "sbi/diagnostics/c2st.h"
#include "sbi/method.h"
#include "sbi/simulator.h"
#include "sbi/task.h"

namespace amor::apps {

namespace {

constexpr int64_t kLikelihoodSamples = 10000;
// Reference simulations use seeds far from the training seed's streams (training draws
// simulate_dataset(seed)), so they are fresh draws even with --seed 0.
constexpr uint64_t kReferenceSeedOffset = 0x5eed0000u;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The rows of x [n, d] float64 (contiguous) whose entries are all finite.
Tensor finite_rows_only(const Tensor& x) {
  const Tensor keep = sbi::finite_rows(x);
  const uint8_t* k = static_cast<const uint8_t*>(keep.raw_data());
  const int64_t n = x.size(0), d = x.size(1);
  int64_t m = 0;
  for (int64_t i = 0; i < n; ++i) m += k[i] ? 1 : 0;
  Tensor out = Tensor::empty({m, d}, DType::F64);
  const double* src = x.data<double>();
  double* dst = out.data<double>();
  for (int64_t i = 0; i < n; ++i)
    if (k[i]) dst = std::copy(src + i * d, src + (i + 1) * d, dst);
  return out;
}

}  // namespace

int run_evaluate_likelihood(const EvaluateArgs& a) {
  const EvaluationInputs in = read_evaluation_inputs(a);
  const sbi::TaskPtr& task = in.task;
  const std::vector<int> obs =
      evaluation_observations(a, *task, "observations with true parameters to condition x on (--likelihood)");
  std::vector<Tensor> truth;
  for (int k : obs) truth.push_back(task->true_parameters(k).to(DType::F64).contiguous());

  TrainedModel m = model_for_evaluation(a, in);
  if (!m.posterior) return kInterruptedExit;
  auto* sampler = dynamic_cast<sbi::ConditionalSampler*>(m.posterior.get());
  AMOR_CHECK(sampler != nullptr, ValueError, "--likelihood: method '", a.method,
             "' samples only the posterior; use a method that samples any conditional (simformer)");

  const int64_t d_theta = task->theta_dim(), d_x = task->x_dim();
  const std::vector<std::string> x_names = task->x_names();
  nlohmann::json per = nlohmann::json::array();
  std::vector<std::vector<std::string>> table{{"observation", "C2ST", "sampling", "invalid reference"}};
  double sum = 0;
  for (size_t i = 0; i < obs.size(); ++i) {
    const int k = obs[i];
    // Reference: x ~ p(x | θ_k) from the simulator, invalid rows dropped (and counted).
    const Tensor thetas = truth[i].expand({kLikelihoodSamples, d_theta}).contiguous();
    const Tensor sims = sbi::simulate(*task->simulator(), thetas, kReferenceSeedOffset + a.seed + uint64_t(k));
    const Tensor reference = finite_rows_only(sims);
    const int64_t invalid = kLikelihoodSamples - reference.size(0);

    std::vector<std::pair<int64_t, double>> observed;
    const double* th = truth[i].data<double>();
    for (int64_t j = 0; j < d_theta; ++j) observed.emplace_back(j, th[j]);
    const auto t0 = std::chrono::steady_clock::now();
    const Tensor joint = sampler->sample_conditional(observed, kLikelihoodSamples, a.seed + uint64_t(k));
    const double sample_s = seconds_since(t0);
    const Tensor x = joint.slice(1, d_theta, d_theta + d_x).contiguous();
    const double score = sbi::c2st(reference, x);
    sum += score;
    const std::string file = "likelihood_" + std::to_string(k) + ".csv";
    write_table((std::filesystem::path(a.out) / file).string(), x_names, x);
    per.push_back({{"num_observation", k},
                   {"theta", std::vector<double>(th, th + d_theta)},
                   {"c2st", score},
                   {"sampling_seconds", sample_s},
                   {"reference_invalid", invalid},
                   {"samples", file}});
    char sbuf[32];
    std::snprintf(sbuf, sizeof sbuf, "%.4f", score);
    table.push_back({std::to_string(k), sbuf, format_seconds(sample_s), std::to_string(invalid)});
    std::fprintf(stderr, "amor evaluate: likelihood at observation %d's θ: C2ST %s\n", k, sbuf);
  }
  const double mean = sum / static_cast<double>(obs.size());

  nlohmann::json metrics = metrics_head(a, m, "likelihood");
  metrics["config"] = {{"method", in.config},
                       {"num_samples", kLikelihoodSamples},
                       {"reference", "fresh simulations at the observation's true parameters"},
                       {"c2st", {{"implementation", "sbibm"}, {"folds", 5}, {"seed", 1}, {"z_score", true}}}};
  metrics["observations"] = per;
  metrics["c2st_mean"] = mean;
  const std::string path = (std::filesystem::path(a.out) / "metrics.json").string();
  write_file_atomically(path, metrics.dump(2) + "\n", "amor evaluate");
  char mbuf[32];
  std::snprintf(mbuf, sizeof mbuf, "%.4f", mean);
  table.push_back({"mean", mbuf, "", ""});
  print_table(stdout, table);
  std::printf("wrote %s\n", path.c_str());
  return 0;
}

}  // namespace amor::apps

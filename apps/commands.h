// The `amor` subcommands, as functions of their parsed flags (apps/cli.cpp parses argv with
// CLI11 and calls these). Each returns the process exit status; bad input is reported by
// throwing an amor::Error, which run_cli turns into one line on stderr and exit status 2.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace amor::apps {

// data_dir (every command that reads tasks): the sbibm data directory given by --data-dir; empty:
// $AMOR_SBIBM_DIR, else the compiled-in default (sbi::TaskOptions).
int run_tasks(const std::string& data_dir);

struct SimulateArgs {
  std::string task;
  int64_t n = 0;
  uint64_t seed = 0;
  std::string out;
  std::string data_dir;
};
int run_simulate(const SimulateArgs& args);

struct TrainArgs {
  std::string task, method;
  int64_t simulations = 0;
  uint64_t seed = 0;
  std::string out;
  std::string config;  // path of a JSON object; empty: the method's defaults
  std::string estimator, summary;  // --estimator / --summary: over the config's keys
  std::string data_dir;
  std::string device;  // --device: "cpu", "cuda" or "cuda:N"; empty: the config's (default cpu)
};
int run_train(const TrainArgs& args);

struct SampleArgs {
  std::string model;
  std::string observation;   // CSV path, or empty
  int num_observation = 0;   // 1-based, or 0
  std::string condition;     // "x_1=0.3,theta_2 in [0, 1]": apps/conditions.h (models that support it), or empty
  int64_t n = 10000;
  uint64_t seed = 0;
  std::string out;
  std::string data_dir;
  std::string device;  // --device: where the model samples; empty: cpu. Samples land on the host.
};
int run_sample(const SampleArgs& args);

// `amor log-prob` (apps/cmd_log_prob.cpp): log p(points | condition) of a simformer model.
struct LogProbArgs {
  std::string model;
  std::string points;        // CSV: one column per variable not conditioned on
  std::string condition;     // "x_1=0.3,...": values only; or
  std::string observation;   // x_o as a one-row CSV; or
  int num_observation = 0;   // sbibm observation K; none of the three: the joint
  std::string divergence = "exact";  // or "hutchinson"
  int64_t steps = 50;
  int64_t probes = 1;
  uint64_t seed = 0;
  std::string out;
  std::string data_dir;
};
int run_log_prob(const LogProbArgs& args);

struct EvaluateArgs {
  std::string task, method;
  int64_t simulations = 0;
  std::string observations;  // "1-10", "3", "1,4-6"; empty: every observation of the task
  uint64_t seed = 0;
  std::string out;           // directory
  std::string config;        // path of a JSON object of method settings; empty: the defaults
  std::string estimator, summary;  // --estimator / --summary: over the config's keys
  std::string data_dir;
  // --all-conditionals K > 0: score K random conditionals of the joint instead of the posterior
  // (apps/cmd_evaluate_conditionals.cpp).
  int64_t all_conditionals = 0;
  int64_t conditional_samples = 10000;  // model and reference samples per condition
  std::string reference_cache;          // empty: the build tree's reference cache
  std::string save_model;               // non-empty: write the trained checkpoint here
  std::string model;                    // non-empty: evaluate this checkpoint instead of training
  // Score the likelihood x | θ at each observation's true θ against fresh simulations instead of
  // the posterior (apps/cmd_evaluate_likelihood.cpp).
  bool likelihood = false;
  std::string device;                   // --device: where training and sampling run; empty: the config's
};
int run_evaluate(const EvaluateArgs& args);
// `amor evaluate --all-conditionals K` (run_evaluate hands over to it).
int run_evaluate_all_conditionals(const EvaluateArgs& args);
// `amor evaluate --likelihood` (run_evaluate hands over to it).
int run_evaluate_likelihood(const EvaluateArgs& args);

struct PlotArgs {
  std::string samples, reference;  // pair plot
  std::string sbc;                 // SBC rank histograms
  std::string coverage;            // coverage curve
  std::string out;
};
int run_plot(const PlotArgs& args);

// `amor sbc` (apps/cmd_sbc.cpp): simulation-based calibration of a saved posterior on its task.
struct SbcArgs {
  std::string model;
  int64_t n = 200;      // SBC rounds (simulations)
  int64_t draws = 100;  // posterior draws per round
  uint64_t seed = 0;
  std::string out;      // directory
  std::string data_dir;
};
int run_sbc(const SbcArgs& args);

// `amor ppc` (apps/cmd_ppc.cpp): posterior predictive check at one observation.
struct PpcArgs {
  std::string model;
  std::string observation;  // one-row CSV (x columns, or an `amor simulate` row), or empty
  int num_observation = 0;  // 1-based, or 0
  int64_t n = 200;
  uint64_t seed = 0;
  std::string out;          // directory
  std::string data_dir;
};
int run_ppc(const PpcArgs& args);

int run_version();
int run_demo(int64_t steps, uint64_t seed);

}  // namespace amor::apps

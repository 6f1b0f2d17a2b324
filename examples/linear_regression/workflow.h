// The BayesFlow linear-regression starter (bayesflow.md §7) end to end with amor: simulate,
// train a summary network and a flow jointly online, sample one held-out data set's posterior,
// check it against an importance-sampling reference, save/load the model, and run SBC.
//
// The steps live here (not in main.cpp) so that amor's tests can run the same workflow.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sbi/diagnostics/sbc.h"

namespace linreg {

struct WorkflowOptions {
  std::string summary = "deepset";     // "deepset" or "set_transformer"
  std::string estimator = "coupling";  // "coupling" (BayesFlow's), "maf" or "nsf"
  int64_t summary_dim = 10;            // the tutorial's DeepSet(summary_dim=10)
  int64_t epochs = 30;                 // the tutorial: 30 epochs x 128 batches of 64
  int64_t batches_per_epoch = 128;
  int64_t batch_size = 64;
  double learning_rate = 5e-4;
  int64_t posterior_draws = 2000;      // for the held-out data set
  int64_t sbc_datasets = 200;          // the tutorial's 200 validation simulations
  int64_t sbc_draws = 1000;            // posterior draws per SBC data set
  uint64_t seed = 2025;
  std::string out_dir = "linear_regression_out";  // CSVs and the checkpoint; empty: write nothing
  bool verbose = true;                 // print progress and results
};

struct WorkflowResult {
  std::vector<double> train_losses, val_losses;  // per epoch
  double train_seconds = 0;
  int64_t heldout_n = 0;                       // N of the held-out data set
  std::vector<double> true_parameters;         // beta_0, beta_1, sigma
  std::vector<double> posterior_mean, posterior_sd;
  std::vector<double> reference_mean, reference_sd;  // importance sampling from the prior
  double reference_ess = 0;
  bool reload_identical = false;               // the reloaded checkpoint samples the same
  amor::sbi::SbcCheck sbc;                     // beta_0, beta_1, sigma, beta_0 + beta_1
};

// Throws amor::Error subclasses on bad options or failed I/O.
WorkflowResult run_workflow(const WorkflowOptions& options);

}  // namespace linreg

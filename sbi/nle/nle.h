// Neural likelihood estimation (NLE: sbi's NLE_A, the first round of SNL, Papamakarios et al.
// 2019): a conditional flow q(x | θ) trained by maximum likelihood on simulated (θ, x) pairs,
// then posterior draws for an observation x_o by MCMC on
//     log q(x_o | θ) + log p(θ)
// (slice sampling with many chains, mcmc_posterior.h). Several iid trials x_o = [k, x_dim] sum
// their log-likelihoods, so one trained likelihood serves any number of trials.
//
// Defaults: the estimator is sbi's MAF (hidden 50, 5 transforms, z-scored x and θ), trained with
// sbi's recipe (flow_training.h: Adam 5e-4, batch 200, 10 % validation, patience 20, clip 5);
// MCMC as the sbibm paper ran NLE: 100 chains, warm-up 100 (× thin sweeps), thin 10, SIR
// initialisation, sampling in an unconstrained space for bounded priors.
//
// Configuration (JSON, every key optional):
//   {"estimator": "maf" | "nsf" | "coupling", "estimator_options": {...},
//    "training": {batch_size, learning_rate, ...},
//    "mcmc": {num_chains, warmup, thin, init: "sir" | "resample" | "prior", candidates,
//             init_width, tuning, unconstrained},
//    "device": "cpu" | "cuda" | "cuda:N"}
//
// The posterior needs the prior's density, which a checkpoint cannot hold: NleMethod::load takes
// it from the task registry (make_task(task name)) and checks it against a fingerprint saved
// with the checkpoint (the prior's name, support and log density at a few fixed draws), so a
// changed prior is refused instead of silently used. load_nle_posterior() takes the prior
// directly for tasks that are not registered.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "sbi/distribution.h"
#include "sbi/flows/conditional_flow.h"
#include "sbi/method.h"
#include "sbi/nle/mcmc_posterior.h"
#include "sbi/npe/flow_training.h"

namespace amor::sbi::nle {

struct NleConfig {
  std::string estimator = "maf";
  nlohmann::json estimator_options = nlohmann::json::object();
  npe::FlowTrainingOptions training;
  McmcOptions mcmc;
  // Where the flow trains and where its log-likelihood runs inside MCMC ("cpu", "cuda",
  // "cuda:N"; sbi/device_option.h). Copied into training.device by from_json.
  Device device = Device::cpu();

  nlohmann::json to_json() const;
  static NleConfig from_json(const nlohmann::json& j);  // ValueError on unknown keys / values
};

class NlePosterior : public Posterior {
 public:
  // flow: q(x | θ) with features x_dim and context theta_dim; prior: p(θ).
  NlePosterior(flows::ConditionalFlowPtr flow, NleConfig config, std::string task_name, DistributionPtr prior,
               uint64_t seed = 0);
  std::string method() const override { return "nle"; }
  std::string task_name() const override { return task_; }
  int64_t theta_dim() const override { return flow_->context_features(); }
  int64_t x_dim() const override { return flow_->features(); }
  // x_o: [x_dim], [1, x_dim] or k iid trials [k, x_dim] -> [n, theta_dim] float64 by MCMC.
  Tensor sample(const Tensor& x_o, int64_t n, uint64_t seed) override;
  // The flow moves; MCMC itself stays on the host and calls the flow in batches of proposals.
  void to(Device device) override;
  Device device() const override { return flow_->device(); }
  // Σ_trials log q(x_o,i | θ) for θ [m, theta_dim] -> [m] float64.
  Tensor log_likelihood(const Tensor& theta, const Tensor& x_o);
  // log_likelihood + log p(θ) (-inf outside the prior's support) -> [m] float64.
  Tensor unnormalized_log_posterior(const Tensor& theta, const Tensor& x_o);
  void save(const std::string& path) const override;

  flows::ConditionalFlow& flow() { return *flow_; }
  const NleConfig& config() const { return config_; }
  // MCMC settings for later sample() calls (validated).
  void set_mcmc(const McmcOptions& mcmc);
  const DistributionPtr& prior() const { return prior_; }
  // Counts and timings of the last sample() call.
  const McmcStats& last_stats() const { return last_stats_; }

 private:
  // The observation as [k, x_dim] in the flow's dtype, checked.
  Tensor observation_rows(const Tensor& x_o, const char* who) const;
  Tensor log_likelihood_rows(const Tensor& theta, const Tensor& x_rows);

  flows::ConditionalFlowPtr flow_;
  NleConfig config_;
  std::string task_;
  DistributionPtr prior_;
  uint64_t seed_;  // the estimator's construction seed (saved so load rebuilds the same structure)
  McmcStats last_stats_;
};

class NleMethod : public Method {
 public:
  std::string name() const override { return "nle"; }
  PosteriorPtr train(const Task& task, const Dataset& data, const TrainOptions& options,
                     TrainReport* report = nullptr) const override;
  // The prior comes from make_task(<the checkpoint's task>) (see the note at the top).
  PosteriorPtr load(const std::string& path) const override;
};

// Loads an NLE checkpoint with an explicitly given prior (checked against the fingerprint).
std::unique_ptr<NlePosterior> load_nle_posterior(const std::string& path, DistributionPtr prior);

// The prior fingerprint stored in checkpoints: {"name", "dim", "support", "probe": 4 draws with
// a fixed seed, "log_prob": their log densities}.
nlohmann::json prior_fingerprint(const Distribution& prior);
// ValueError naming what differs when `prior` does not match `fingerprint`.
void check_prior_fingerprint(const Distribution& prior, const nlohmann::json& fingerprint, const std::string& where);

}  // namespace amor::sbi::nle

// Neural posterior estimation (NPE, sbi's NPE_C in its first round): a conditional flow
// q(θ | x) trained by maximum likelihood on simulated (θ, x) pairs, then sampled directly for
// any observation. Defaults follow sbi (Adam 5e-4, batch 200, 10 % validation, patience 20,
// clip 5); the estimator is the sbibm paper's NSF unless the configuration says otherwise.
//
// Bounded priors: by default (as sbi) the flow lives in θ space and samples outside the prior's
// support are rejected; a warning is printed when the acceptance falls below 1 % and sampling
// ends with a ValueError after `max_sampling_seconds`. With "unconstrained": true the flow is
// built on a bijection to R^d (logit for boxes, log for positive axes) and never leaks.
//
// Summary networks: with "summary" set, the flow's context is a summary network's output h(x)
// instead of x itself, and both are trained jointly (sbi's embedding nets; sbi/summary/). The
// task's flat x is read as a set or series (sbi/summary/flat_input.h), and the checkpoint holds
// both networks.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "sbi/flows/conditional_flow.h"
#include "sbi/method.h"
#include "sbi/npe/flow_training.h"
#include "sbi/summary/flat_input.h"
#include "sbi/summary/summary_flow.h"

namespace amor::sbi::npe {

struct NpeConfig {
  std::string estimator = "nsf";
  nlohmann::json estimator_options = nlohmann::json::object();
  bool unconstrained = false;
  FlowTrainingOptions training;
  double max_sampling_seconds = 120.0;
  // null: no summary network. Otherwise a network name ("deepset", "set_transformer",
  // "timeseries") or {"type": name, network options..., "input_shape": [N, F],
  // "channels_first": bool} (sbi/summary/flat_input.h).
  nlohmann::json summary = nullptr;
  // Where training runs ("cpu", "cuda", "cuda:N"; sbi/device_option.h). Copied into
  // training.device by from_json.
  Device device = Device::cpu();

  nlohmann::json to_json() const;
  // Keys: estimator, estimator_options, unconstrained, training, max_sampling_seconds, summary,
  // device.
  static NpeConfig from_json(const nlohmann::json& j);  // ValueError on unknown keys
};

class NpePosterior : public Posterior {
 public:
  NpePosterior(flows::ConditionalFlowPtr flow, NpeConfig config, std::string task_name, Support support);
  // With a summary network: the flow is model->flow(), its context the summary of x_o read with
  // `layout` (x_dim = N·F).
  NpePosterior(summary::SummaryFlowPtr model, summary::FlatInputLayout layout, NpeConfig config,
               std::string task_name, Support support);
  std::string method() const override { return "npe"; }
  std::string task_name() const override { return task_; }
  int64_t theta_dim() const override { return flow_->features(); }
  int64_t x_dim() const override { return x_dim_; }
  Tensor sample(const Tensor& x_o, int64_t n, uint64_t seed) override;
  void to(Device device) override;
  Device device() const override { return flow_->device(); }
  // log q(θ | x_o) for θ [n, d] (float64 result [n], on the host); -inf outside the support.
  Tensor log_prob(const Tensor& theta, const Tensor& x_o);
  void save(const std::string& path) const override;

  flows::ConditionalFlow& flow() { return *flow_; }
  // The joint model when a summary network is used, else null.
  const summary::SummaryFlowPtr& summary_model() const { return summary_; }
  const NpeConfig& config() const { return config_; }
  // Acceptance rate of the last sample() call (1 without rejection).
  double last_acceptance() const { return last_acceptance_; }

 private:
  // The flow's context for an observation: x_o itself, or its summary. [1, context_features].
  Tensor context_for(const Tensor& x_o, const char* who);

  flows::ConditionalFlowPtr flow_;
  summary::SummaryFlowPtr summary_;  // null without a summary network
  summary::FlatInputLayout layout_;
  int64_t x_dim_ = 0;
  NpeConfig config_;
  std::string task_;
  Support support_;
  double last_acceptance_ = 1.0;
};

class NpeMethod : public Method {
 public:
  std::string name() const override { return "npe"; }
  PosteriorPtr train(const Task& task, const Dataset& data, const TrainOptions& options,
                     TrainReport* report = nullptr) const override;
  PosteriorPtr load(const std::string& path) const override;
};

// Shared by NPE and NLE: "x_o must be [1, x_dim]" checks and conversion to [1, d] float64.
Tensor observation_row(const Tensor& x_o, int64_t dim, const char* who);

}  // namespace amor::sbi::npe

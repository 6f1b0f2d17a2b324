// The Simformer behind sbi::Method, so `amor train --method simformer` and research codes use it
// like NPE and NLE. The Posterior samples θ | x_o (the posterior mask); the underlying
// SimformerModel (model()) samples any other conditional.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sbi/method.h"
#include "sbi/simformer/simformer.h"

namespace amor::sbi::simformer {

class SimformerPosterior : public Posterior, public ConditionalSampler {
 public:
  // variable_names: θ then x names (empty: theta_1.., x_1..); support: the prior's (may be empty).
  SimformerPosterior(std::unique_ptr<SimformerModel> model, std::string task_name, Support support,
                     std::vector<std::string> variable_names = {});
  std::string method() const override { return "simformer"; }
  std::string task_name() const override { return task_; }
  int64_t theta_dim() const override { return model_->theta_dim(); }
  int64_t x_dim() const override { return model_->x_dim(); }
  // θ | x_o; samples outside the prior's support are rejected and redrawn (ValueError when fewer
  // than 1 in 1000 land inside, which means the model is broken or x_o is far off).
  Tensor sample(const Tensor& x_o, int64_t n, uint64_t seed) override;
  // One batched integration for all M observations (SimformerModel::sample_posterior_batched);
  // an observation whose batch leaves fewer than n samples inside the support is topped up by
  // sample() with a seed of its own.
  Tensor sample_batched(const Tensor& x_os, int64_t n, uint64_t seed) override;
  void save(const std::string& path) const override;
  void to(Device device) override { model_->to(device); }
  Device device() const override { return model_->device(); }

  // Any conditional (ConditionalSampler): [n, T] joint rows, latent θ inside the support.
  std::vector<std::string> variable_names() const override { return names_; }
  using ConditionalSampler::sample_conditional;
  Tensor sample_conditional(const std::vector<std::pair<int64_t, double>>& observed, int64_t n,
                            uint64_t seed) override;
  // The same restricted to a region by guidance (guidance.h): constraints over the T entries in the
  // data's units, on latent entries only. A NaN value in `observed` marks the entry missing (it is
  // sampled). The guidance settings are the model's sampling options' (sampling.guidance).
  Tensor sample_constrained(const std::vector<std::pair<int64_t, double>>& observed, const Constraints& constraints,
                            int64_t n, uint64_t seed);

  SimformerModel& model() { return *model_; }
  const SimformerModel& model() const { return *model_; }

 private:
  std::unique_ptr<SimformerModel> model_;
  std::string task_;
  Support support_;
  std::vector<std::string> names_;
};

class SimformerMethod : public Method {
 public:
  std::string name() const override { return "simformer"; }
  // options.config: a SimformerConfig JSON (network, sde, attention, condition_masks, training,
  // sampling), each part optional.
  PosteriorPtr train(const Task& task, const Dataset& data, const TrainOptions& options,
                     TrainReport* report = nullptr) const override;
  PosteriorPtr load(const std::string& path) const override;
};

}  // namespace amor::sbi::simformer

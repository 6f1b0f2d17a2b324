// Joint training of a SummaryFlow (summary network + conditional flow) by maximum likelihood:
// one Adam optimizer over both networks' parameters, loss -mean log q(θ | h(x), c).
//
// Online (BayesFlow's fit_online): every step simulates a fresh batch from a GenerativeModel, so
// N (drawn once per batch in the model's meta) changes from step to step and no simulation is
// seen twice. BayesFlow's recipe: Adam, learning rate warmed up linearly from 0.1× to 1× over
// the first 5 % of steps, then cosine decay to 0; gradients clipped (BayesFlow clips each
// variable's norm at 1.5 through Keras' clipnorm; here the global norm, as nn::clip_grad_norm
// does). Validation: a fixed set of simulated batches (their own seed), evaluated after every
// epoch. Before the first step, `standardization_batches` pilot batches fit the input/θ
// standardisation and the flow's data-dependent initialisation.
//
// Offline (BayesFlow's fit_offline / sbi's train): a fixed SetBatch (padded sets with a mask,
// e.g. from simulate_set_dataset), trained with sbi's recipe (npe::FlowTrainingOptions: random
// 10 % validation split, batches of 200 reshuffled every epoch, clip 5, early stopping after 20
// epochs without improvement, best weights restored).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "sbi/generative_model.h"
#include "sbi/npe/flow_training.h"
#include "sbi/summary/set_data.h"
#include "sbi/summary/summary_flow.h"

namespace amor::sbi::summary {

struct OnlineTrainingOptions {
  int64_t epochs = 30;              // the tutorial's first version: 30 × 128 batches of 64
  int64_t batches_per_epoch = 128;
  int64_t batch_size = 64;
  double learning_rate = 5e-4;
  double warmup_fraction = 0.05;    // of all steps; the rate starts at 0.1 × learning_rate
  double clip_max_norm = 1.5;       // 0: no clipping
  int64_t validation_batches = 8;   // simulated once, before training (0: no validation)
  int64_t standardization_batches = 16;
  int num_threads = 0;              // simulation threads (0: OpenMP default)

  void validate() const;  // ValueError naming the field
  nlohmann::json to_json() const;
  // Overrides the keys present; ValueError on unknown keys or bad values.
  static OnlineTrainingOptions from_json(const nlohmann::json& j, OnlineTrainingOptions defaults);
  static OnlineTrainingOptions from_json(const nlohmann::json& j) { return from_json(j, OnlineTrainingOptions{}); }
};

struct JointEpoch {
  int64_t epoch = 0;  // 1-based
  double train_loss = 0, val_loss = 0, learning_rate = 0, elapsed_s = 0;
};

struct OnlineTrainingResult {
  int64_t epochs = 0, steps = 0, num_simulations = 0;
  double seconds = 0;
  bool interrupted = false;
  std::vector<double> train_losses, val_losses;  // per epoch (val NaN without validation)
};

// The learning rate at `step` of `total_steps` under the schedule above.
double online_learning_rate(const OnlineTrainingOptions& o, int64_t step, int64_t total_steps);

// Simulation batch indices: training step s uses batch index s, validation batches and pilot
// batches use their own seeds derived from `seed`, so the three never overlap.
OnlineTrainingResult train_online(SummaryFlow& model, const GenerativeModel& simulator,
                                  const std::function<SetBatch(const Batch&)>& adapter,
                                  const OnlineTrainingOptions& options, uint64_t seed,
                                  const std::function<void(const JointEpoch&)>& on_epoch = {},
                                  const std::atomic<bool>* stop = nullptr);

// data: θ [M, d], x [M, N, F], optional mask and conditions. Rows with a non-finite θ,
// condition or real element are dropped and counted first.
npe::FlowTrainingResult train_offline(SummaryFlow& model, const SetBatch& data, const npe::FlowTrainingOptions& options,
                                      uint64_t seed, const std::function<void(const npe::FlowEpoch&)>& on_epoch = {},
                                      const std::atomic<bool>* stop = nullptr);

}  // namespace amor::sbi::summary

// Maximum-likelihood training of a conditional flow with sbi's recipe, shared by NPE (θ | x)
// and NLE (x | θ): Adam, a random 10 % validation split, mini-batches of 200 reshuffled every
// epoch (incomplete last batches dropped, as sbi's loaders do), gradient norm clipped at 5, and
// early stopping once the validation loss has not improved for 20 epochs, restoring the best
// weights. Rows with a non-finite value are dropped and counted before anything else.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tensor.h"
#include "sbi/flows/conditional_flow.h"
#include "sbi/method.h"

namespace amor::sbi::npe {

struct FlowTrainingOptions {
  int64_t batch_size = 200;
  double learning_rate = 5e-4;
  double validation_fraction = 0.1;
  int64_t stop_after_epochs = 20;
  int64_t max_epochs = 1 << 30;
  double clip_max_norm = 5.0;  // 0: no clipping
  // Where the flow trains: the data are copied there once, minibatches gathered there, the
  // trained flow stays there. Not part of this struct's JSON: the methods read it from their
  // configuration's top-level "device" (sbi/device_option.h).
  Device device = Device::cpu();

  void validate() const;  // ValueError naming the field
  nlohmann::json to_json() const;
  // Overrides the keys present; ValueError on unknown keys.
  static FlowTrainingOptions from_json(const nlohmann::json& j, FlowTrainingOptions defaults);
  static FlowTrainingOptions from_json(const nlohmann::json& j) { return from_json(j, FlowTrainingOptions{}); }
};

struct FlowEpoch {
  int64_t epoch = 0;  // 1-based
  double train_loss = 0, val_loss = 0, best_val_loss = 0, elapsed_s = 0;
};

struct FlowTrainingResult {
  int64_t epochs = 0, steps = 0, best_epoch = 0;
  double best_val_loss = 0, seconds = 0;
  int64_t num_rows = 0, num_dropped = 0;  // rows given, rows dropped as non-finite
  bool converged = false;                 // early stopping triggered
  bool interrupted = false;
  std::vector<double> train_losses, val_losses;  // per epoch
};

// inputs: [N, d] (what the flow models), context: [N, c] (what it conditions on; undefined for
// an unconditional flow), on the host. Fits the flow's standardisation on the training split
// first (on the host), then moves the flow and both splits to options.device once; each epoch's
// shuffle is drawn on the host (the same permutation whatever the device) and copied there.
FlowTrainingResult train_flow(flows::ConditionalFlow& flow, const Tensor& inputs, const Tensor& context,
                              const FlowTrainingOptions& options, uint64_t seed,
                              const std::function<void(const FlowEpoch&)>& on_epoch = {},
                              const std::atomic<bool>* stop = nullptr);

// The bridges to sbi::Method's reporting, shared by the flow-based methods (NPE, NLE):
// per-epoch progress as TrainProgress (unit "epoch", total unknown), empty when `on_progress`
// is; and a TrainReport from a training result plus the dataset's simulation counts.
std::function<void(const FlowEpoch&)> epoch_progress(const std::function<void(const TrainProgress&)>& on_progress);
void fill_train_report(TrainReport* report, const FlowTrainingResult& result, const Dataset& data);

}  // namespace amor::sbi::npe

// Inference methods behind one interface, so `amor train / sample / evaluate` and research
// codes drive NPE, NLE and the Simformer the same way.
//
// A Method trains on a Task's simulations and returns a Posterior: an amortized model that
// samples θ | x_o for any observation. A Posterior saves itself as one safetensors checkpoint
// whose `__metadata__` carries {"format": "amor", "method": ..., "task": ..., "config": ...};
// load_posterior() reads the method from there and hands the file to that method's loader.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tensor.h"
#include "sbi/simulator.h"
#include "sbi/task.h"

namespace amor::sbi {

// One progress report during training (per epoch for NPE/NLE, every few steps for the
// Simformer).
struct TrainProgress {
  std::string unit = "epoch";  // "epoch" or "step"
  int64_t done = 0;            // epochs or steps finished
  int64_t total = -1;          // -1: unknown (early stopping decides)
  double train_loss = 0.0;
  double val_loss = 0.0;       // NaN when not computed at this report
  double best_val_loss = 0.0;
  double elapsed_s = 0.0;
};

struct TrainOptions {
  uint64_t seed = 0;
  nlohmann::json config = nlohmann::json::object();  // method-specific; unknown keys: ValueError
  int num_threads = 0;                               // 0: OpenMP default
  std::function<void(const TrainProgress&)> on_progress;
  // Set (e.g. from a SIGINT handler) to stop after the current step; the best weights so far
  // are kept and the report says `interrupted`.
  const std::atomic<bool>* stop = nullptr;
};

struct TrainReport {
  int64_t epochs = 0, steps = 0;
  double best_val_loss = 0.0;
  double train_seconds = 0.0;
  int64_t num_simulations = 0, num_invalid = 0;
  bool interrupted = false;
};

class Posterior {
 public:
  virtual ~Posterior() = default;
  virtual std::string method() const = 0;
  virtual std::string task_name() const = 0;
  virtual int64_t theta_dim() const = 0;
  virtual int64_t x_dim() const = 0;
  // x_o: [1, x_dim] (float32 or float64) -> [n, theta_dim] float64, inside the prior's support.
  // The samples are host tensors whatever device the model lives on.
  virtual Tensor sample(const Tensor& x_o, int64_t n, uint64_t seed) = 0;
  // Samples for many observations: x_os [M, x_dim] -> [M, n, theta_dim] float64, inside the
  // support. The default calls sample() once per row with seed batch_seed(seed, i); a method
  // that can share its network calls across observations overrides it (the Simformer: one
  // batched integration, so its draws differ from the row-by-row calls but follow the same
  // distributions). Same seed, same result.
  virtual Tensor sample_batched(const Tensor& x_os, int64_t n, uint64_t seed);
  static uint64_t batch_seed(uint64_t seed, int64_t row) {
    return seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(row);
  }
  // Moves the model to `device` (sbi/device_option.h); sampling then runs there. A trained
  // posterior lives where it was trained (the method's "device" option), a loaded one on the CPU.
  // The default supports the CPU only (NotImplementedError for any other device).
  virtual void to(Device device);
  virtual Device device() const { return Device::cpu(); }
  // Writes the checkpoint (atomically: a temporary file renamed into place).
  virtual void save(const std::string& path) const = 0;
};

using PosteriorPtr = std::unique_ptr<Posterior>;

// A posterior whose model also samples the other conditionals of the joint (θ, x) — the
// likelihood x | θ, θ_2 | (θ_1, x), x_2 | x_1, the joint itself: the Simformer. Found with
// dynamic_cast<ConditionalSampler*>(posterior). Variables are the joint's entries, θ first.
class ConditionalSampler {
 public:
  virtual ~ConditionalSampler() = default;
  // Names of the joint's entries (the task's θ names, then its x names).
  virtual std::vector<std::string> variable_names() const = 0;
  // observed: (entry index, value) pairs, each index at most once; none: the joint. Returns
  // [n, T] float64 rows of the whole joint with the observed entries copied. Latent θ entries
  // stay inside the prior's support (rejection); an observed θ outside it is a ValueError.
  virtual Tensor sample_conditional(const std::vector<std::pair<int64_t, double>>& observed, int64_t n,
                                    uint64_t seed) = 0;
  // The same with entries named as in variable_names(); an unknown name is a ValueError that
  // lists the known ones.
  Tensor sample_conditional(const std::vector<std::pair<std::string, double>>& observed, int64_t n,
                            uint64_t seed);
};

class Method {
 public:
  virtual ~Method() = default;
  virtual std::string name() const = 0;
  virtual PosteriorPtr train(const Task& task, const Dataset& data, const TrainOptions& options,
                             TrainReport* report = nullptr) const = 0;
  // Loads a checkpoint written by this method's Posterior::save.
  virtual PosteriorPtr load(const std::string& path) const = 0;
};

// "npe", "nle", "simformer" (the names the command line accepts), then any user-registered ones.
std::vector<std::string> method_names();
// ValueError for an unknown name; NotImplementedError ("method 'nle' is not available yet")
// for a known method whose implementation has not landed.
const Method& find_method(const std::string& name);
// The built-in methods are listed in a table in sbi/method.cpp; research codes add their own
// here (listed by method_names() after the three). ValueError for a null method, an empty name,
// or a name already registered. Thread-safe.
void register_method(std::shared_ptr<const Method> method);

// Reads the checkpoint's metadata, checks format/method, and loads it. IOError on an unreadable
// or malformed file; ValueError when `expected_task` is non-empty and differs from the
// checkpoint's task (a checkpoint made for another task).
PosteriorPtr load_posterior(const std::string& path, const std::string& expected_task = {});

}  // namespace amor::sbi

// Simulator: θ -> x, one simulation at a time, run in parallel over a batch.
//
// simulate_one() gets the simulation's own Rng, Rng(seed, kSimulatorStream, first_index + i)
// for row i, so simulate() is bit-identical for every thread count. A simulator may write
// NaN or ±inf (a failed ODE solve, a numerical blow-up): simulate_dataset() drops those rows and
// counts them, as sbi does for NPE.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "sbi/distribution.h"
#include "sbi/rng.h"

namespace amor::sbi {

class Simulator {
 public:
  virtual ~Simulator() = default;
  virtual int64_t theta_dim() const = 0;
  virtual int64_t x_dim() const = 0;
  // theta[theta_dim()] -> x[x_dim()]. Must be thread-safe (const, no shared mutable state).
  virtual void simulate_one(const double* theta, double* x, Rng& rng) const = 0;
};

using SimulatorPtr = std::shared_ptr<const Simulator>;

// Wraps a function as a Simulator.
SimulatorPtr make_simulator(int64_t theta_dim, int64_t x_dim,
                            std::function<void(const double* theta, double* x, Rng& rng)> fn);

struct SimulateOptions {
  int num_threads = 0;           // 0: OpenMP default
  uint64_t first_index = 0;      // row i uses Rng(seed, kSimulatorStream, first_index + i)
  // Set to stop early: rows not started yet are skipped (their x stays NaN). Rows already
  // running finish. simulate_dataset() drops skipped rows without counting them.
  const std::atomic<bool>* cancel = nullptr;
};

// theta: [n, theta_dim] float64 (float32 is converted) -> x: [n, x_dim] float64. ShapeError on
// a wrong width. An exception thrown by simulate_one is rethrown (the lowest failing row's).
Tensor simulate(const Simulator& sim, const Tensor& theta, uint64_t seed,
                const SimulateOptions& options = {});

// Training data: θ from the prior, x from the simulator, invalid rows removed.
struct Dataset {
  Tensor theta;             // [n_valid, theta_dim] float64
  Tensor x;                 // [n_valid, x_dim] float64
  int64_t num_simulated = 0;
  int64_t num_invalid = 0;  // rows whose x held NaN or ±inf, dropped
};

// Draws n θ from `prior` (stream kPriorStream) and simulates them (stream kSimulatorStream),
// both with `seed` and both starting at options.first_index (so a dataset made in chunks equals
// one made at once); drops invalid rows. ShapeError when prior.dim() != sim.theta_dim().
Dataset simulate_dataset(const Distribution& prior, const Simulator& sim, int64_t n,
                         uint64_t seed, const SimulateOptions& options = {});

// Row mask of finite rows: x [n, d] (float32/float64) -> [n] bool, true when every entry is finite.
Tensor finite_rows(const Tensor& x);

}  // namespace amor::sbi

// SIRD with a time-varying contact rate β(t), at ANY set of times (issue #7; docs/sird.md, "At
// random times"): the function-valued variant of the `sird` task, built like Lotka–Volterra at
// irregular times (lotka_volterra_irregular.h). The model is exactly sird.h's:
//
//   γ, δ ~ U(0, 0.5); g ~ GP(0, RBF ℓ = 7, σ_f = 2.5) on the 100-point grid (SirdRateGp);
//   β(t) = interpolate_linear(grid, sigmoid(g_grid), t); I₀ ~ U(0, 0.2) (a nuisance, no token);
//   (S, I, R, D) from sird_states; each observed value exp(N(log(v + 1e-8), 0.05²)).
//
// As Simformer tokens: node ids 0 γ and 1 δ (scalars, metadata NaN), 2 β (a function of time:
// each token carries its time as metadata), 3 I, 4 R, 5 D (series: each token carries its
// observation time). Times lie in [0, 50]. Node DAG: I, R, D ← γ, δ, β.
//
// Unlike the fixed-time task, no β token is a conditioning of the grid: a training row draws the
// whole grid from the GP and reads β off it at its random times, so any set of β times is a
// marginal of one and the same function.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "sbi/tasks/sird.h"

namespace amor::sbi::tasks {

struct SirdIrregular {
  static constexpr int64_t kGammaNode = 0, kDeltaNode = 1, kBetaNode = 2;
  static constexpr int64_t kInfectedNode = 3, kRecoveredNode = 4, kDeceasedNode = 5, kNodes = 6;
  static constexpr int64_t kScalars = 2;  // γ, δ
  static constexpr double kTimeEnd = kSirdEnd;

  static std::string name() { return "sird_irregular"; }
  // "gamma", "delta", "beta", "I", "R", "D".
  static const std::vector<std::string>& node_names();
  // The node of a name above; ValueError listing the names otherwise.
  static int64_t node_of(const std::string& name);
  static Tensor node_dag();  // [6, 6] bool, row = child

  // One full draw from the prior: the rates, I₀ and the logit-β grid.
  struct Truth {
    double gamma = 0, delta = 0, initial_infected = 0;
    std::vector<double> g_grid;  // [100]: logit β at sird_grid()
    // β at each time (in [0, 50], any order): sigmoid(g) on the grid, linearly interpolated.
    std::vector<double> beta(const std::vector<double>& times) const;
  };
  // The draw of (seed, index): its own random stream, so draws are independent of each other and
  // of the thread that makes them.
  static Truth draw(uint64_t seed, uint64_t index);

  // One set of observed points: tokens in order, each (node, time, value); nodes 3, 4 or 5.
  struct Points {
    std::vector<int64_t> nodes;
    std::vector<double> times;
    std::vector<double> values;
    int64_t size() const { return int64_t(nodes.size()); }
  };
  // Noisy I, R, D of `truth` at their own times (each list in [0, 50], any order), in the order
  // I times, R times, D times. The noise comes from (seed, index). ValueError for a time outside
  // [0, 50] or when the ODE solve fails (never inside the prior's support).
  static Points simulate(const Truth& truth, const std::vector<double>& infected_times,
                         const std::vector<double>& recovered_times, const std::vector<double>& deceased_times,
                         uint64_t seed, uint64_t index);

  // Training data for the Simformer: n rows, row i from draw(seed, i), `beta_times` sorted
  // U(0, 50) β times and `obs_times_per_series` sorted U(0, 50] times per series (I, R and D each
  // their own), all drawn per row. Tokens [γ, δ, β × kβ, I × k, R × k, D × k]. A row whose solve
  // fails is dropped and counted. The same for a seed whatever the thread count (num_threads
  // <= 0: the OpenMP default).
  struct TrainingData {
    Tensor joint;     // [n', 2 + kβ + 3k] float64 values
    Tensor metadata;  // [n', 2 + kβ + 3k] float64: NaN for γ and δ, the times otherwise
    Tensor node_ids;  // [2 + kβ + 3k] int64
    int64_t dropped = 0;               // n − n'
    std::vector<int64_t> draw_index;   // [n']: the draw (index of draw(seed, ·)) of each row
  };
  static TrainingData training_data(int64_t n, int64_t beta_times, int64_t obs_times_per_series, uint64_t seed,
                                    int num_threads = 0);

  // `count` sorted times: U[0, 50) for β (`observation` false), U(0, 50] for observations (t = 0
  // carries nothing: R = D = 0 there). ValueError for count < 0.
  static std::vector<double> random_times(Rng& rng, int64_t count, bool observation);
};

}  // namespace amor::sbi::tasks

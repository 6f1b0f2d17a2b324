// Small helpers shared by the built-in task files: building a task's dependency graph, reading
// a simulator constant table from the sbibm data directory, numbered variable names, and
// drawing analytic posterior samples row by row.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "sbi/rng.h"

namespace amor::sbi::tasks {

// The [T, T] bool graph of Task::dag over T = theta_dim + x_dim nodes, θ first; row = child,
// column = parent. No self-loops (the Simformer adds its own).
class DagBuilder {
 public:
  DagBuilder(int64_t theta_dim, int64_t x_dim);
  int64_t theta(int64_t i) const;  // node index of θ_i (0-based); IndexError when out of range
  int64_t x(int64_t j) const;      // node index of x_j (0-based)
  void edge(int64_t child, int64_t parent);  // node indices; a self-loop is a ValueError
  void x_on_all_theta(int64_t j);            // x_j <- every θ
  Tensor build() const;                      // [T, T] bool

 private:
  int64_t theta_dim_, x_dim_;
  std::vector<uint8_t> adj_;
};

// Reads <data_dir>/<relative_path> (CSV, optionally .bz2) as [rows, columns] float64 and checks
// its shape (-1: any). IOError naming the task, the path and how to point amor at the data when
// the file is missing or malformed.
Tensor read_task_constants(const std::string& task, const std::string& data_dir,
                           const std::string& relative_path, int64_t rows, int64_t columns);

// prefix + "1" .. prefix + n.
std::vector<std::string> numbered_names(const std::string& prefix, int64_t n);

// Analytic posterior draws: out [n, d] float64 whose row i is draw(rng_i, row) with
// rng_i = Rng(seed, kPriorStream, i), run in parallel (same result for every thread count).
// n < 0 is a ValueError.
Tensor sample_rows(int64_t n, int64_t d, uint64_t seed,
                   const std::function<void(Rng& rng, double* row)>& draw);

// log N(v; mean, std²), normalised. For the tasks' closed-form joint densities.
inline double normal_log_density(double v, double mean, double std) {
  constexpr double kHalfLog2Pi = 0.91893853320467274178;  // 0.5 · log(2π)
  const double z = (v - mean) / std;
  return -0.5 * z * z - std::log(std) - kHalfLog2Pi;
}

// x_o as a contiguous float64 vector of length d, from [d] or [1, d] (float32 or float64).
// ShapeError naming `who` otherwise.
std::vector<double> observation_vector(const Tensor& x_o, int64_t d, const std::string& who);

}  // namespace amor::sbi::tasks

// Task: a benchmark problem — prior, simulator, variable names, the dependency graph over the
// joint (θ, x), and, for sbibm tasks, 10 observations with their true parameters and 10 000
// reference posterior samples read from the sbibm data directory.
//
// Data directory: TaskOptions::data_dir, else the environment variable AMOR_SBIBM_DIR, else the
// compiled-in default `<source tree>/../shared/sbibm`. Nothing from it is copied into the build.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "sbi/distribution.h"
#include "sbi/simulator.h"

namespace amor::sbi {

struct TaskOptions {
  std::string data_dir;  // empty: default_data_dir()
};

// $AMOR_SBIBM_DIR if set and non-empty, else the compiled-in default.
std::string default_data_dir();

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;
  virtual std::string description() const { return {}; }
  virtual DistributionPtr prior() const = 0;
  virtual SimulatorPtr simulator() const = 0;

  int64_t theta_dim() const { return prior()->dim(); }
  int64_t x_dim() const { return simulator()->x_dim(); }
  // "theta_1".. and "x_1".. unless the task names them.
  virtual std::vector<std::string> theta_names() const;
  virtual std::vector<std::string> x_names() const;

  // The dependency graph over the T = theta_dim + x_dim scalar nodes, θ first: dag[i, j] = true
  // when node j is a parent of node i (row = child, column = parent). The Simformer builds its
  // attention masks from it. Default: every x depends on every θ, no other edges.
  virtual Tensor dag() const;  // [T, T] bool

  // sbibm reference data (0 observations when the task has none). k is 1-based. The defaults
  // throw ValueError("task '<name>' has no reference data ..."); sbi/tasks/sbibm_task.h reads
  // them from the data directory.
  virtual int num_observations() const { return 0; }
  virtual Tensor observation(int k) const;        // [1, x_dim] float64
  virtual Tensor true_parameters(int k) const;    // [1, theta_dim] float64
  virtual Tensor reference_samples(int k) const;  // [n_ref, theta_dim] float64 (10 000 for sbibm)
  // Analytic posterior samples when the task has one (gaussian_linear): [n, theta_dim].
  virtual bool has_analytic_posterior() const { return false; }
  // Default: NotImplementedError.
  virtual Tensor analytic_posterior_samples(const Tensor& x_o, int64_t n, uint64_t seed) const;

  // The joint density log p(θ) + log p(x | θ), normalised (no constant dropped), when the task's
  // likelihood is known in closed form (tree, hmm, gaussian_linear, two_moons, ...). MCMC on it
  // gives reference samples of any conditional (sbi/diagnostics/conditional_reference.h).
  virtual bool has_joint_log_density() const { return false; }
  // row: [theta_dim + x_dim] (θ then x) -> log density; -inf outside the support, never NaN for
  // finite input. Must be thread-safe. Default: NotImplementedError.
  virtual double joint_log_density_one(const double* row) const;
  // joint: [n, theta_dim + x_dim] (float32 or float64) -> [n] float64, rows in parallel.
  // ShapeError on a wrong width; NotImplementedError when the task has no joint density.
  Tensor joint_log_density(const Tensor& joint) const;
};

using TaskPtr = std::shared_ptr<const Task>;

// Every registered task name, sorted.
std::vector<std::string> task_names();
// ValueError naming the unknown task and listing the known ones.
TaskPtr make_task(const std::string& name, const TaskOptions& options = {});

// The built-in tasks are listed in one table in sbi/task.cpp (each task's .cpp exports a
// `TaskPtr make_<name>(const TaskOptions&)` declared in sbi/tasks/builtin.h); static
// registrars would be dropped by the linker from a static library. User tasks register here.
// ValueError for an empty name or factory, or a built-in task's name; registering a user task's
// name again replaces its factory. Thread-safe.
using TaskFactory = std::function<TaskPtr(const TaskOptions&)>;
void register_task(const std::string& name, TaskFactory factory);

}  // namespace amor::sbi

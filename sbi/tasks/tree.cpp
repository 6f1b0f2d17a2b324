// The Simformer's `tree` task (../shared/reference/simformer.md §6): 3 parameters in a tree,
// 4 data nodes, each data node the child of one parameter.
//
//   θ1 ~ N(0, 1),  θ2 ~ N(θ1, 1),  θ3 ~ N(θ1, 1)
//   x1 ~ N(sin²θ2, 0.2²),  x2 ~ N(0.1 θ2², 0.2²),  x3 ~ N(0.1 θ3², 0.6²),  x4 ~ N(cos²θ3, 0.1²)
//
// Nodes (θ first): 0 θ1, 1 θ2, 2 θ3, 3 x1, 4 x2, 5 x3, 6 x4. The prior is the joint Gaussian
// of (θ1, θ2, θ3): Var θ1 = 1, Var θ2 = Var θ3 = 2, every covariance 1.
#include <cmath>

#include "core/tensor.h"
#include "sbi/tasks/builtin.h"
#include "sbi/tasks/task_support.h"

namespace amor::sbi::tasks {

namespace {

constexpr double kStd1 = 0.2, kStd2 = 0.2, kStd3 = 0.6, kStd4 = 0.1;  // noise std of x1..x4

class TreeSimulator final : public Simulator {
 public:
  int64_t theta_dim() const override { return 3; }
  int64_t x_dim() const override { return 4; }
  void simulate_one(const double* theta, double* x, Rng& rng) const override {
    const double s2 = std::sin(theta[1]), c3 = std::cos(theta[2]);
    x[0] = rng.normal(s2 * s2, kStd1);
    x[1] = rng.normal(0.1 * theta[1] * theta[1], kStd2);
    x[2] = rng.normal(0.1 * theta[2] * theta[2], kStd3);
    x[3] = rng.normal(c3 * c3, kStd4);
  }
};

class TreeTask final : public Task {
 public:
  TreeTask()
      : prior_(multivariate_normal({0.0, 0.0, 0.0},
                                   {{1.0, 1.0, 1.0}, {1.0, 2.0, 1.0}, {1.0, 1.0, 2.0}})),
        simulator_(std::make_shared<TreeSimulator>()) {}
  std::string name() const override { return "tree"; }
  std::string description() const override {
    return "Simformer tree: θ1 -> θ2, θ3; θ2 -> x1, x2; θ3 -> x3, x4 (Gaussian with "
           "nonlinear means)";
  }
  DistributionPtr prior() const override { return prior_; }
  SimulatorPtr simulator() const override { return simulator_; }
  Tensor dag() const override {
    // [7, 7] bool, dag[child, parent].
    Tensor g = zeros({7, 7}, {.dtype = DType::Bool});
    auto* m = g.data<bool>();
    const int edges[][2] = {{1, 0}, {2, 0}, {3, 1}, {4, 1}, {5, 2}, {6, 2}};
    for (const auto& e : edges) m[e[0] * 7 + e[1]] = true;
    return g;
  }

  bool has_joint_log_density() const override { return true; }
  // row: (θ1, θ2, θ3, x1, x2, x3, x4).
  double joint_log_density_one(const double* row) const override {
    const double* theta = row;
    const double* x = row + 3;
    const double s2 = std::sin(theta[1]), c3 = std::cos(theta[2]);
    return prior_->log_prob_one(theta) + normal_log_density(x[0], s2 * s2, kStd1) +
           normal_log_density(x[1], 0.1 * theta[1] * theta[1], kStd2) +
           normal_log_density(x[2], 0.1 * theta[2] * theta[2], kStd3) +
           normal_log_density(x[3], c3 * c3, kStd4);
  }

 private:
  DistributionPtr prior_;
  SimulatorPtr simulator_;
};

}  // namespace

TaskPtr make_tree(const TaskOptions& /*options*/) { return std::make_shared<TreeTask>(); }

}  // namespace amor::sbi::tasks

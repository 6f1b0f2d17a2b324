// The Simformer's `hmm` task (`nonlinear_marcov_chain`, ../shared/reference/simformer.md §6):
// a Gaussian random walk of 10 hidden states, each observed through a squaring nonlinearity.
//
//   θ0 ~ N(0, 0.5²),  θi ~ N(θ(i−1), 0.5²) for i = 1..9,  xi ~ N(θi², 0.5²) for i = 0..9
//
// Nodes (θ first): 0..9 θ0..θ9, 10..19 x0..x9. The prior is the joint Gaussian of the walk:
// Cov(θi, θj) = 0.25 (min(i, j) + 1).
#include <algorithm>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "sbi/tasks/builtin.h"
#include "sbi/tasks/task_support.h"

namespace amor::sbi::tasks {

namespace {

constexpr int kSteps = 10;
constexpr double kStd = 0.5;  // transition and observation noise

class HmmSimulator final : public Simulator {
 public:
  int64_t theta_dim() const override { return kSteps; }
  int64_t x_dim() const override { return kSteps; }
  void simulate_one(const double* theta, double* x, Rng& rng) const override {
    for (int i = 0; i < kSteps; ++i) x[i] = rng.normal(theta[i] * theta[i], kStd);
  }
};

DistributionPtr random_walk_prior() {
  std::vector<std::vector<double>> cov(kSteps, std::vector<double>(kSteps));
  for (int i = 0; i < kSteps; ++i)
    for (int j = 0; j < kSteps; ++j) cov[size_t(i)][size_t(j)] = kStd * kStd * (std::min(i, j) + 1);
  return multivariate_normal(std::vector<double>(kSteps, 0.0), std::move(cov));
}

std::vector<std::string> indexed(const std::string& stem) {
  std::vector<std::string> names;
  for (int i = 0; i < kSteps; ++i) names.push_back(stem + std::to_string(i));
  return names;
}

class HmmTask final : public Task {
 public:
  HmmTask() : prior_(random_walk_prior()), simulator_(std::make_shared<HmmSimulator>()) {}
  std::string name() const override { return "hmm"; }
  std::string description() const override {
    return "Simformer HMM: Gaussian random walk θ0 -> ... -> θ9 (std 0.5), xi ~ N(θi², 0.5²)";
  }
  DistributionPtr prior() const override { return prior_; }
  SimulatorPtr simulator() const override { return simulator_; }
  // 0-based, as in the definition.
  std::vector<std::string> theta_names() const override { return indexed("theta_"); }
  std::vector<std::string> x_names() const override { return indexed("x_"); }
  Tensor dag() const override {
    // [20, 20] bool, dag[child, parent]: the chain θ(i−1) -> θi and the emissions θi -> xi.
    constexpr int t = 2 * kSteps;
    Tensor g = zeros({t, t}, {.dtype = DType::Bool});
    auto* m = g.data<bool>();
    for (int i = 1; i < kSteps; ++i) m[i * t + (i - 1)] = true;
    for (int i = 0; i < kSteps; ++i) m[(kSteps + i) * t + i] = true;
    return g;
  }

  bool has_joint_log_density() const override { return true; }
  // row: (θ0..θ9, x0..x9).
  double joint_log_density_one(const double* row) const override {
    double lp = prior_->log_prob_one(row);
    for (int i = 0; i < kSteps; ++i) lp += normal_log_density(row[kSteps + i], row[i] * row[i], kStd);
    return lp;
  }

 private:
  DistributionPtr prior_;
  SimulatorPtr simulator_;
};

}  // namespace

TaskPtr make_hmm(const TaskOptions& /*options*/) { return std::make_shared<HmmTask>(); }

}  // namespace amor::sbi::tasks

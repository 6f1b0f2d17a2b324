// gaussian_linear and gaussian_linear_uniform (sbibm): x ~ N(θ, 0.1·I) in 10 dimensions.
//
//   gaussian_linear          prior N(0, 0.1·I)   posterior N(x/2, 0.05·I)
//   gaussian_linear_uniform  prior U(-1, 1)^10   posterior N(x, 0.1·I) truncated to the box
//
// 0.1 is a variance in both the prior and the likelihood: sbibm passes the precision matrix
// inv(0.1·I), whatever its docstring says. With prior precision 10 and likelihood precision 10
// the posterior precision is 20 (variance 0.05) and the mean is (10·x)/20 = x/2. Both posteriors
// factorise over the coordinates, so they are drawn exactly (the uniform one coordinate by
// coordinate from a truncated normal).
#include <cmath>
#include <memory>

#include "sbi/tasks/builtin.h"
#include "sbi/tasks/sbibm_task.h"
#include "sbi/tasks/task_support.h"
#include "sbi/tasks/truncated_normal.h"

namespace amor::sbi::tasks {

namespace {

constexpr int64_t kDim = 10;
constexpr double kLikelihoodVariance = 0.1;
constexpr double kPriorVariance = 0.1;
constexpr double kBoxBound = 1.0;  // gaussian_linear_uniform: U(-1, 1) per axis

class GaussianLinearSimulator final : public Simulator {
 public:
  int64_t theta_dim() const override { return kDim; }
  int64_t x_dim() const override { return kDim; }
  // theta: [10] -> x: [10], x_i = θ_i + sqrt(0.1)·ε_i.
  void simulate_one(const double* theta, double* x, Rng& rng) const override {
    const double std = std::sqrt(kLikelihoodVariance);
    for (int64_t i = 0; i < kDim; ++i) x[i] = theta[i] + std * rng.normal();
  }
};

class GaussianLinearTask final : public SbibmTask {
 public:
  GaussianLinearTask(bool uniform_prior, const TaskOptions& options)
      : SbibmTask(uniform_prior ? "gaussian_linear_uniform" : "gaussian_linear", options),
        uniform_(uniform_prior),
        prior_(uniform_prior ? box_uniform(std::vector<double>(kDim, -kBoxBound),
                                           std::vector<double>(kDim, kBoxBound))
                             : diag_normal(std::vector<double>(kDim, 0.0),
                                           std::vector<double>(kDim, std::sqrt(kPriorVariance)))),
        simulator_(std::make_shared<GaussianLinearSimulator>()) {}

  std::string name() const override { return folder(); }
  std::string description() const override {
    return uniform_ ? "10-d x ~ N(θ, 0.1·I), prior U(-1, 1)^10 (sbibm gaussian_linear_uniform)"
                    : "10-d x ~ N(θ, 0.1·I), prior N(0, 0.1·I) (sbibm gaussian_linear)";
  }
  DistributionPtr prior() const override { return prior_; }
  SimulatorPtr simulator() const override { return simulator_; }

  // x_i depends on θ_i only; the prior and the noise are independent across coordinates.
  Tensor dag() const override {
    DagBuilder g(kDim, kDim);
    for (int64_t i = 0; i < kDim; ++i) g.edge(g.x(i), g.theta(i));
    return g.build();
  }

  bool has_joint_log_density() const override { return true; }
  // row: (θ_1..θ_10, x_1..x_10); -inf outside the uniform prior's box.
  double joint_log_density_one(const double* row) const override {
    double lp = prior_->log_prob_one(row);
    const double std = std::sqrt(kLikelihoodVariance);
    for (int64_t i = 0; i < kDim; ++i) lp += normal_log_density(row[kDim + i], row[i], std);
    return lp;
  }

  bool has_analytic_posterior() const override { return true; }
  // x_o: [10] or [1, 10] -> [n, 10] float64.
  Tensor analytic_posterior_samples(const Tensor& x_o, int64_t n, uint64_t seed) const override {
    const std::vector<double> x = observation_vector(x_o, kDim, name() + ".analytic_posterior_samples");
    if (uniform_) {
      const double std = std::sqrt(kLikelihoodVariance);
      return sample_rows(n, kDim, seed, [&](Rng& rng, double* row) {
        for (int64_t i = 0; i < kDim; ++i)
          row[i] = truncated_normal(rng, x[size_t(i)], std, -kBoxBound, kBoxBound);
      });
    }
    const double precision = 1.0 / kPriorVariance + 1.0 / kLikelihoodVariance;
    const double std = std::sqrt(1.0 / precision);
    const double shrink = (1.0 / kLikelihoodVariance) / precision;  // 1/2
    return sample_rows(n, kDim, seed, [&](Rng& rng, double* row) {
      for (int64_t i = 0; i < kDim; ++i) row[i] = shrink * x[size_t(i)] + std * rng.normal();
    });
  }

 private:
  bool uniform_;
  DistributionPtr prior_;
  SimulatorPtr simulator_;
};

}  // namespace

TaskPtr make_gaussian_linear(const TaskOptions& options) {
  return std::make_shared<GaussianLinearTask>(false, options);
}

TaskPtr make_gaussian_linear_uniform(const TaskOptions& options) {
  return std::make_shared<GaussianLinearTask>(true, options);
}

}  // namespace amor::sbi::tasks

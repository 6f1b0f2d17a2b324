// bernoulli_glm and bernoulli_glm_raw (sbibm): a generalised linear model of a spiking neuron.
//
// θ = (offset, filter_1..9) ~ N(0, B⁻¹) with the precision
//   B[0, 0] = 0.5 (offset),   B[1:, 1:] = FᵀF,  F = D·D + diag(sqrt(k / 9), k = 0..8),
//   D = I - (ones on the first sub-diagonal),
// which penalises the second differences of the filter (a smoothness prior). F is lower
// triangular with two sub-diagonals, so Fθ_filter ~ N(0, I) makes the filter an AR(2) chain:
// filter_k depends on filter_{k-1} and filter_{k-2} only.
//
// Simulator: 100 bins, ψ = X·θ with the design matrix X = [1, I delayed by 0..8] built from a
// fixed white-noise stimulus I; y_t ~ Bernoulli(σ(ψ_t)). bernoulli_glm returns the sufficient
// statistics [Σ y, Σ_t y_t·I_{t-l}, l = 0..8]; bernoulli_glm_raw returns y itself. X and I are
// sbibm's constants, read from <data_dir>/bernoulli_glm/files/.
#include "sbi/tasks/bernoulli_glm.h"

#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "sbi/tasks/builtin.h"
#include "sbi/tasks/sbibm_task.h"
#include "sbi/tasks/task_support.h"

namespace amor::sbi::tasks {

void bernoulli_glm_summary(const double* y, const double* stimulus, double* out) {
  double spikes = 0.0;
  for (int64_t t = 0; t < kGlmBins; ++t) spikes += y[t];
  out[0] = spikes;
  for (int64_t l = 0; l < kGlmFilterLen; ++l) {
    double s = 0.0;
    for (int64_t t = l; t < kGlmBins; ++t) s += y[t] * stimulus[t - l];
    out[1 + l] = s;
  }
}

namespace {

constexpr int64_t kThetaDim = 1 + kGlmFilterLen;  // 10
constexpr int64_t kSummaryDim = 1 + kGlmFilterLen;

struct GlmConstants {
  std::vector<double> design;    // [100, 10] row-major
  std::vector<double> stimulus;  // [100]
};

GlmConstants load_glm_constants(const std::string& task, const std::string& data_dir) {
  GlmConstants c;
  c.design = read_task_constants(task, data_dir, "bernoulli_glm/files/design_matrix.csv", kGlmBins, kThetaDim)
                 .to_vector<double>();
  c.stimulus = read_task_constants(task, data_dir, "bernoulli_glm/files/stimulus_I.csv", kGlmBins, 1)
                   .to_vector<double>();
  return c;
}

// The prior covariance B⁻¹ (dense, 10x10), B as in the file comment.
std::vector<std::vector<double>> prior_covariance() {
  const int64_t m = kGlmFilterLen;
  // F = D·D + diag(sqrt(k/m)): D·D has 1 on the diagonal, -2 and 1 on the first two sub-diagonals.
  std::vector<double> f(size_t(m * m), 0.0);
  for (int64_t i = 0; i < m; ++i) {
    f[size_t(i * m + i)] = 1.0 + std::sqrt(double(i) / double(m));
    if (i >= 1) f[size_t(i * m + i - 1)] = -2.0;
    if (i >= 2) f[size_t(i * m + i - 2)] = 1.0;
  }
  // The filter block of the covariance is (FᵀF)⁻¹ = F⁻¹F⁻ᵀ; F⁻¹ by forward substitution.
  std::vector<double> finv(size_t(m * m), 0.0);
  for (int64_t col = 0; col < m; ++col) {
    for (int64_t i = 0; i < m; ++i) {
      double s = i == col ? 1.0 : 0.0;
      for (int64_t j = 0; j < i; ++j) s -= f[size_t(i * m + j)] * finv[size_t(j * m + col)];
      finv[size_t(i * m + col)] = s / f[size_t(i * m + i)];
    }
  }
  std::vector<std::vector<double>> cov(size_t(kThetaDim), std::vector<double>(size_t(kThetaDim), 0.0));
  cov[0][0] = 1.0 / 0.5;  // offset precision 0.5
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < m; ++j) {
      double s = 0.0;
      for (int64_t k = 0; k < m; ++k) s += finv[size_t(i * m + k)] * finv[size_t(j * m + k)];
      cov[size_t(1 + i)][size_t(1 + j)] = s;
    }
  return cov;
}

class BernoulliGlmSimulator final : public Simulator {
 public:
  BernoulliGlmSimulator(GlmConstants c, bool raw) : c_(std::move(c)), raw_(raw) {}
  int64_t theta_dim() const override { return kThetaDim; }
  int64_t x_dim() const override { return raw_ ? kGlmBins : kSummaryDim; }

  // theta: [10] -> x: [10] summaries, or [100] spikes when raw.
  void simulate_one(const double* theta, double* x, Rng& rng) const override {
    double y[kGlmBins];
    for (int64_t t = 0; t < kGlmBins; ++t) {
      const double* row = c_.design.data() + t * kThetaDim;
      double psi = 0.0;
      for (int64_t j = 0; j < kThetaDim; ++j) psi += row[j] * theta[j];
      const double p = 1.0 / (1.0 + std::exp(-psi));
      y[t] = rng.uniform() < p ? 1.0 : 0.0;
    }
    if (raw_) {
      for (int64_t t = 0; t < kGlmBins; ++t) x[t] = y[t];
    } else {
      bernoulli_glm_summary(y, c_.stimulus.data(), x);
    }
  }

 private:
  GlmConstants c_;
  bool raw_;
};

class BernoulliGlmTask final : public SbibmTask {
 public:
  BernoulliGlmTask(bool raw, const TaskOptions& options)
      : SbibmTask("bernoulli_glm", options, raw ? "observation_raw.csv" : "observation.csv"),
        raw_(raw),
        prior_(multivariate_normal(std::vector<double>(size_t(kThetaDim), 0.0), prior_covariance())) {
    GlmConstants c = load_glm_constants(name(), data_dir());
    design_ = c.design;
    simulator_ = std::make_shared<BernoulliGlmSimulator>(std::move(c), raw_);
  }

  std::string name() const override { return raw_ ? "bernoulli_glm_raw" : "bernoulli_glm"; }
  std::string description() const override {
    return raw_ ? "GLM spike train (100 Bernoulli bins) with a smooth 9-tap stimulus filter "
                  "(sbibm bernoulli_glm_raw)"
                : "GLM spike count and spike-triggered sums (10 sufficient statistics) "
                  "(sbibm bernoulli_glm)";
  }
  DistributionPtr prior() const override { return prior_; }
  SimulatorPtr simulator() const override { return simulator_; }

  std::vector<std::string> theta_names() const override {
    std::vector<std::string> names = {"offset"};
    for (const auto& n : numbered_names("filter_", kGlmFilterLen)) names.push_back(n);
    return names;
  }
  std::vector<std::string> x_names() const override {
    if (raw_) return numbered_names("spike_", kGlmBins);
    std::vector<std::string> names = {"num_spikes"};
    for (int64_t l = 0; l < kGlmFilterLen; ++l) names.push_back("sta_lag_" + std::to_string(l));
    return names;
  }

  // Prior: filter_k <- filter_{k-1}, filter_{k-2} (the AR(2) chain); the offset is independent.
  // Raw: y_t <- the θ_j with X[t, j] ≠ 0 (the offset and the filter taps that reach bin t), and
  // the bins are independent given θ. Summaries: each depends on every θ and, being functions of
  // one spike train, on each other: x_i <- x_j for j < i.
  Tensor dag() const override {
    DagBuilder g(kThetaDim, raw_ ? kGlmBins : kSummaryDim);
    for (int64_t k = 1; k < kThetaDim; ++k)
      for (int64_t back = 1; back <= 2 && k - back >= 1; ++back) g.edge(g.theta(k), g.theta(k - back));
    if (raw_) {
      for (int64_t t = 0; t < kGlmBins; ++t)
        for (int64_t j = 0; j < kThetaDim; ++j)
          if (design_[size_t(t * kThetaDim + j)] != 0.0) g.edge(g.x(t), g.theta(j));
    } else {
      for (int64_t i = 0; i < kSummaryDim; ++i) {
        g.x_on_all_theta(i);
        for (int64_t j = 0; j < i; ++j) g.edge(g.x(i), g.x(j));
      }
    }
    return g.build();
  }

 private:
  bool raw_;
  DistributionPtr prior_;
  SimulatorPtr simulator_;
  std::vector<double> design_;  // [100, 10]
};

}  // namespace

TaskPtr make_bernoulli_glm(const TaskOptions& options) {
  return std::make_shared<BernoulliGlmTask>(false, options);
}

TaskPtr make_bernoulli_glm_raw(const TaskOptions& options) {
  return std::make_shared<BernoulliGlmTask>(true, options);
}

}  // namespace amor::sbi::tasks

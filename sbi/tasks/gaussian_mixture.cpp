// gaussian_mixture (sbibm, v1.1.0 and later): θ ~ U(-10, 10)², and
//
//   x ~ 0.5·N(θ, I) + 0.5·N(θ, 0.01·I)
//
// with the component drawn once per simulation and shared by both coordinates (the v1.1.0 fix:
// before it, a batch shared one component). The likelihood is symmetric in (x, θ), so the
// posterior is the same mixture centred on x_o, truncated to the prior box; sbibm's reference
// samples come from exactly that by rejection, and so do analytic_posterior_samples here.
#include <cmath>
#include <memory>

#include "core/error.h"
#include "sbi/tasks/builtin.h"
#include "sbi/tasks/sbibm_task.h"
#include "sbi/tasks/task_support.h"

namespace amor::sbi::tasks {

namespace {

constexpr double kBound = 10.0;
constexpr double kWideStd = 1.0;
constexpr double kNarrowStd = 0.1;
constexpr double kNarrowWeight = 0.5;

// One draw of the mixture 0.5·N(centre, I) + 0.5·N(centre, 0.01·I) in 2-d; out: [2].
void draw_mixture(const double* centre, double* out, Rng& rng) {
  const double std = rng.uniform() < kNarrowWeight ? kNarrowStd : kWideStd;
  out[0] = centre[0] + std * rng.normal();
  out[1] = centre[1] + std * rng.normal();
}

class GaussianMixtureSimulator final : public Simulator {
 public:
  int64_t theta_dim() const override { return 2; }
  int64_t x_dim() const override { return 2; }
  void simulate_one(const double* theta, double* x, Rng& rng) const override {
    draw_mixture(theta, x, rng);
  }
};

class GaussianMixtureTask final : public SbibmTask {
 public:
  explicit GaussianMixtureTask(const TaskOptions& options)
      : SbibmTask("gaussian_mixture", options),
        prior_(box_uniform({-kBound, -kBound}, {kBound, kBound})),
        simulator_(std::make_shared<GaussianMixtureSimulator>()) {}

  std::string name() const override { return "gaussian_mixture"; }
  std::string description() const override {
    return "2-d x ~ 0.5·N(θ, I) + 0.5·N(θ, 0.01·I), prior U(-10, 10)² (sbibm gaussian_mixture)";
  }
  DistributionPtr prior() const override { return prior_; }
  SimulatorPtr simulator() const override { return simulator_; }

  // Both x depend on both θ; x2 <- x1 because the mixture component is shared.
  Tensor dag() const override {
    DagBuilder g(2, 2);
    g.x_on_all_theta(0);
    g.x_on_all_theta(1);
    g.edge(g.x(1), g.x(0));
    return g.build();
  }

  bool has_analytic_posterior() const override { return true; }
  // x_o: [2] or [1, 2] -> [n, 2]: the mixture around x_o, rejected outside the box.
  Tensor analytic_posterior_samples(const Tensor& x_o, int64_t n, uint64_t seed) const override {
    const std::vector<double> x = observation_vector(x_o, 2, name() + ".analytic_posterior_samples");
    // Acceptance is at least P(narrow component lands in the box) ≈ 1/2·P(...) for x_o inside
    // or near the box; a far-away x_o (no posterior mass worth sampling) is refused.
    constexpr int kMaxTries = 1 << 20;
    return sample_rows(n, 2, seed, [&](Rng& rng, double* row) {
      for (int t = 0; t < kMaxTries; ++t) {
        draw_mixture(x.data(), row, rng);
        if (std::abs(row[0]) <= kBound && std::abs(row[1]) <= kBound) return;
      }
      throw ValueError(::amor::detail::concat(name(), ".analytic_posterior_samples: x_o = (", x[0], ", ",
                                      x[1], ") is too far outside the prior box [-10, 10]² "
                                      "for rejection sampling"));
    });
  }

 private:
  DistributionPtr prior_;
  SimulatorPtr simulator_;
};

}  // namespace

TaskPtr make_gaussian_mixture(const TaskOptions& options) {
  return std::make_shared<GaussianMixtureTask>(options);
}

}  // namespace amor::sbi::tasks

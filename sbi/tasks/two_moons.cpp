// two_moons (sbibm): θ ~ U(-1, 1)², and x is a noisy half circle shifted by a folded rotation of θ:
//
//   a ~ U(-π/2, π/2),  r ~ N(0.1, 0.01²),  p = (r·cos a + 0.25, r·sin a)
//   x = p + (-|θ1 + θ2| / √2, (-θ1 + θ2) / √2)
//
// The absolute value folds θ onto two mirror images, which gives the posterior its two crescent
// modes. (sbibm writes the shift as a rotation by -π/4: z0 = cos·θ1 - sin·θ2, z1 = sin·θ1 + cos·θ2.)
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>

#include "sbi/tasks/builtin.h"
#include "sbi/tasks/sbibm_task.h"
#include "sbi/tasks/task_support.h"

namespace amor::sbi::tasks {

namespace {

constexpr double kRadiusMean = 0.1;
constexpr double kRadiusStd = 0.01;
constexpr double kCentreOffset = 0.25;

class TwoMoonsSimulator final : public Simulator {
 public:
  int64_t theta_dim() const override { return 2; }
  int64_t x_dim() const override { return 2; }
  // theta: [2] -> x: [2].
  void simulate_one(const double* theta, double* x, Rng& rng) const override {
    const double half_pi = 0.5 * std::numbers::pi;
    const double a = rng.uniform(-half_pi, half_pi);
    const double r = rng.normal(kRadiusMean, kRadiusStd);
    const double inv_sqrt2 = 1.0 / std::numbers::sqrt2;
    x[0] = r * std::cos(a) + kCentreOffset - std::abs(theta[0] + theta[1]) * inv_sqrt2;
    x[1] = r * std::sin(a) + (-theta[0] + theta[1]) * inv_sqrt2;
  }
};

class TwoMoonsTask final : public SbibmTask {
 public:
  explicit TwoMoonsTask(const TaskOptions& options)
      : SbibmTask("two_moons", options),
        prior_(box_uniform({-1.0, -1.0}, {1.0, 1.0})),
        simulator_(std::make_shared<TwoMoonsSimulator>()) {}

  std::string name() const override { return "two_moons"; }
  std::string description() const override {
    return "2-d half-circle noise shifted by a folded rotation of θ; bimodal crescent posterior "
           "(sbibm two_moons)";
  }
  DistributionPtr prior() const override { return prior_; }
  SimulatorPtr simulator() const override { return simulator_; }

  // Both x coordinates depend on both θ, and on each other through the shared angle and
  // radius: x2 <- x1 (the Simformer's base mask for this task has the same edges).
  Tensor dag() const override {
    DagBuilder g(2, 2);
    g.x_on_all_theta(0);
    g.x_on_all_theta(1);
    g.edge(g.x(1), g.x(0));
    return g.build();
  }

  // log p(θ) + log p(x | θ). Undoing the shift leaves the noise point q = p − (0.25, 0) =
  // (r cos a, r sin a); (r, a) ∈ R × (−π/2, π/2) maps one-to-one onto the plane minus the line
  // q1 = 0 (r < 0 gives q1 < 0), with |Jacobian| = |r|. So r = sign(q1)·|q|, a = atan(q2 / q1)
  // and p(x | θ) = N(r; 0.1, 0.01²) · (1/π) / |r|, exact (sbibm keeps only the r > 0 branch,
  // which differs by less than N(0; 0.1, 0.01²), i.e. e^-50).
  bool has_joint_log_density() const override { return true; }
  double joint_log_density_one(const double* row) const override {
    const double lp = prior_->log_prob_one(row);
    if (!std::isfinite(lp)) return lp;
    const double* theta = row;
    const double* x = row + 2;
    const double inv_sqrt2 = 1.0 / std::numbers::sqrt2;
    const double q1 = x[0] - kCentreOffset + std::abs(theta[0] + theta[1]) * inv_sqrt2;
    const double q2 = x[1] - (-theta[0] + theta[1]) * inv_sqrt2;
    const double radius = std::hypot(q1, q2);
    if (!(q1 != 0.0) || !(radius > 0.0)) return -std::numeric_limits<double>::infinity();
    const double r = q1 > 0.0 ? radius : -radius;
    return lp + normal_log_density(r, kRadiusMean, kRadiusStd) - std::log(std::numbers::pi) -
           std::log(radius);
  }

 private:
  DistributionPtr prior_;
  SimulatorPtr simulator_;
};

}  // namespace

TaskPtr make_two_moons(const TaskOptions& options) { return std::make_shared<TwoMoonsTask>(options); }

}  // namespace amor::sbi::tasks

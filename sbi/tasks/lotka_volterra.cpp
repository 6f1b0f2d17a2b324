// sbibm `lotka_volterra` (definition: ../shared/reference/sbi.md, A2; header
// sbi/tasks/lotka_volterra.h).
#include "sbi/tasks/lotka_volterra.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "sbi/ode_solver.h"
#include "sbi/tasks/builtin.h"
#include "sbi/tasks/sbibm_task.h"

namespace amor::sbi::tasks {

bool lotka_volterra_states(const double* theta, double* states) {
  constexpr int m = kLotkaVolterraTimes;
  const double alpha = theta[0], beta = theta[1], gamma = theta[2], delta = theta[3];
  // Save points 2.1 k (the points 21 k of sbibm's 0.1 grid, written as exact decimals), then
  // the end of sbibm's span, t = 20, so the step sequence is the one of the whole solve.
  double t_save[m + 1];
  for (int k = 0; k < m; ++k) t_save[k] = double(kLotkaVolterraStride * k) / 10.0;
  t_save[m] = kLotkaVolterraEnd;
  double u[2 * (m + 1)];
  auto rhs = [=](double, const double* y, double* dy) {
    dy[0] = alpha * y[0] - beta * y[0] * y[1];
    dy[1] = -gamma * y[1] + delta * y[0] * y[1];
  };
  const double u0[2] = {30.0, 1.0};
  bool ok = true;
  for (int i = 0; i < 4; ++i) ok = ok && std::isfinite(theta[i]);
  ok = ok && solve_ode(rhs, 2, 0.0, u0, t_save, m + 1, u).ok();
  for (int k = 0; k < m; ++k) {
    states[k] = ok ? u[2 * k] : std::numeric_limits<double>::quiet_NaN();
    states[m + k] = ok ? u[2 * k + 1] : std::numeric_limits<double>::quiet_NaN();
  }
  return ok;
}

namespace {

class LotkaVolterraSimulator final : public Simulator {
 public:
  int64_t theta_dim() const override { return 4; }
  int64_t x_dim() const override { return 2 * kLotkaVolterraTimes; }
  // theta = (α, β, γ, δ) -> x[20] (prey, then predator); NaN row on a failed solve.
  void simulate_one(const double* theta, double* x, Rng& rng) const override {
    double u[2 * kLotkaVolterraTimes];
    if (!lotka_volterra_states(theta, u)) {
      std::fill(x, x + 2 * kLotkaVolterraTimes, std::numeric_limits<double>::quiet_NaN());
      return;
    }
    for (int i = 0; i < 2 * kLotkaVolterraTimes; ++i) {
      const double level = std::clamp(u[i], kLotkaVolterraClampLow, kLotkaVolterraClampHigh);
      x[i] = rng.lognormal(std::log(level), kLotkaVolterraNoise);
    }
  }
};

class LotkaVolterraTask final : public SbibmTask {
 public:
  explicit LotkaVolterraTask(const TaskOptions& options)
      : SbibmTask("lotka_volterra", options),
        prior_(log_normal({-0.125, -3.0, -0.125, -3.0}, {0.5, 0.5, 0.5, 0.5})),
        simulator_(std::make_shared<LotkaVolterraSimulator>()) {}
  std::string name() const override { return "lotka_volterra"; }
  std::string description() const override {
    return "Lotka–Volterra predator–prey ODE: 4 rates from log-normal noisy prey and predator "
           "counts at 10 times";
  }
  DistributionPtr prior() const override { return prior_; }
  SimulatorPtr simulator() const override { return simulator_; }
  std::vector<std::string> theta_names() const override { return {"alpha", "beta", "gamma", "delta"}; }

 private:
  DistributionPtr prior_;
  SimulatorPtr simulator_;
};

}  // namespace

TaskPtr make_lotka_volterra(const TaskOptions& options) { return std::make_shared<LotkaVolterraTask>(options); }

}  // namespace amor::sbi::tasks

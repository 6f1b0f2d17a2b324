// sbibm `sir` (definition: ../shared/reference/sbi.md, A2; header sbi/tasks/sir.h).
#include "sbi/tasks/sir.h"

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

bool sir_fractions(double beta, double gamma, double* fractions) {
  constexpr double n = kSirPopulation;
  constexpr int m = kSirNumObservations;
  // Save points: the 10 observation days, then sbibm's end of span (day 160), so the step
  // sequence is the one of a solve over the whole span.
  double t_save[m + 1];
  for (int k = 0; k < m; ++k) t_save[k] = double(kSirDayStride * k);
  t_save[m] = kSirDays;
  double states[3 * (m + 1)];
  auto rhs = [beta, gamma](double, const double* u, double* du) {
    const double infection = beta * u[0] * u[1] / n;
    const double recovery = gamma * u[1];
    du[0] = -infection;
    du[1] = infection - recovery;
    du[2] = recovery;
  };
  const double u0[3] = {n - 1.0, 1.0, 0.0};
  const bool ok = std::isfinite(beta) && std::isfinite(gamma) &&
                  solve_ode(rhs, 3, 0.0, u0, t_save, m + 1, states).ok();
  for (int i = 0; i < 3 * m; ++i)
    fractions[i] = ok ? states[i] / n : std::numeric_limits<double>::quiet_NaN();
  return ok;
}

namespace {

class SirSimulator final : public Simulator {
 public:
  int64_t theta_dim() const override { return 2; }
  int64_t x_dim() const override { return kSirNumObservations; }
  // theta = (β, γ) -> x[10]: binomial counts out of 1000; NaN row on a failed solve.
  void simulate_one(const double* theta, double* x, Rng& rng) const override {
    double f[3 * kSirNumObservations];
    if (!sir_fractions(theta[0], theta[1], f)) {
      std::fill(x, x + kSirNumObservations, std::numeric_limits<double>::quiet_NaN());
      return;
    }
    for (int k = 0; k < kSirNumObservations; ++k)  // p = I / N, clamped as sbibm does
      x[k] = double(rng.binomial(kSirTrials, std::clamp(f[3 * k + 1], 0.0, 1.0)));
  }
};

class SirTask final : public SbibmTask {
 public:
  explicit SirTask(const TaskOptions& options)
      : SbibmTask("sir", options),
        prior_(log_normal({std::log(0.4), std::log(0.125)}, {0.5, 0.2})),
        simulator_(std::make_shared<SirSimulator>()) {}
  std::string name() const override { return "sir"; }
  std::string description() const override {
    return "SIR epidemic (N = 1e6, 160 days): contact rate β and recovery rate γ from binomial "
           "samples of the infected fraction at 10 days";
  }
  DistributionPtr prior() const override { return prior_; }
  SimulatorPtr simulator() const override { return simulator_; }
  std::vector<std::string> theta_names() const override { return {"beta", "gamma"}; }

 private:
  DistributionPtr prior_;
  SimulatorPtr simulator_;
};

}  // namespace

TaskPtr make_sir(const TaskOptions& options) { return std::make_shared<SirTask>(options); }

}  // namespace amor::sbi::tasks

// The Simformer's SIRD task with a function-valued contact rate (header sbi/tasks/sird.h).
#include "sbi/tasks/sird.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "sbi/ode_solver.h"
#include "sbi/tasks/builtin.h"
#include "sbi/tasks/task_support.h"
#include "sbi/task.h"
#include "sbi/x_series.h"

namespace amor::sbi::tasks {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kHalfLog2Pi = 0.91893853320467274178;  // 0.5 · log(2π)

// Lower Cholesky factor of the SPD matrix a[n, n] (row-major). The GP matrices here are SPD by
// construction (kernel plus jitter, or a Schur complement of one), so a bad pivot is a bug.
std::vector<double> cholesky(const std::vector<double>& a, size_t n) {
  std::vector<double> l(n * n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j <= i; ++j) {
      double s = a[i * n + j];
      for (size_t k = 0; k < j; ++k) s -= l[i * n + k] * l[j * n + k];
      if (i == j) {
        AMOR_CHECK(s > 0.0, ValueError, "sird: GP covariance not positive definite (pivot ", i, " is ", s, ")");
        l[i * n + i] = std::sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j];
      }
    }
  }
  return l;
}

// Solves L Lᵀ X = B in place for B[n, m] (row-major), L lower [n, n].
void cholesky_solve(const std::vector<double>& l, size_t n, std::vector<double>& b, size_t m) {
  for (size_t c = 0; c < m; ++c) {
    for (size_t i = 0; i < n; ++i) {  // L y = b
      double s = b[i * m + c];
      for (size_t k = 0; k < i; ++k) s -= l[i * n + k] * b[k * m + c];
      b[i * m + c] = s / l[i * n + i];
    }
    for (size_t i = n; i-- > 0;) {  // Lᵀ x = y
      double s = b[i * m + c];
      for (size_t k = i + 1; k < n; ++k) s -= l[k * n + i] * b[k * m + c];
      b[i * m + c] = s / l[i * n + i];
    }
  }
}

double sigmoid(double g) { return g >= 0 ? 1.0 / (1.0 + std::exp(-g)) : std::exp(g) / (1.0 + std::exp(g)); }

}  // namespace

// ---- the model's pieces ---------------------------------------------------------------------

void sird_beta_on_grid(const double* g_grid, double* beta_grid) {
  for (int j = 0; j < kSirdGridPoints; ++j) beta_grid[j] = sigmoid(g_grid[j]);
}

std::vector<double> sird_grid() {
  std::vector<double> t(kSirdGridPoints);
  for (int j = 0; j < kSirdGridPoints; ++j)
    t[size_t(j)] = kSirdStart + (kSirdEnd - kSirdStart) * double(j) / double(kSirdGridPoints - 1);
  return t;
}

std::vector<double> sird_beta_times() {
  const std::vector<double> grid = sird_grid();
  std::vector<double> t(kSirdBetaTokens);
  for (int k = 0; k < kSirdBetaTokens; ++k) t[size_t(k)] = grid[size_t(kSirdBetaGridStride * k)];
  return t;
}

std::vector<double> sird_observation_times() {
  std::vector<double> t(kSirdObservationTimes);
  for (int k = 0; k < kSirdObservationTimes; ++k) t[size_t(k)] = 5.0 * double(k + 1);
  return t;
}

double sird_rbf_kernel(double s, double t) {
  const double r = (s - t) / kSirdLengthScale;
  return kSirdSignalStd * kSirdSignalStd * std::exp(-0.5 * r * r);
}

double interpolate_linear(const double* times, const double* values, int64_t n, double t) {
  if (t <= times[0]) return values[0];
  if (t >= times[n - 1]) return values[n - 1];
  const int64_t hi = std::upper_bound(times, times + n, t) - times;  // times[hi - 1] <= t < times[hi]
  const double w = (t - times[hi - 1]) / (times[hi] - times[hi - 1]);
  return values[hi - 1] + w * (values[hi] - values[hi - 1]);
}

SirdRateGp::SirdRateGp(std::vector<int> given) : given_(std::move(given)) {
  constexpr size_t n = kSirdGridPoints;
  std::vector<bool> seen(n, false);
  for (int g : given_) {
    AMOR_CHECK(g >= 0 && g < kSirdGridPoints, ValueError, "SirdRateGp: grid index ", g, " is outside [0, ",
               kSirdGridPoints, ")");
    AMOR_CHECK(!seen[size_t(g)], ValueError, "SirdRateGp: grid index ", g, " is given twice");
    seen[size_t(g)] = true;
  }
  for (size_t j = 0; j < n; ++j)
    if (!seen[j]) rest_.push_back(int(j));
  const std::vector<double> t = sird_grid();
  auto cov = [&](int a, int b) { return sird_rbf_kernel(t[size_t(a)], t[size_t(b)]) + (a == b ? kSirdJitter : 0.0); };

  std::vector<double> full(n * n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) full[i * n + j] = cov(int(i), int(j));
  full_chol_ = cholesky(full, n);

  const size_t ng = given_.size(), nr = rest_.size();
  given_cov_.resize(ng * ng);
  for (size_t i = 0; i < ng; ++i)
    for (size_t j = 0; j < ng; ++j) given_cov_[i * ng + j] = cov(given_[i], given_[j]);
  if (ng == 0) {
    rest_chol_ = full_chol_;
    return;
  }
  // gain = K_rg K_gg⁻¹, from K_gg X = K_gr (X = gainᵀ, [ng, nr]).
  const std::vector<double> lg = cholesky(given_cov_, ng);
  std::vector<double> x(ng * nr);
  for (size_t i = 0; i < ng; ++i)
    for (size_t r = 0; r < nr; ++r) x[i * nr + r] = cov(given_[i], rest_[r]);
  cholesky_solve(lg, ng, x, nr);
  gain_.resize(nr * ng);
  for (size_t r = 0; r < nr; ++r)
    for (size_t i = 0; i < ng; ++i) gain_[r * ng + i] = x[i * nr + r];
  // Conditional covariance K_rr − K_rg K_gg⁻¹ K_gr: a Schur complement of K + jitter I, so its
  // eigenvalues stay >= the jitter.
  std::vector<double> c(nr * nr);
  for (size_t a = 0; a < nr; ++a)
    for (size_t b = 0; b < nr; ++b) {
      double s = cov(rest_[a], rest_[b]);
      for (size_t i = 0; i < ng; ++i) s -= gain_[a * ng + i] * cov(given_[i], rest_[b]);
      c[a * nr + b] = s;
    }
  for (size_t a = 0; a < nr; ++a)  // symmetrise the rounding
    for (size_t b = 0; b < a; ++b) c[a * nr + b] = c[b * nr + a] = 0.5 * (c[a * nr + b] + c[b * nr + a]);
  rest_chol_ = cholesky(c, nr);
}

void SirdRateGp::sample(Rng& rng, double* g_grid) const {
  constexpr size_t n = kSirdGridPoints;
  double z[n];
  for (size_t i = 0; i < n; ++i) z[i] = rng.normal();
  for (size_t i = 0; i < n; ++i) {
    double s = 0.0;
    for (size_t j = 0; j <= i; ++j) s += full_chol_[i * n + j] * z[j];
    g_grid[i] = s;
  }
}

void SirdRateGp::complete(const double* g_given, Rng& rng, double* g_grid) const {
  const size_t ng = given_.size(), nr = rest_.size();
  std::vector<double> z(nr);
  for (size_t r = 0; r < nr; ++r) z[r] = rng.normal();
  for (size_t i = 0; i < ng; ++i) g_grid[given_[i]] = g_given[i];
  for (size_t r = 0; r < nr; ++r) {
    double s = 0.0;
    for (size_t i = 0; i < ng; ++i) s += gain_[r * ng + i] * g_given[i];
    for (size_t q = 0; q <= r; ++q) s += rest_chol_[r * nr + q] * z[q];
    g_grid[rest_[r]] = s;
  }
}

bool sird_states(double gamma, double delta, const double* beta_grid, double initial_infected,
                 const double* times, int64_t n, double* states) {
  std::fill(states, states + 4 * n, kNaN);
  if (n == 0) return true;
  if (!std::isfinite(gamma) || !std::isfinite(delta) || !std::isfinite(initial_infected)) return false;
  for (int j = 0; j < kSirdGridPoints; ++j)
    if (!std::isfinite(beta_grid[j])) return false;
  for (int64_t k = 0; k < n; ++k)
    if (!std::isfinite(times[k])) return false;
  static const std::vector<double> grid = sird_grid();
  auto rhs = [&](double t, const double* y, double* dy) {
    const double infection = interpolate_linear(grid.data(), beta_grid, kSirdGridPoints, t) * y[0] * y[1];
    dy[0] = -infection;
    dy[1] = infection - (gamma + delta) * y[1];
    dy[2] = gamma * y[1];
    dy[3] = delta * y[1];
  };
  // β is piecewise linear, so the right-hand side has a kink at every grid point; the adaptive
  // solver's error estimate is unreliable across a kink (a 2e-6 error against an exact twin when
  // stepping over them), so the solve restarts at each grid point and sees a smooth β in between.
  for (int64_t k = 1; k < n; ++k)
    if (times[k] < times[k - 1]) return false;
  if (times[0] < kSirdStart) return false;
  double y[4] = {1.0, initial_infected, 0.0, 0.0};
  int64_t next = 0;
  while (next < n && times[next] == kSirdStart) {
    std::copy(y, y + 4, states + 4 * next);
    ++next;
  }
  std::vector<double> t_save, out;
  for (int j = 0; j + 1 < kSirdGridPoints && next < n; ++j) {
    const double a = grid[size_t(j)], b = grid[size_t(j + 1)];
    const bool last = j + 2 == kSirdGridPoints;  // times beyond the grid: β held constant
    t_save.clear();
    int64_t first = next;
    while (next < n && (times[next] <= b || last)) t_save.push_back(times[next++]);
    if (t_save.empty() || t_save.back() < b) t_save.push_back(b);
    out.resize(4 * t_save.size());
    if (!solve_ode(rhs, 4, a, y, t_save.data(), int64_t(t_save.size()), out.data()).ok()) {
      std::fill(states, states + 4 * n, kNaN);
      return false;
    }
    for (int64_t k = first; k < next; ++k) std::copy(&out[size_t(4 * (k - first))], &out[size_t(4 * (k - first) + 4)], states + 4 * k);
    // Carry the state at b (the row of b itself: the last save point) into the next interval.
    std::copy(&out[out.size() - 4], &out[out.size()], y);
    if (last) break;
  }
  return true;
}

double sird_observe(double value, Rng& rng) {
  return std::exp(rng.normal(std::log(value + kSirdLogOffset), kSirdNoise));
}

double sird_observation_log_density(double x, double value) {
  if (!(x > 0.0)) return -kInf;
  const double lx = std::log(x);
  return normal_log_density(lx, std::log(value + kSirdLogOffset), kSirdNoise) - lx;  // d log x / dx = 1/x
}

// ---- the fixed-time task --------------------------------------------------------------------

namespace {

std::vector<int> beta_token_grid_indices() {
  std::vector<int> idx(kSirdBetaTokens);
  for (int k = 0; k < kSirdBetaTokens; ++k) idx[size_t(k)] = kSirdBetaGridStride * k;
  return idx;
}

// θ = (γ, δ, β(t_1), ..., β(t_10)): γ, δ ~ U(0, 0.5), β = sigmoid(g) with g ~ N(0, K_gg) at the
// token times.
class SirdPrior final : public Distribution {
 public:
  explicit SirdPrior(const SirdRateGp& gp) : chol_(cholesky(gp.given_covariance(), kSirdBetaTokens)) {
    for (int i = 0; i < kSirdBetaTokens; ++i) log_norm_ -= std::log(chol_[size_t(i * kSirdBetaTokens + i)]) + kHalfLog2Pi;
  }
  std::string name() const override { return "sird_prior"; }
  int64_t dim() const override { return 2 + kSirdBetaTokens; }
  void sample_one(Rng& rng, double* out) const override {
    constexpr int m = kSirdBetaTokens;
    out[0] = rng.uniform(0.0, kSirdMaxRate);
    out[1] = rng.uniform(0.0, kSirdMaxRate);
    double z[m];
    for (int i = 0; i < m; ++i) z[i] = rng.normal();
    for (int i = 0; i < m; ++i) {
      double g = 0.0;
      for (int j = 0; j <= i; ++j) g += chol_[size_t(i * m + j)] * z[j];
      out[2 + i] = sigmoid(g);
    }
  }
  // log U(γ) + log U(δ) + log N(logit β; 0, K_gg) − Σ log(β (1 − β)) (the logit's Jacobian).
  double log_prob_one(const double* x) const override {
    constexpr int m = kSirdBetaTokens;
    for (int i = 0; i < 2; ++i)
      if (!(x[i] >= 0.0 && x[i] <= kSirdMaxRate)) return -kInf;
    double y[m], q = 0.0, jac = 0.0;
    for (int i = 0; i < m; ++i) {
      const double b = x[2 + i];
      if (!(b > 0.0 && b < 1.0)) return -kInf;
      double r = std::log(b) - std::log1p(-b);
      for (int j = 0; j < i; ++j) r -= chol_[size_t(i * m + j)] * y[j];
      y[i] = r / chol_[size_t(i * m + i)];
      q += y[i] * y[i];
      jac -= std::log(b) + std::log1p(-b);
    }
    return -2.0 * std::log(kSirdMaxRate) + log_norm_ - 0.5 * q + jac;
  }
  Support support() const override {
    Support s;
    s.lower.assign(size_t(dim()), 0.0);
    s.upper.assign(size_t(dim()), 1.0);
    s.upper[0] = s.upper[1] = kSirdMaxRate;
    return s;
  }

 private:
  std::vector<double> chol_;  // [10, 10]
  double log_norm_ = 0.0;
};

// θ[12] -> x[30] = (I, R, D) at the 10 observation times, each block in time order. Draws I₀ and
// the rest of the logit-β grid given the 10 token values (so the nuisances are integrated out
// exactly), solves, adds the log-normal noise. NaN row when a β token is outside (0, 1) or the
// solve failed.
class SirdSimulator final : public Simulator {
 public:
  explicit SirdSimulator(std::shared_ptr<const SirdRateGp> gp)
      : gp_(std::move(gp)), times_(sird_observation_times()) {}
  int64_t theta_dim() const override { return 2 + kSirdBetaTokens; }
  int64_t x_dim() const override { return 3 * kSirdObservationTimes; }
  void simulate_one(const double* theta, double* x, Rng& rng) const override {
    constexpr int m = kSirdObservationTimes;
    std::fill(x, x + 3 * m, kNaN);
    double g_given[kSirdBetaTokens];
    for (int k = 0; k < kSirdBetaTokens; ++k) {
      const double b = theta[2 + k];
      if (!(b > 0.0 && b < 1.0)) return;
      g_given[k] = std::log(b) - std::log1p(-b);
    }
    const double i0 = rng.uniform(0.0, kSirdMaxInitialInfected);
    double g[kSirdGridPoints], beta[kSirdGridPoints];
    gp_->complete(g_given, rng, g);
    sird_beta_on_grid(g, beta);
    double states[4 * m];
    if (!sird_states(theta[0], theta[1], beta, i0, times_.data(), m, states)) return;
    for (int c = 0; c < 3; ++c)  // I, R, D are columns 1, 2, 3 of the state
      for (int k = 0; k < m; ++k) x[c * m + k] = sird_observe(std::max(states[4 * k + 1 + c], 0.0), rng);
  }

 private:
  std::shared_ptr<const SirdRateGp> gp_;
  std::vector<double> times_;
};

class SirdTask final : public Task, public XSeriesLayout {
 public:
  SirdTask()
      : gp_(std::make_shared<SirdRateGp>(beta_token_grid_indices())),
        prior_(std::make_shared<SirdPrior>(*gp_)),
        simulator_(std::make_shared<SirdSimulator>(gp_)) {}
  std::string name() const override { return "sird"; }
  std::string description() const override {
    return "Simformer SIRD with a time-varying contact rate: γ, δ and β(t) at t = 50k/9 (k = 0..9) from "
           "log-normal I, R, D at t = 5, 10, ..., 50 (I₀ a nuisance)";
  }
  DistributionPtr prior() const override { return prior_; }
  SimulatorPtr simulator() const override { return simulator_; }
  std::vector<std::string> theta_names() const override {
    std::vector<std::string> names = {"gamma", "delta"};
    for (const std::string& b : numbered_names("beta_", kSirdBetaTokens)) names.push_back(b);
    return names;
  }
  std::vector<std::string> x_names() const override {
    std::vector<std::string> names;
    for (const char* c : {"I_", "R_", "D_"})
      for (const std::string& n : numbered_names(c, kSirdObservationTimes)) names.push_back(n);
    return names;
  }
  std::vector<XSeries> x_series() const override {
    const std::vector<double> t = sird_observation_times();
    std::vector<XSeries> series;
    const char* names[3] = {"I (infected)", "R (recovered)", "D (deceased)"};
    for (int c = 0; c < 3; ++c) {
      XSeries s{names[c], t, {}};
      for (int k = 0; k < kSirdObservationTimes; ++k) s.columns.push_back(c * kSirdObservationTimes + k);
      series.push_back(std::move(s));
    }
    return series;
  }
  // γ, δ and the β tokens are independent a priori; the β tokens are jointly Gaussian with no
  // Markov structure (β_k <- every earlier β); every x depends on all of θ, and I₀ and the unseen
  // grid values, integrated out, couple every x with every other (x_i <- every earlier x).
  Tensor dag() const override {
    const int64_t dt = theta_dim(), t = dt + x_dim();
    Tensor g = zeros({t, t}, {.dtype = DType::Bool});
    auto* m = g.data<bool>();
    for (int64_t i = 3; i < dt; ++i)
      for (int64_t j = 2; j < i; ++j) m[i * t + j] = true;
    for (int64_t i = dt; i < t; ++i)
      for (int64_t j = 0; j < i; ++j) m[i * t + j] = true;
    return g;
  }

 private:
  std::shared_ptr<const SirdRateGp> gp_;
  DistributionPtr prior_;
  SimulatorPtr simulator_;
};

}  // namespace

TaskPtr make_sird(const TaskOptions& /*options*/) { return std::make_shared<SirdTask>(); }

}  // namespace amor::sbi::tasks

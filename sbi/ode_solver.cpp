#include "sbi/ode_solver.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "core/error.h"

namespace amor::sbi {

namespace {

// Tsit5 tableau (Tsitouras 2011, Table 1). Stage i (0-based) is evaluated at t + c[i]·h from
// y + h·Σ_j a[i][j]·k[j]. Row 6 of `a` equals b (FSAL: k[6] = f(t + h, y_new) is the next k[0]).
constexpr double c[7] = {0.0, 0.161, 0.327, 0.9, 0.9800255409045097, 1.0, 1.0};
constexpr double a[7][6] = {
    {0, 0, 0, 0, 0, 0},
    {0.161, 0, 0, 0, 0, 0},
    {-0.008480655492356989, 0.335480655492357, 0, 0, 0, 0},
    {2.8971530571054935, -6.359448489975075, 4.3622954328695815, 0, 0, 0},
    {5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525, 0, 0},
    {5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401,
     -0.028269050394068383, 0},
    {0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081,
     2.324710524099774},
};
// Error weights: (5th-order b) − (embedded 4th-order b̂), over the 7 stages. The paper prints
// the last one with the wrong sign; −1/66 is the value that makes the weights sum to zero.
constexpr double e[7] = {0.00178001105222577714, 0.0008164344596567469, -0.007880878010261995,
                         0.1447110071732629,     -0.5823571654525552,   0.45808210592918697,
                         -1.0 / 66.0};
// Dense output: y(t + θh) = y + h·Σ_i b_i(θ)·k_i with b_i(θ) = Σ_p d[i][p]·θ^(p+1), p = 0..3.
// b_i(1) = b_i (row 6 of a, and 0 for stage 7); the interpolant is 4th-order accurate.
constexpr double d[7][4] = {
    {1.0, -2.763706197274826, 2.9132554618219126, -1.0530884977290216},
    {0.0, 0.13169999999999998, -0.2234, 0.1017},
    {0.0, 3.930296236894751, -5.941033872131505, 2.490627285651253},
    {0.0, -12.411077166933676, 30.338188630282318, -16.548102889244902},
    {0.0, 37.50931341651104, -88.1789048947664, 47.37952196281928},
    {0.0, -27.896526289197286, 65.09189467479368, -34.87065786149661},
    {0.0, 1.5, -4.0, 2.5},
};

// PI controller (OrdinaryDiffEq's defaults for a 5th-order method).
constexpr double kBeta1 = 0.7 / 5.0;   // exponent on the current error
constexpr double kBeta2 = 0.4 / 5.0;   // exponent on the previous accepted error
constexpr double kSafety = 0.9;
constexpr double kMaxGrowth = 10.0;
constexpr double kMaxShrink = 5.0;
constexpr double kMinPreviousError = 1e-4;
// Shrink factor after a step whose stages were non-finite (no usable error estimate).
constexpr double kNonFiniteShrink = 0.2;

bool all_finite(const double* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) return false;
  return true;
}

// RMS norm of v / (atol + rtol·max(|u|, |w|)).
double scaled_rms(const double* v, const double* u, const double* w, int64_t n, double atol,
                  double rtol) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double scale = atol + rtol * std::max(std::abs(u[i]), std::abs(w[i]));
    const double r = v[i] / scale;
    sum += r * r;
  }
  return std::sqrt(sum / static_cast<double>(n));
}

void validate(int64_t dim, double t0, const double* y0, const double* t_save, int64_t n_save,
              const double* y_save, const OdeOptions& o) {
  AMOR_CHECK(dim >= 1, ValueError, "solve_ode: dim must be >= 1, got ", dim);
  AMOR_CHECK(n_save >= 1, ValueError, "solve_ode: need at least one save point, got ", n_save);
  AMOR_CHECK(y0 != nullptr && t_save != nullptr && y_save != nullptr, ValueError,
             "solve_ode: null y0, t_save or y_save");
  AMOR_CHECK(std::isfinite(t0), ValueError, "solve_ode: t0 must be finite, got ", t0);
  for (int64_t i = 0; i < n_save; ++i) {
    AMOR_CHECK(std::isfinite(t_save[i]), ValueError, "solve_ode: t_save[", i,
               "] is not finite (", t_save[i], ")");
    AMOR_CHECK(t_save[i] >= (i == 0 ? t0 : t_save[i - 1]), ValueError, "solve_ode: t_save[", i,
               "] = ", t_save[i], " is before ", (i == 0 ? "t0 = " : "the previous save point "),
               (i == 0 ? t0 : t_save[i - 1]), " (save points must be non-decreasing, >= t0)");
  }
  AMOR_CHECK(o.rtol >= 0.0 && o.atol >= 0.0 && o.rtol + o.atol > 0.0 && std::isfinite(o.rtol) &&
                 std::isfinite(o.atol),
             ValueError, "solve_ode: tolerances must be finite, >= 0 and not both 0; got rtol = ",
             o.rtol, ", atol = ", o.atol);
  AMOR_CHECK(o.max_steps >= 1, ValueError, "solve_ode: max_steps must be >= 1, got ",
             o.max_steps);
  AMOR_CHECK(o.initial_step >= 0.0 && std::isfinite(o.initial_step), ValueError,
             "solve_ode: initial_step must be finite and >= 0 (0: automatic), got ",
             o.initial_step);
  AMOR_CHECK(o.max_step >= 0.0 && std::isfinite(o.max_step), ValueError,
             "solve_ode: max_step must be finite and >= 0 (0: unlimited), got ", o.max_step);
  AMOR_CHECK(o.fixed_step >= 0.0 && std::isfinite(o.fixed_step), ValueError,
             "solve_ode: fixed_step must be finite and >= 0 (0: adaptive), got ", o.fixed_step);
}

// Working arrays of one solve, each [dim].
struct Work {
  double* k[7];
  double* y;
  double* y_new;
  double* stage;  // stage input, then the error vector
};

class Tsit5Solver {
 public:
  Tsit5Solver(OdeRhsRef rhs, int64_t dim, const OdeOptions& options, Work w)
      : rhs_(rhs), n_(dim), o_(options), w_(w) {}

  OdeResult run(double t0, const double* y0, const double* t_save, int64_t n_save,
                double* y_save);

 private:
  void eval(double t, const double* y, double* dydt) {
    rhs_(t, y, dydt);
    ++result_.rhs_evaluations;
  }
  double initial_step(double t0, double span);
  // One step of size h from (t, y): stages k[1..6], y_new, k[6] = f(t + h, y_new) and, unless
  // `fixed`, the error vector in w_.stage. Returns the scaled error norm (NaN if non-finite).
  double attempt(double t, double h, bool fixed);
  // Writes the dense-output state at θ ∈ [0, 1] of the step of size h to out[dim].
  void interpolate(double theta, double h, double* out) const;

  OdeRhsRef rhs_;
  int64_t n_;
  const OdeOptions& o_;
  Work w_;
  OdeResult result_;
};

double Tsit5Solver::initial_step(double t0, double span) {
  // Hairer, Nørsett & Wanner, Solving ODEs I, §II.4: make the first step's Euler error ~0.01 of
  // the tolerance, then correct with an estimate of the second derivative.
  const double* y0 = w_.y;
  const double* f0 = w_.k[0];
  const double d0 = scaled_rms(y0, y0, y0, n_, o_.atol, o_.rtol);
  const double d1 = scaled_rms(f0, y0, y0, n_, o_.atol, o_.rtol);
  double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
  h0 = std::min(h0, span);
  double* y1 = w_.stage;
  double* f1 = w_.y_new;  // scratch; overwritten by the first step
  for (int64_t i = 0; i < n_; ++i) y1[i] = y0[i] + h0 * f0[i];
  eval(t0 + h0, y1, f1);
  for (int64_t i = 0; i < n_; ++i) y1[i] = (f1[i] - f0[i]) / h0;
  const double d2 = scaled_rms(y1, y0, y0, n_, o_.atol, o_.rtol);
  const double dmax = std::max(d1, d2);
  const double h1 = (!(dmax > 1e-15)) ? std::max(1e-6, h0 * 1e-3) : std::pow(0.01 / dmax, 0.2);
  double h = std::min(100.0 * h0, h1);
  if (!(h > 0.0) || !std::isfinite(h)) h = h0;  // NaN from a non-finite f(t0 + h0): fall back
  return std::min(h, span);
}

double Tsit5Solver::attempt(double t, double h, bool fixed) {
  double* s = w_.stage;
  for (int stage = 1; stage < 7; ++stage) {
    double* out = (stage == 6) ? w_.y_new : s;
    for (int64_t i = 0; i < n_; ++i) {
      double acc = 0.0;
      for (int j = 0; j < stage; ++j) acc += a[stage][j] * w_.k[j][i];
      out[i] = w_.y[i] + h * acc;
    }
    eval(t + c[stage] * h, out, w_.k[stage]);
  }
  if (fixed) return all_finite(w_.y_new, n_) && all_finite(w_.k[6], n_) ? 0.0 : NAN;
  for (int64_t i = 0; i < n_; ++i) {
    double acc = 0.0;
    for (int j = 0; j < 7; ++j) acc += e[j] * w_.k[j][i];
    s[i] = h * acc;
  }
  if (!all_finite(w_.y_new, n_)) return NAN;
  return scaled_rms(s, w_.y, w_.y_new, n_, o_.atol, o_.rtol);
}

void Tsit5Solver::interpolate(double theta, double h, double* out) const {
  double bt[7];
  for (int j = 0; j < 7; ++j)
    bt[j] = theta * (d[j][0] + theta * (d[j][1] + theta * (d[j][2] + theta * d[j][3])));
  for (int64_t i = 0; i < n_; ++i) {
    double acc = 0.0;
    for (int j = 0; j < 7; ++j) acc += bt[j] * w_.k[j][i];
    out[i] = w_.y[i] + h * acc;
  }
}

OdeResult Tsit5Solver::run(double t0, const double* y0, const double* t_save, int64_t n_save,
                           double* y_save) {
  std::fill(y_save, y_save + n_save * n_, std::numeric_limits<double>::quiet_NaN());
  result_.t_reached = t0;
  std::copy(y0, y0 + n_, w_.y);
  int64_t next = 0;  // next save point to write
  auto save_current = [&](double t) {
    while (next < n_save && t_save[next] == t) {
      std::copy(w_.y, w_.y + n_, y_save + next * n_);
      ++next;
    }
  };
  save_current(t0);
  result_.saved = next;
  if (next == n_save) return result_;

  if (!all_finite(w_.y, n_)) {
    result_.status = OdeStatus::NonFiniteState;
    return result_;
  }
  eval(t0, w_.y, w_.k[0]);
  if (!all_finite(w_.k[0], n_)) {
    result_.status = OdeStatus::NonFiniteState;
    return result_;
  }

  const double t_end = t_save[n_save - 1];
  const double span = t_end - t0;
  const bool fixed = o_.fixed_step > 0.0;
  const double max_step = o_.max_step > 0.0 ? std::min(o_.max_step, span) : span;
  double h = fixed ? o_.fixed_step
                   : (o_.initial_step > 0.0 ? o_.initial_step : initial_step(t0, span));
  h = std::min(h, max_step);
  double previous_error_pow = std::pow(kMinPreviousError, kBeta2);  // err_prev^β2
  bool rejected_last = false;  // no growth right after a rejection (Hairer's rule)
  bool nonfinite_last = false;
  double t = t0;

  while (true) {
    if (result_.accepted_steps + result_.rejected_steps >= o_.max_steps) {
      result_.status = OdeStatus::MaxStepsExceeded;
      break;
    }
    // Land exactly on t_end; stretch a step that would leave a sliver of < 1 % behind.
    bool last = false;
    if (t + 1.01 * h >= t_end) {
      h = t_end - t;
      last = true;
    }
    // Underflow: the step no longer changes t by more than a few ulps.
    if (!(h > 8.0 * std::numeric_limits<double>::epsilon() * std::abs(t)) || !(h > 0.0)) {
      result_.status = nonfinite_last ? OdeStatus::NonFiniteState : OdeStatus::StepSizeUnderflow;
      break;
    }
    const double err = attempt(t, h, fixed);
    if (fixed) {
      if (std::isnan(err)) {
        result_.status = OdeStatus::NonFiniteState;
        break;
      }
    } else if (!(err <= 1.0)) {  // rejected (NaN included)
      ++result_.rejected_steps;
      nonfinite_last = std::isnan(err);
      const double shrink =
          nonfinite_last ? kNonFiniteShrink
                         : 1.0 / std::min(kMaxShrink, std::pow(err, kBeta1) / kSafety);
      h *= shrink;
      rejected_last = true;
      continue;
    }

    // Accepted: save the points in (t, t_new] from the dense output, then advance.
    const double t_new = last ? t_end : t + h;
    while (next < n_save && t_save[next] <= t_new) {
      double* row = y_save + next * n_;
      if (t_save[next] == t_new)
        std::copy(w_.y_new, w_.y_new + n_, row);
      else
        interpolate((t_save[next] - t) / h, h, row);
      ++next;
    }
    result_.saved = next;
    ++result_.accepted_steps;
    std::swap(w_.y, w_.y_new);
    std::swap(w_.k[0], w_.k[6]);  // FSAL
    t = t_new;
    result_.t_reached = t;
    nonfinite_last = false;
    if (last || next == n_save) break;

    if (!fixed) {
      // PI step: h_new = h · safety / (err^β1 / err_prev^β2), within [h / 5, 10 h].
      const double e_now = std::max(err, 1e-300);
      double q = std::pow(e_now, kBeta1) / previous_error_pow / kSafety;
      q = std::clamp(q, 1.0 / kMaxGrowth, kMaxShrink);
      double h_new = h / q;
      if (rejected_last) h_new = std::min(h_new, h);
      h = std::min(h_new, max_step);
      previous_error_pow = std::pow(std::max(err, kMinPreviousError), kBeta2);
      rejected_last = false;
    }
  }
  return result_;
}

}  // namespace

const char* to_string(OdeStatus status) {
  switch (status) {
    case OdeStatus::Success: return "success";
    case OdeStatus::MaxStepsExceeded: return "maximum number of steps exceeded";
    case OdeStatus::StepSizeUnderflow: return "step size underflow";
    case OdeStatus::NonFiniteState: return "non-finite state";
  }
  return "unknown";
}

OdeResult solve_ode(OdeRhsRef rhs, int64_t dim, double t0, const double* y0,
                    const double* t_save, int64_t n_save, double* y_save,
                    const OdeOptions& options) {
  validate(dim, t0, y0, t_save, n_save, y_save, options);
  constexpr int kArrays = 10;  // k[0..6], y, y_new, stage
  double inline_buffer[kArrays * kOdeInlineDim];
  std::unique_ptr<double[]> heap;
  double* buffer = inline_buffer;
  if (dim > kOdeInlineDim) {
    heap = std::make_unique<double[]>(static_cast<size_t>(kArrays * dim));
    buffer = heap.get();
  }
  Work w{};
  for (int j = 0; j < 7; ++j) w.k[j] = buffer + j * dim;
  w.y = buffer + 7 * dim;
  w.y_new = buffer + 8 * dim;
  w.stage = buffer + 9 * dim;
  Tsit5Solver solver(rhs, dim, options, w);
  return solver.run(t0, y0, t_save, n_save, y_save);
}

}  // namespace amor::sbi

#include "sbi/diagnostics/conditional_reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "core/error.h"
#include "sbi/parallel.h"
#include "sbi/rng.h"
#include "sbi/simulator.h"

namespace amor::sbi {

void ConditionalReferenceOptions::validate() const {
  const char* who = "conditional reference sampler";
  AMOR_CHECK(num_particles >= 0, ValueError, who, ": num_particles must be >= 0, got ", num_particles);
  AMOR_CHECK(ess_fraction > 0 && ess_fraction < 1, ValueError, who, ": ess_fraction must be in (0, 1), got ",
             ess_fraction);
  AMOR_CHECK(moves_per_stage >= 1, ValueError, who, ": moves_per_stage must be >= 1, got ", moves_per_stage);
  AMOR_CHECK(final_moves >= 0, ValueError, who, ": final_moves must be >= 0, got ", final_moves);
  AMOR_CHECK(max_stages >= 1, ValueError, who, ": max_stages must be >= 1, got ", max_stages);
  AMOR_CHECK(base_simulations >= 10, ValueError, who, ": base_simulations must be >= 10, got ", base_simulations);
  AMOR_CHECK(std::isfinite(base_inflation) && base_inflation > 0, ValueError, who,
             ": base_inflation must be positive and finite, got ", base_inflation);
  AMOR_CHECK(std::isfinite(slice_width) && slice_width > 0, ValueError, who,
             ": slice_width must be positive and finite, got ", slice_width);
  AMOR_CHECK(max_step_out >= 1, ValueError, who, ": max_step_out must be >= 1, got ", max_step_out);
  AMOR_CHECK(max_shrink >= 1, ValueError, who, ": max_shrink must be >= 1, got ", max_shrink);
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kHalfLog2Pi = 0.91893853320467274178;
constexpr int64_t kMaxBaseTries = 10000;  // base draws per particle before the support is given up

// Lower Cholesky factor of a symmetric [d, d] matrix; false when it is not positive definite.
bool cholesky(const std::vector<double>& a, int64_t d, std::vector<double>& l) {
  l.assign(size_t(d * d), 0.0);
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double s = a[size_t(i * d + j)];
      for (int64_t k = 0; k < j; ++k) s -= l[size_t(i * d + k)] * l[size_t(j * d + k)];
      if (i == j) {
        if (!(s > 0) || !std::isfinite(s)) return false;
        l[size_t(i * d + i)] = std::sqrt(s);
      } else {
        l[size_t(i * d + j)] = s / l[size_t(j * d + j)];
      }
    }
  return true;
}

// Everything the per-particle work reads: the latent layout, the target and the base.
struct Problem {
  const JointRowLogDensity* log_density = nullptr;
  int64_t t = 0;                   // joint entries
  std::vector<int64_t> latent;     // latent entry indices, ascending
  std::vector<double> template_row;  // [T], observed entries filled in
  std::vector<double> lower, upper;  // [L] support of the latent entries
  std::vector<double> base_mean;     // [L]
  std::vector<double> base_chol;     // [L, L] lower
  double base_log_norm = 0;          // −Σ log L_ii − L/2 log 2π

  int64_t dim() const { return int64_t(latent.size()); }

  bool inside(const double* z) const {
    for (size_t j = 0; j < latent.size(); ++j)
      if (!(z[j] >= lower[j] && z[j] <= upper[j])) return false;
    return true;
  }
  // log q(z), −inf outside the support (the truncation's normaliser is left out).
  double log_base(const double* z, std::vector<double>& scratch) const {
    if (!inside(z)) return -kInf;
    const int64_t d = dim();
    scratch.resize(size_t(d));
    double q = 0;
    for (int64_t i = 0; i < d; ++i) {
      double r = z[i] - base_mean[size_t(i)];
      for (int64_t k = 0; k < i; ++k) r -= base_chol[size_t(i * d + k)] * scratch[size_t(k)];
      scratch[size_t(i)] = r / base_chol[size_t(i * d + i)];
      q += scratch[size_t(i)] * scratch[size_t(i)];
    }
    return base_log_norm - 0.5 * q;
  }
  double log_target(const double* z, std::vector<double>& row) const {
    if (!inside(z)) return -kInf;
    row = template_row;
    for (size_t j = 0; j < latent.size(); ++j) row[size_t(latent[j])] = z[j];
    const double v = (*log_density)(row.data());
    return std::isnan(v) ? -kInf : v;
  }
};

double tempered(double lq, double lp, double beta) {
  if (beta >= 1) return lp;
  if (lq == -kInf || lp == -kInf) return -kInf;
  return (1 - beta) * lq + beta * lp;
}

// One particle: its latent values and the two log densities there.
struct Particles {
  int64_t n = 0, d = 0;
  std::vector<double> z;       // [n, d]
  std::vector<double> lq, lp;  // [n]
};

// Effective sample size of weights exp(step · delta_i) (−inf deltas weigh 0).
double ess(const std::vector<double>& delta, double step) {
  double mx = -kInf;
  for (double v : delta)
    if (v != -kInf) mx = std::max(mx, step * v);
  if (mx == -kInf) return 0;
  double s = 0, s2 = 0;
  for (double v : delta) {
    if (v == -kInf) continue;
    const double w = std::exp(step * v - mx);
    s += w, s2 += w * w;
  }
  return s * s / s2;
}

// The kernel of one stage: a fixed random-walk covariance and slice widths, and β.
struct Kernel {
  double beta = 0;
  std::vector<double> rw_chol;  // [d, d]
  std::vector<double> widths;   // [d]
};

struct MoveCounts {
  int64_t accepted = 0, proposed = 0, evaluations = 0;
};

// `moves` moves of particle i (random-walk Metropolis then a slice sweep) leaving π_β invariant.
MoveCounts move_particle(const Problem& pb, const Kernel& k, const ConditionalReferenceOptions& o, int64_t moves,
                         Rng& rng, double* z, double& lq, double& lp) {
  const int64_t d = pb.dim();
  MoveCounts c;
  std::vector<double> row, scratch, prop(static_cast<size_t>(d)), eps(static_cast<size_t>(d));
  auto eval = [&](const double* x, double& q, double& p) {
    q = pb.log_base(x, scratch);
    p = q == -kInf ? -kInf : pb.log_target(x, row);
    ++c.evaluations;
    return tempered(q, p, k.beta);
  };
  double f = tempered(lq, lp, k.beta);
  for (int64_t m = 0; m < moves; ++m) {
    // Random-walk Metropolis with the population covariance.
    for (int64_t j = 0; j < d; ++j) eps[size_t(j)] = rng.normal();
    for (int64_t i = 0; i < d; ++i) {
      double s = z[i];
      for (int64_t j = 0; j <= i; ++j) s += k.rw_chol[size_t(i * d + j)] * eps[size_t(j)];
      prop[size_t(i)] = s;
    }
    double q2 = 0, p2 = 0;
    const double f2 = eval(prop.data(), q2, p2);
    ++c.proposed;
    const double log_u = std::log(1.0 - rng.uniform());  // log U, U in (0, 1]
    if (f2 != -kInf && log_u < f2 - f) {
      std::copy(prop.begin(), prop.end(), z);
      lq = q2, lp = p2, f = f2;
      ++c.accepted;
    }
    // One sweep of univariate slice sampling, coordinates in order.
    for (int64_t j = 0; j < d; ++j) {
      const double x0 = z[j], w = k.widths[size_t(j)];
      const double level = f + std::log(1.0 - rng.uniform());
      double left = x0 - w * rng.uniform(), right = left + w;
      int64_t steps_left = int64_t(std::floor(double(o.max_step_out) * rng.uniform()));
      int64_t steps_right = o.max_step_out - 1 - steps_left;
      double q1 = 0, p1 = 0;
      auto at = [&](double v) {
        z[j] = v;
        const double r = eval(z, q1, p1);
        z[j] = x0;
        return r;
      };
      while (steps_left > 0 && at(left) > level) left -= w, --steps_left;
      while (steps_right > 0 && at(right) > level) right += w, --steps_right;
      for (int64_t s = 0; s < o.max_shrink; ++s) {
        const double v = left + (right - left) * rng.uniform();
        const double fv = at(v);
        if (fv > level) {
          z[j] = v, lq = q1, lp = p1, f = fv;
          break;
        }
        if (v < x0) left = v;
        else right = v;
      }
    }
  }
  return c;
}

// The stage's kernel from the (equally weighted) particles: covariance · scale · 2.38²/d for the
// random walk, slice_width · std per coordinate for the slices.
Kernel make_kernel(const Particles& ps, double beta, double rw_scale, const ConditionalReferenceOptions& o) {
  const int64_t n = ps.n, d = ps.d;
  Kernel k;
  k.beta = beta;
  std::vector<double> mean(size_t(d), 0.0), cov(size_t(d * d), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) mean[size_t(j)] += ps.z[size_t(i * d + j)];
  for (double& m : mean) m /= double(n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t a = 0; a < d; ++a) {
      const double da = ps.z[size_t(i * d + a)] - mean[size_t(a)];
      for (int64_t b = 0; b <= a; ++b) cov[size_t(a * d + b)] += da * (ps.z[size_t(i * d + b)] - mean[size_t(b)]);
    }
  double trace = 0;
  for (int64_t a = 0; a < d; ++a) {
    for (int64_t b = 0; b <= a; ++b) {
      cov[size_t(a * d + b)] /= double(std::max<int64_t>(n - 1, 1));
      cov[size_t(b * d + a)] = cov[size_t(a * d + b)];
    }
    trace += cov[size_t(a * d + a)];
  }
  // A collapsed population (all particles identical) still needs a kernel that moves.
  const double floor_var = std::max(1e-12, 1e-10 * trace / double(d));
  k.widths.resize(size_t(d));
  for (int64_t a = 0; a < d; ++a) {
    cov[size_t(a * d + a)] = std::max(cov[size_t(a * d + a)], floor_var);
    k.widths[size_t(a)] = o.slice_width * std::sqrt(cov[size_t(a * d + a)]);
  }
  const double s2 = rw_scale * rw_scale * 2.38 * 2.38 / double(d);
  std::vector<double> scaled(cov);
  for (double& v : scaled) v *= s2;
  double jitter = floor_var * s2;
  while (!cholesky(scaled, d, k.rw_chol)) {
    for (int64_t a = 0; a < d; ++a) scaled[size_t(a * d + a)] += jitter;
    jitter *= 10;
  }
  return k;
}

// Runs `moves` moves on every particle (in parallel; particle i uses Rng(seed, move stream,
// stage · N + i)) and returns the summed counts.
MoveCounts move_all(const Problem& pb, Particles& ps, const Kernel& k, const ConditionalReferenceOptions& o,
                    int64_t moves, uint64_t seed, int64_t stage) {
  const int64_t n = ps.n, d = ps.d;
  std::vector<MoveCounts> counts(static_cast<size_t>(n));
  parallel_rows(n, o.num_threads, n > 1, [&](int64_t i) {
    Rng rng(seed, kReferenceMoveStream, uint64_t(stage) * uint64_t(n) + uint64_t(i));
    counts[size_t(i)] = move_particle(pb, k, o, moves, rng, ps.z.data() + i * d, ps.lq[size_t(i)], ps.lp[size_t(i)]);
  });
  MoveCounts total;
  for (const MoveCounts& c : counts) {
    total.accepted += c.accepted, total.proposed += c.proposed, total.evaluations += c.evaluations;
  }
  return total;
}

// Systematic resampling with weights exp(step · delta_i).
void resample(Particles& ps, const std::vector<double>& delta, double step, uint64_t seed, int64_t stage) {
  const int64_t n = ps.n, d = ps.d;
  double mx = -kInf;
  for (double v : delta)
    if (v != -kInf) mx = std::max(mx, step * v);
  std::vector<double> cum(static_cast<size_t>(n));
  double s = 0;
  for (int64_t i = 0; i < n; ++i) {
    s += delta[size_t(i)] == -kInf ? 0.0 : std::exp(step * delta[size_t(i)] - mx);
    cum[size_t(i)] = s;
  }
  Rng rng(seed, kReferenceResampleStream, uint64_t(stage));
  const double u0 = rng.uniform();
  Particles out;
  out.n = n, out.d = d;
  out.z.resize(ps.z.size()), out.lq.resize(size_t(n)), out.lp.resize(size_t(n));
  int64_t src = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double u = (u0 + double(i)) / double(n) * s;
    while (src < n - 1 && (cum[size_t(src)] <= u || delta[size_t(src)] == -kInf)) ++src;
    std::copy(ps.z.begin() + src * d, ps.z.begin() + (src + 1) * d, out.z.begin() + i * d);
    out.lq[size_t(i)] = ps.lq[size_t(src)], out.lp[size_t(i)] = ps.lp[size_t(src)];
  }
  ps = std::move(out);
}

// The largest step (≤ 1 − β) keeping ESS at ess_fraction · (the ESS of an infinitesimal step,
// i.e. the number of particles where the target is finite).
double next_step(const std::vector<double>& delta, double max_step, double ess_fraction) {
  const double limit = ess(delta, 0.0);
  const double goal = ess_fraction * limit;
  if (ess(delta, max_step) >= goal) return max_step;
  double lo = 0, hi = max_step;
  for (int it = 0; it < 60; ++it) {
    const double mid = 0.5 * (lo + hi);
    (ess(delta, mid) >= goal ? lo : hi) = mid;
  }
  return std::max(lo, 1e-12 * max_step);
}

}  // namespace

Tensor conditional_reference_samples(const JointRowLogDensity& log_density, int64_t num_variables,
                                     const std::vector<std::pair<int64_t, double>>& observed,
                                     const GaussianBase& base, const Support& support, int64_t n,
                                     uint64_t seed, const ConditionalReferenceOptions& options,
                                     ConditionalReferenceDiagnostics* diagnostics) {
  const char* who = "conditional reference sampler";
  options.validate();
  AMOR_CHECK(log_density, ValueError, who, ": no log density");
  AMOR_CHECK(num_variables >= 1, ValueError, who, ": num_variables must be >= 1, got ", num_variables);
  AMOR_CHECK(n >= 1, ValueError, who, ": the number of samples must be >= 1, got ", n);
  const int64_t t = num_variables;
  Problem pb;
  pb.log_density = &log_density;
  pb.t = t;
  pb.template_row.assign(size_t(t), 0.0);
  std::vector<bool> given(size_t(t), false);
  for (const auto& [i, v] : observed) {
    AMOR_CHECK(i >= 0 && i < t, ValueError, who, ": observed entry ", i, " is not in 0..", t - 1);
    AMOR_CHECK(!given[size_t(i)], ValueError, who, ": entry ", i, " is observed twice");
    AMOR_CHECK(std::isfinite(v), ValueError, who, ": observed entry ", i, " is not finite (", v, ")");
    given[size_t(i)] = true;
    pb.template_row[size_t(i)] = v;
  }
  for (int64_t i = 0; i < t; ++i)
    if (!given[size_t(i)]) pb.latent.push_back(i);
  const int64_t d = pb.dim();
  AMOR_CHECK(d >= 1, ValueError, who, ": every entry is observed; nothing to sample");
  AMOR_CHECK(support.lower.empty() || int64_t(support.lower.size()) == t, ValueError, who,
             ": the support has ", support.lower.size(), " lower bounds for ", t, " entries");
  AMOR_CHECK(support.lower.size() == support.upper.size(), ValueError, who,
             ": the support's lower and upper bounds differ in length");
  for (const auto& [i, v] : observed)
    if (!support.lower.empty())
      AMOR_CHECK(v >= support.lower[size_t(i)] && v <= support.upper[size_t(i)], ValueError, who,
                 ": observed entry ", i, " = ", v, " is outside the support [", support.lower[size_t(i)], ", ",
                 support.upper[size_t(i)], "]");
  for (int64_t i : pb.latent) {
    pb.lower.push_back(support.lower.empty() ? -kInf : support.lower[size_t(i)]);
    pb.upper.push_back(support.upper.empty() ? kInf : support.upper[size_t(i)]);
  }
  AMOR_CHECK(int64_t(base.mean.size()) == d && int64_t(base.covariance.size()) == d * d, ValueError, who,
             ": the base must have mean [", d, "] and covariance [", d, ", ", d, "] for the ", d,
             " latent entries, got ", base.mean.size(), " and ", base.covariance.size(), " values");
  pb.base_mean = base.mean;
  AMOR_CHECK(cholesky(base.covariance, d, pb.base_chol), ValueError, who,
             ": the base covariance is not positive definite");
  pb.base_log_norm = -double(d) * kHalfLog2Pi;
  for (int64_t i = 0; i < d; ++i) pb.base_log_norm -= std::log(pb.base_chol[size_t(i * d + i)]);

  const int64_t np = std::max(options.num_particles, n);
  Particles ps;
  ps.n = np, ps.d = d;
  ps.z.resize(size_t(np * d)), ps.lq.resize(size_t(np)), ps.lp.resize(size_t(np));
  std::vector<uint8_t> failed(size_t(np), 0);
  std::vector<int64_t> evals(size_t(np), 0);
  parallel_rows(np, options.num_threads, np > 1, [&](int64_t i) {
    Rng rng(seed, kReferenceBaseStream, uint64_t(i));
    double* z = ps.z.data() + i * d;
    std::vector<double> eps(static_cast<size_t>(d)), row, scratch;
    for (int64_t tries = 0; tries < kMaxBaseTries; ++tries) {
      for (int64_t j = 0; j < d; ++j) eps[size_t(j)] = rng.normal();
      for (int64_t a = 0; a < d; ++a) {
        double s = pb.base_mean[size_t(a)];
        for (int64_t b = 0; b <= a; ++b) s += pb.base_chol[size_t(a * d + b)] * eps[size_t(b)];
        z[a] = s;
      }
      if (pb.inside(z)) {
        ps.lq[size_t(i)] = pb.log_base(z, scratch);
        ps.lp[size_t(i)] = pb.log_target(z, row);
        evals[size_t(i)] = 1;
        return;
      }
    }
    failed[size_t(i)] = 1;
  });
  for (int64_t i = 0; i < np; ++i)
    AMOR_CHECK(!failed[size_t(i)], ValueError, who, ": the base puts less than 1/", kMaxBaseTries,
               " of its mass inside the support");
  ConditionalReferenceDiagnostics diag;
  diag.evaluations = std::accumulate(evals.begin(), evals.end(), int64_t{0});

  double beta = 0, rw_scale = 1.0;
  int64_t stage = 0;
  std::vector<double> delta(static_cast<size_t>(np));
  while (beta < 1) {
    AMOR_CHECK(stage < options.max_stages, ValueError, who, ": no convergence to β = 1 in ", options.max_stages,
               " stages (β = ", beta, "); the base is too far from the conditional");
    for (int64_t i = 0; i < np; ++i) {
      const double lp = ps.lp[size_t(i)], lq = ps.lq[size_t(i)];
      delta[size_t(i)] = (lp == -kInf || lq == -kInf) ? -kInf : lp - lq;
    }
    AMOR_CHECK(ess(delta, 0.0) > 0, ValueError, who, ": the joint density is -inf (or NaN) at every particle",
               stage == 0 ? " drawn from the base (observed values impossible under the joint?)" : "");
    const double step = next_step(delta, 1 - beta, options.ess_fraction);
    // log evidence increment: log mean_i exp(step · delta_i) (the particles are equally weighted).
    double mx = -kInf;
    for (double v : delta)
      if (v != -kInf) mx = std::max(mx, step * v);
    double s = 0;
    for (double v : delta)
      if (v != -kInf) s += std::exp(step * v - mx);
    diag.log_evidence += mx + std::log(s / double(np));
    resample(ps, delta, step, seed, stage);
    beta = step >= 1 - beta ? 1.0 : beta + step;
    const Kernel k = make_kernel(ps, beta, rw_scale, options);
    const MoveCounts c = move_all(pb, ps, k, options, options.moves_per_stage, seed, stage);
    diag.evaluations += c.evaluations;
    // Keep the random walk's acceptance near 0.25 (from the stage's totals: thread-independent).
    const double acc = c.proposed > 0 ? double(c.accepted) / double(c.proposed) : 0.0;
    rw_scale *= acc < 0.15 ? 0.7 : acc > 0.4 ? 1.3 : 1.0;
    diag.temperatures.push_back(beta);
    ++stage;
  }
  diag.stages = stage;
  if (options.final_moves > 0) {
    const Kernel k = make_kernel(ps, 1.0, rw_scale, options);
    const MoveCounts c = move_all(pb, ps, k, options, options.final_moves, seed, stage);
    diag.evaluations += c.evaluations;
    diag.acceptance = c.proposed > 0 ? double(c.accepted) / double(c.proposed) : 0.0;
  }

  // n of the np equally weighted particles, evenly spaced (all of them when np == n).
  Tensor out = Tensor::empty({n, t}, DType::F64);
  double* o = out.data<double>();
  for (int64_t r = 0; r < n; ++r) {
    const int64_t src = r * np / n;
    std::copy(pb.template_row.begin(), pb.template_row.end(), o + r * t);
    for (int64_t j = 0; j < d; ++j) o[r * t + pb.latent[size_t(j)]] = ps.z[size_t(src * d + j)];
  }
  if (diagnostics) *diagnostics = std::move(diag);
  return out;
}

GaussianBase fit_reference_base(const Task& task, const std::vector<int64_t>& latent, uint64_t seed,
                                const ConditionalReferenceOptions& options) {
  options.validate();
  const int64_t theta_dim = task.theta_dim(), t = theta_dim + task.x_dim();
  for (int64_t i : latent)
    AMOR_CHECK(i >= 0 && i < t, ValueError, "fit_reference_base: entry ", i, " is not in 0..", t - 1,
               " (task '", task.name(), "')");
  const Dataset data = simulate_dataset(*task.prior(), *task.simulator(), options.base_simulations,
                                        seed + kReferenceSimulationSeedOffset);
  const int64_t n = data.theta.size(0), d = int64_t(latent.size());
  AMOR_CHECK(n >= 10, ValueError, "fit_reference_base: only ", n, " of ", options.base_simulations,
             " simulations of task '", task.name(), "' are valid");
  const Tensor theta = data.theta.contiguous(), x = data.x.contiguous();
  const double* pt = theta.data<double>();
  const double* px = x.data<double>();
  const int64_t x_dim = t - theta_dim;
  auto value = [&](int64_t row, int64_t entry) {
    return entry < theta_dim ? pt[row * theta_dim + entry] : px[row * x_dim + (entry - theta_dim)];
  };
  GaussianBase b;
  b.mean.assign(size_t(d), 0.0);
  b.covariance.assign(size_t(d * d), 0.0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < d; ++j) b.mean[size_t(j)] += value(r, latent[size_t(j)]);
  for (double& m : b.mean) m /= double(n);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t a = 0; a < d; ++a) {
      const double da = value(r, latent[size_t(a)]) - b.mean[size_t(a)];
      for (int64_t c = 0; c <= a; ++c)
        b.covariance[size_t(a * d + c)] += da * (value(r, latent[size_t(c)]) - b.mean[size_t(c)]);
    }
  const double s2 = options.base_inflation * options.base_inflation / double(n - 1);
  for (int64_t a = 0; a < d; ++a)
    for (int64_t c = 0; c <= a; ++c) {
      b.covariance[size_t(a * d + c)] *= s2;
      b.covariance[size_t(c * d + a)] = b.covariance[size_t(a * d + c)];
    }
  // A deterministic entry (zero variance) would make the base singular.
  for (int64_t a = 0; a < d; ++a) b.covariance[size_t(a * d + a)] = std::max(b.covariance[size_t(a * d + a)], 1e-12);
  return b;
}

Tensor conditional_reference_samples(const Task& task, const std::vector<std::pair<int64_t, double>>& observed,
                                     int64_t n, uint64_t seed, const ConditionalReferenceOptions& options,
                                     ConditionalReferenceDiagnostics* diagnostics) {
  AMOR_CHECK(task.has_joint_log_density(), NotImplementedError, "task '", task.name(),
             "' has no closed-form joint density, so no reference samples for its conditionals");
  const int64_t theta_dim = task.theta_dim(), t = theta_dim + task.x_dim();
  std::vector<bool> given(size_t(t), false);
  for (const auto& [i, v] : observed) {
    AMOR_CHECK(i >= 0 && i < t, ValueError, "task '", task.name(), "': observed entry ", i, " is not in 0..", t - 1);
    given[size_t(i)] = true;
  }
  std::vector<int64_t> latent;
  for (int64_t i = 0; i < t; ++i)
    if (!given[size_t(i)]) latent.push_back(i);
  const Support prior_support = task.prior()->support();
  Support support;
  support.lower.assign(size_t(t), -kInf);
  support.upper.assign(size_t(t), kInf);
  for (int64_t i = 0; i < theta_dim && !prior_support.lower.empty(); ++i) {
    support.lower[size_t(i)] = prior_support.lower[size_t(i)];
    support.upper[size_t(i)] = prior_support.upper[size_t(i)];
  }
  const GaussianBase base = latent.empty() ? GaussianBase{} : fit_reference_base(task, latent, seed, options);
  const JointRowLogDensity density = [&task](const double* row) { return task.joint_log_density_one(row); };
  return conditional_reference_samples(density, t, observed, base, support, n, seed, options, diagnostics);
}

}  // namespace amor::sbi

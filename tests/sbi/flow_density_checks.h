// Fit-free checks of a flow's density: it integrates to 1 (midpoint quadrature over a wide box),
// and samples agree with it (a chi-square test of a 2-D histogram against bin probabilities
// obtained by quadrature of exp(log_prob)).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "sbi/flows/conditional_flow.h"

namespace amor::sbi::flows::testing {

// Midpoint grid over [lo0, hi0] × [lo1, hi1] with n0 × n1 cells: points [n0·n1, 2] (float64
// values converted to the flow's dtype) and the cell area.
inline Tensor grid_2d(double lo0, double hi0, double lo1, double hi1, int64_t n0, int64_t n1, DType dtype) {
  std::vector<double> pts;
  pts.reserve(size_t(2 * n0 * n1));
  const double h0 = (hi0 - lo0) / double(n0), h1 = (hi1 - lo1) / double(n1);
  for (int64_t i = 0; i < n0; ++i)
    for (int64_t j = 0; j < n1; ++j) {
      pts.push_back(lo0 + (double(i) + 0.5) * h0);
      pts.push_back(lo1 + (double(j) + 0.5) * h1);
    }
  return from_vector(pts, Shape{n0 * n1, 2}).to(dtype);
}

// exp(log_prob) at the rows of `points` for one context [1, c] (or undefined), in chunks.
inline std::vector<double> density(ConditionalFlow& flow, const Tensor& points, const Tensor& context) {
  NoGradGuard no_grad;
  std::vector<double> out;
  const int64_t n = points.shape()[0], chunk = 8192;
  for (int64_t s = 0; s < n; s += chunk) {
    const int64_t m = std::min(chunk, n - s);
    for (double lp : flow.log_prob(points.narrow(0, s, m), context).to_vector<double>()) out.push_back(std::exp(lp));
  }
  return out;
}

// ∫ q(θ | c) dθ over [lo, hi] (1-D flow), midpoint rule with n cells.
inline double integrate_1d(ConditionalFlow& flow, const Tensor& context, double lo, double hi, int64_t n) {
  const double h = (hi - lo) / double(n);
  std::vector<double> pts;
  for (int64_t i = 0; i < n; ++i) pts.push_back(lo + (double(i) + 0.5) * h);
  double mass = 0.0;
  for (double p : density(flow, from_vector(pts, Shape{n, 1}).to(flow.dtype()), context)) mass += p * h;
  return mass;
}

// ∫ q(θ | c) dθ over the box (2-D flow), midpoint rule with n × n cells.
inline double integrate_2d(ConditionalFlow& flow, const Tensor& context, double lo0, double hi0, double lo1,
                           double hi1, int64_t n) {
  const double area = (hi0 - lo0) * (hi1 - lo1) / double(n * n);
  double mass = 0.0;
  for (double p : density(flow, grid_2d(lo0, hi0, lo1, hi1, n, n, flow.dtype()), context)) mass += p * area;
  return mass;
}

// ∫ q(θ | c) dθ over θ = map(v), v in [v_lo, v_hi] (1-D flow): midpoint rule in v with the
// analytic dθ/dv = dmap(v), for densities with steep edges or long tails in θ.
template <class Map, class DMap>
double integrate_1d_mapped(ConditionalFlow& flow, const Tensor& context, double v_lo, double v_hi, int64_t n,
                           Map&& map, DMap&& dmap) {
  const double h = (v_hi - v_lo) / double(n);
  std::vector<double> pts, jac;
  for (int64_t i = 0; i < n; ++i) {
    const double v = v_lo + (double(i) + 0.5) * h;
    pts.push_back(map(v));
    jac.push_back(dmap(v));
  }
  const std::vector<double> p = density(flow, from_vector(pts, Shape{n, 1}).to(flow.dtype()), context);
  double mass = 0.0;
  for (int64_t i = 0; i < n; ++i) mass += p[size_t(i)] * jac[size_t(i)] * h;
  return mass;
}

struct Box {
  double lo0, hi0, lo1, hi1;
};

// A box around n samples of a 2-D flow: the [q, 1 - q] quantile range of each coordinate,
// widened by `widen` times its length on each side.
inline Box sample_box(ConditionalFlow& flow, const Tensor& context, Generator& gen, int64_t n, double q, double widen) {
  const std::vector<double> s = flow.sample(n, context, gen).to_vector<double>();
  double out[4];
  for (int k = 0; k < 2; ++k) {
    std::vector<double> v;
    for (int64_t i = 0; i < n; ++i) v.push_back(s[size_t(2 * i + k)]);
    std::sort(v.begin(), v.end());
    const double a = v[size_t(q * double(n - 1))], b = v[size_t((1.0 - q) * double(n - 1))];
    out[2 * k] = a - widen * (b - a);
    out[2 * k + 1] = b + widen * (b - a);
  }
  return {out[0], out[1], out[2], out[3]};
}

struct Chi2Result {
  double chi2 = 0.0;
  int64_t df = 0;
  // chi2 stays below df + 5·√(2·df) (5 standard deviations of the chi-square distribution)
  // for a correct sampler; a sampler that draws from any visibly different density lands far
  // above it.
  bool passes() const { return chi2 < double(df) + 5.0 * std::sqrt(2.0 * double(df)); }
};

// Draws `n` samples for `context` and compares the counts in a bins × bins grid over the box,
// plus one bin for everything outside it, with the probabilities from quadrature of the
// flow's density (sub × sub midpoints per bin). Bins expecting fewer than 5 counts are pooled
// into the outside bin. `sample_context` (default: `context`) is what the samples are drawn for:
// giving another one checks that the test has power.
inline Chi2Result sample_vs_density_chi2(ConditionalFlow& flow, const Tensor& context, Generator& gen, int64_t n,
                                         double lo0, double hi0, double lo1, double hi1, int64_t bins, int64_t sub,
                                         const Tensor& sample_context = Tensor()) {
  const std::vector<double> s =
      flow.sample(n, sample_context.defined() ? sample_context : context, gen).to_vector<double>();
  std::vector<double> counts(size_t(bins * bins + 1), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    const double a = s[size_t(2 * i)], b = s[size_t(2 * i + 1)];
    const int64_t ia = int64_t(std::floor((a - lo0) / (hi0 - lo0) * double(bins)));
    const int64_t ib = int64_t(std::floor((b - lo1) / (hi1 - lo1) * double(bins)));
    const bool inside = ia >= 0 && ia < bins && ib >= 0 && ib < bins;
    counts[size_t(inside ? ia * bins + ib : bins * bins)] += 1.0;
  }
  const std::vector<double> dens = density(flow, grid_2d(lo0, hi0, lo1, hi1, bins * sub, bins * sub, flow.dtype()), context);
  const double cell = (hi0 - lo0) * (hi1 - lo1) / double(bins * sub * bins * sub);
  std::vector<double> prob(size_t(bins * bins + 1), 0.0);
  double inside_mass = 0.0;
  for (int64_t i = 0; i < bins * sub; ++i)
    for (int64_t j = 0; j < bins * sub; ++j) {
      const double p = dens[size_t(i * bins * sub + j)] * cell;
      prob[size_t((i / sub) * bins + j / sub)] += p;
      inside_mass += p;
    }
  prob[size_t(bins * bins)] = std::max(0.0, 1.0 - inside_mass);
  // Pool small bins into the last one.
  double pooled_o = counts.back(), pooled_e = prob.back() * double(n);
  Chi2Result r;
  int64_t used = 0;
  for (int64_t k = 0; k < bins * bins; ++k) {
    const double e = prob[size_t(k)] * double(n);
    if (e < 5.0) {
      pooled_o += counts[size_t(k)];
      pooled_e += e;
      continue;
    }
    r.chi2 += (counts[size_t(k)] - e) * (counts[size_t(k)] - e) / e;
    ++used;
  }
  if (pooled_e >= 5.0) {
    r.chi2 += (pooled_o - pooled_e) * (pooled_o - pooled_e) / pooled_e;
    ++used;
  } else {
    r.chi2 += pooled_o > 3.0 * pooled_e + 10.0 ? 1e9 : 0.0;  // many samples where q says none
  }
  r.df = used - 1;
  return r;
}

}  // namespace amor::sbi::flows::testing

// Goodness-of-fit helpers for the sbi tests: chi-square critical values, the Kolmogorov–Smirnov
// statistic, and reference CDFs/pmfs written independently of the samplers under test.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

namespace amor::sbi::test {

// Upper critical value of χ²(df) at tail probability ~1e-4 (Wilson–Hilferty, z = 3.719). A
// seeded correct sampler passes with overwhelming probability; a sampler off by a fraction of a
// percent in the probability of a bin, over 10^5 draws, does not.
inline double chi2_critical(int df) {
  const double z = 3.719;
  const double a = 2.0 / (9.0 * df);
  return df * std::pow(1.0 - a + z * std::sqrt(a), 3.0);
}

// Pearson χ² of integer samples against a pmf, pooling the tails so each bin expects >= 5.
// Returns {statistic, degrees of freedom}.
struct Chi2 {
  double stat;
  int df;
};
inline Chi2 chi2_discrete(const std::vector<int64_t>& samples, const std::function<double(int64_t)>& pmf,
                          int64_t lo, int64_t hi) {
  const double n = double(samples.size());
  // Bins: values lo..hi individually, pooled from each end until the expectation reaches 5.
  std::vector<int64_t> edges;  // bin b holds [edges[b], edges[b + 1])
  double acc = 0.0;
  for (int64_t v = lo; v <= hi; ++v) {
    if (edges.empty()) edges.push_back(lo);
    acc += pmf(v) * n;
    if (acc >= 5.0) {
      edges.push_back(v + 1);
      acc = 0.0;
    }
  }
  if (edges.size() < 2) edges.push_back(hi + 1);
  edges.back() = hi + 1;  // the remainder joins the last bin
  const size_t nb = edges.size() - 1;
  std::vector<double> expected(nb, 0.0), observed(nb, 0.0);
  for (size_t b = 0; b < nb; ++b)
    for (int64_t v = edges[b]; v < edges[b + 1]; ++v) expected[b] += pmf(v) * n;
  for (int64_t s : samples) {
    const auto it = std::upper_bound(edges.begin(), edges.end(), s);
    if (it == edges.begin() || it == edges.end()) return {1e300, 1};  // outside [lo, hi]
    observed[size_t(it - edges.begin()) - 1] += 1.0;
  }
  double stat = 0.0;
  for (size_t b = 0; b < nb; ++b) stat += (observed[b] - expected[b]) * (observed[b] - expected[b]) / expected[b];
  return {stat, int(nb) - 1};
}

// The Kolmogorov–Smirnov distance sup |F_n - F| of samples x against a CDF.
inline double ks_distance(std::vector<double> x, const std::function<double(double)>& cdf) {
  std::sort(x.begin(), x.end());
  const double n = double(x.size());
  double d = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double f = cdf(x[i]);
    d = std::max({d, double(i + 1) / n - f, f - double(i) / n});
  }
  return d;
}

// sqrt(n) · sup |F_n - F|. Under the null it is asymptotically Kolmogorov-distributed:
// P(> 1.95) ≈ 0.001.
inline double ks_scaled(std::vector<double> x, const std::function<double(double)>& cdf) {
  const double n = double(x.size());
  return ks_distance(std::move(x), cdf) * std::sqrt(n);
}
// Two-sample KS distance: the largest gap between the two empirical CDFs.
inline double ks_two_sample(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= x) ++i;
    while (j < b.size() && b[j] <= x) ++j;
    d = std::max(d, std::abs(double(i) / double(a.size()) - double(j) / double(b.size())));
  }
  return d;
}

inline constexpr double kKsCritical = 1.95;

inline double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Regularised lower incomplete gamma P(k, x): series for x < k + 1, Lentz continued fraction
// otherwise (the textbook split; relative accuracy ~1e-14).
inline double gamma_cdf(double k, double x) {
  if (x <= 0.0) return 0.0;
  const double log_pre = k * std::log(x) - x - std::lgamma(k);
  if (x < k + 1.0) {
    double term = 1.0 / k, sum = term;
    for (int n = 1; n < 10000; ++n) {
      term *= x / (k + n);
      sum += term;
      if (term < sum * 1e-16) break;
    }
    return sum * std::exp(log_pre);
  }
  const double tiny = 1e-300;
  double b = x + 1.0 - k, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - k);
    b += 2.0;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::abs(del - 1.0) < 1e-16) break;
  }
  return 1.0 - std::exp(log_pre) * h;
}

inline double binomial_pmf(int64_t n, double p, int64_t k) {
  if (k < 0 || k > n) return 0.0;
  return std::exp(std::lgamma(double(n) + 1) - std::lgamma(double(k) + 1) - std::lgamma(double(n - k) + 1) +
                  double(k) * std::log(p) + double(n - k) * std::log1p(-p));
}

inline double poisson_pmf(double rate, int64_t k) {
  if (k < 0) return 0.0;
  return std::exp(double(k) * std::log(rate) - rate - std::lgamma(double(k) + 1));
}

struct Moments {
  double mean, var;
};
inline Moments moments(const std::vector<double>& x) {
  double m = 0.0;
  for (double v : x) m += v;
  m /= double(x.size());
  double s = 0.0;
  for (double v : x) s += (v - m) * (v - m);
  return {m, s / double(x.size() - 1)};
}

}  // namespace amor::sbi::test

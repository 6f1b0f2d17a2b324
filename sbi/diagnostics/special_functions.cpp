#include "sbi/diagnostics/special_functions.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <vector>

#include "core/error.h"

namespace amor::sbi::special {

namespace {

constexpr double kEps = 1e-16;
constexpr double kTiny = 1e-300;
constexpr int kMaxIter = 100000;

// P(a, x) by its power series, for x < a + 1.
double gamma_p_series(double a, double x) {
  double term = 1.0 / a, sum = term;
  for (int n = 1; n < kMaxIter; ++n) {
    term *= x / (a + n);
    sum += term;
    if (std::fabs(term) < std::fabs(sum) * kEps) break;
  }
  return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

// Q(a, x) by its continued fraction (modified Lentz), for x >= a + 1.
double gamma_q_fraction(double a, double x) {
  double b = x + 1.0 - a, c = 1.0 / kTiny, d = 1.0 / b, h = d;
  for (int i = 1; i < kMaxIter; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < kEps) break;
  }
  return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

// The continued fraction of I_x(a, b) (modified Lentz).
double beta_fraction(double a, double b, double x) {
  const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0, d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m < kMaxIter; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < kEps) break;
  }
  return h;
}

// Square matrices with a shared decimal exponent, for the Marsaglia–Tsang–Wang recursion.
struct ScaledMatrix {
  int m = 0;
  std::vector<double> v;  // row-major m × m
  int exponent = 0;       // value = v · 10^exponent
};

ScaledMatrix multiply(const ScaledMatrix& A, const ScaledMatrix& B) {
  const int m = A.m;
  ScaledMatrix C{m, std::vector<double>(size_t(m) * size_t(m), 0.0), A.exponent + B.exponent};
  for (int i = 0; i < m; ++i)
    for (int k = 0; k < m; ++k) {
      const double a = A.v[size_t(i) * size_t(m) + size_t(k)];
      if (a == 0.0) continue;
      const double* b = &B.v[size_t(k) * size_t(m)];
      double* c = &C.v[size_t(i) * size_t(m)];
      for (int j = 0; j < m; ++j) c[j] += a * b[j];
    }
  // Keep the entries in range: rescale when the centre entry grows past 1e140.
  const double centre = C.v[size_t(m / 2) * size_t(m) + size_t(m / 2)];
  if (centre > 1e140) {
    for (double& x : C.v) x *= 1e-140;
    C.exponent += 140;
  }
  return C;
}

ScaledMatrix power(const ScaledMatrix& A, int64_t n) {
  if (n == 1) return A;
  ScaledMatrix half = power(A, n / 2);
  ScaledMatrix sq = multiply(half, half);
  return n % 2 == 0 ? sq : multiply(A, sq);
}

// P(D_n < d), Marsaglia, Tsang & Wang (2003), "Evaluating Kolmogorov's distribution".
double ks_cdf_exact(int64_t n, double d) {
  const int k = int(double(n) * d) + 1;
  const int m = 2 * k - 1;
  const double h = k - double(n) * d;
  ScaledMatrix H{m, std::vector<double>(size_t(m) * size_t(m), 0.0), 0};
  auto at = [&](int i, int j) -> double& { return H.v[size_t(i) * size_t(m) + size_t(j)]; };
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) at(i, j) = (i - j + 1 < 0) ? 0.0 : 1.0;
  for (int i = 0; i < m; ++i) {
    at(i, 0) -= std::pow(h, i + 1);
    at(m - 1, i) -= std::pow(h, m - i);
  }
  at(m - 1, 0) += (2 * h - 1 > 0 ? std::pow(2 * h - 1, m) : 0.0);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j)
      if (i - j + 1 > 0)
        for (int g = 1; g <= i - j + 1; ++g) at(i, j) /= g;
  const ScaledMatrix Q = power(H, n);
  double s = Q.v[size_t(k - 1) * size_t(m) + size_t(k - 1)];
  int exponent = Q.exponent;
  for (int64_t i = 1; i <= n; ++i) {
    s = s * double(i) / double(n);
    if (s < 1e-140) {
      s *= 1e140;
      exponent -= 140;
    }
  }
  return s * std::pow(10.0, exponent);
}

}  // namespace

double gamma_p(double a, double x) {
  AMOR_CHECK(a > 0.0 && x >= 0.0, ValueError, "gamma_p: need a > 0 and x >= 0, got a = ", a,
             ", x = ", x);
  if (x == 0.0) return 0.0;
  return x < a + 1.0 ? gamma_p_series(a, x) : 1.0 - gamma_q_fraction(a, x);
}

double gamma_q(double a, double x) {
  AMOR_CHECK(a > 0.0 && x >= 0.0, ValueError, "gamma_q: need a > 0 and x >= 0, got a = ", a,
             ", x = ", x);
  if (x == 0.0) return 1.0;
  return x < a + 1.0 ? 1.0 - gamma_p_series(a, x) : gamma_q_fraction(a, x);
}

double beta_inc(double a, double b, double x) {
  AMOR_CHECK(a > 0.0 && b > 0.0 && x >= 0.0 && x <= 1.0, ValueError,
             "beta_inc: need a, b > 0 and 0 <= x <= 1, got a = ", a, ", b = ", b, ", x = ", x);
  if (x == 0.0) return 0.0;
  if (x == 1.0) return 1.0;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                           a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(log_front);
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_fraction(a, b, x) / a;
  return 1.0 - front * beta_fraction(b, a, 1.0 - x) / b;
}

double chi2_sf(double x, double k) {
  AMOR_CHECK(k > 0.0, ValueError, "chi2_sf: degrees of freedom must be > 0, got ", k);
  if (x <= 0.0) return 1.0;
  return gamma_q(0.5 * k, 0.5 * x);
}

double binom_cdf(int64_t k, int64_t n, double p) {
  AMOR_CHECK(n >= 0 && p >= 0.0 && p <= 1.0, ValueError, "binom_cdf: need n >= 0 and p in [0, 1]",
             ", got n = ", n, ", p = ", p);
  if (k < 0) return 0.0;
  if (k >= n) return 1.0;
  return beta_inc(double(n - k), double(k + 1), 1.0 - p);
}

double binom_sf_ge(int64_t k, int64_t n, double p) {
  AMOR_CHECK(n >= 0 && p >= 0.0 && p <= 1.0, ValueError,
             "binom_sf_ge: need n >= 0 and p in [0, 1], got n = ", n, ", p = ", p);
  if (k <= 0) return 1.0;
  if (k > n) return 0.0;
  return beta_inc(double(k), double(n - k + 1), p);
}

int64_t binom_ppf(double q, int64_t n, double p) {
  AMOR_CHECK(q >= 0.0 && q <= 1.0, ValueError, "binom_ppf: q must lie in [0, 1], got ", q);
  if (q == 0.0) return -1;  // scipy's convention
  int64_t lo = 0, hi = n;   // invariant: cdf(hi) >= q
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (binom_cdf(mid, n, p) >= q)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

double kolmogorov_sf(double x) {
  if (x <= 0.0) return 1.0;
  if (x < 1.0) {  // via the CDF's theta-function form, accurate for small x
    const double pi2 = std::numbers::pi * std::numbers::pi;
    double cdf = 0.0;
    for (int k = 1; k < 100; ++k) {
      const double t = std::exp(-(2.0 * k - 1) * (2.0 * k - 1) * pi2 / (8.0 * x * x));
      cdf += t;
      if (t < 1e-17 * cdf) break;
    }
    return 1.0 - std::sqrt(2.0 * std::numbers::pi) / x * cdf;
  }
  double sf = 0.0;
  for (int k = 1; k < 100; ++k) {
    const double t = std::exp(-2.0 * k * k * x * x);
    sf += (k % 2 ? 2.0 : -2.0) * t;
    if (t < 1e-17) break;
  }
  return std::clamp(sf, 0.0, 1.0);
}

double ks_one_sample_sf(double d, int64_t n) {
  AMOR_CHECK(n >= 1, ValueError, "ks_one_sample_sf: n must be >= 1, got ", n);
  if (d <= 0.0) return 1.0;
  if (d >= 1.0) return 0.0;
  // The exact recursion costs ~m³·log2(n) flops with m = 2⌊n·d⌋ + 1. Beyond ~2e8: in the far
  // tail (n·d² > 7.24, p < ~1e-6) Marsaglia–Tsang–Wang's large-deviation formula, elsewhere
  // Stephens' (1970) corrected argument to the Kolmogorov limit (~1e-3 relative there).
  const double m = 2.0 * std::floor(double(n) * d) + 1.0;
  const double s = d * d * double(n);
  // Beyond n·d² = 18 the p-value is < 5e-16, below what 1 - P(D < d) can resolve in double:
  // the closed form is the better answer there, and saves the recursion.
  if (s > 18.0 || m * m * m * std::ceil(std::log2(double(n) + 1.0)) > 2e8) {
    if (s > 7.24)
      return std::min(1.0, 2.0 * std::exp(-(2.000071 + 0.331 / std::sqrt(double(n)) +
                                            1.409 / double(n)) * s));
    const double sn = std::sqrt(double(n));
    return kolmogorov_sf((sn + 0.12 + 0.11 / sn) * d);
  }
  return std::clamp(1.0 - ks_cdf_exact(n, d), 0.0, 1.0);
}

double ks_two_sample_sf(double d, int64_t n1, int64_t n2) {
  AMOR_CHECK(n1 >= 1 && n2 >= 1, ValueError, "ks_two_sample_sf: sample sizes must be >= 1, got ",
             n1, " and ", n2);
  const auto asymptotic = [&] {
    const double en = double(n1) * double(n2) / double(n1 + n2);
    return ks_one_sample_sf(d, std::max<int64_t>(1, int64_t(std::nearbyint(en))));  // half-even
  };
  if (std::max(n1, n2) > 10000) return asymptotic();  // scipy's MAX_AUTO_N
  const int64_t g = std::gcd(n1, n2);
  const int64_t lcm = (n1 / g) * n2;
  const int64_t h = std::llround(d * double(lcm));
  if (h <= 0) return 1.0;
  double prob;
  if (n1 == n2) {
    // P(D >= h/n) = 2 Σ_{k>=1} (-1)^(k-1) C(2n, n - k·h) / C(2n, n), evaluated from the
    // innermost term outwards (scipy's _compute_prob_outside_square).
    const int64_t n = n1;
    double P = 0.0;
    for (int64_t k = n / h; k >= 0; --k) {
      double p1 = 1.0;
      for (int64_t j = 0; j < h; ++j)
        p1 = double(n - k * h - j) * p1 / double(n + k * h + j + 1);
      P = p1 * (1.0 - P);
    }
    prob = 2.0 * P;
  } else {
    // Lattice paths from (0, 0) to (n1, n2) that stay strictly inside |i·n2 - j·n1| < h·g
    // (D < d), as a fraction of all C(n1 + n2, n1) paths: q(i, j) = count / C(i + j, i)
    // satisfies q(i, j) = (i·q(i-1, j) + j·q(i, j-1)) / (i + j).
    const int64_t band = h * g;
    std::vector<double> q(size_t(n2 + 1), 0.0);
    for (int64_t i = 0; i <= n1; ++i)
      for (int64_t j = 0; j <= n2; ++j) {
        if (std::llabs(i * n2 - j * n1) >= band) {
          q[size_t(j)] = 0.0;
        } else if (i == 0 && j == 0) {
          q[0] = 1.0;
        } else {
          const double from_i = i > 0 ? double(i) * q[size_t(j)] : 0.0;  // q(i-1, j)
          const double from_j = j > 0 ? double(j) * q[size_t(j - 1)] : 0.0;  // q(i, j-1)
          q[size_t(j)] = (from_i + from_j) / double(i + j);
        }
      }
    prob = 1.0 - q[size_t(n2)];
  }
  // scipy falls back to the asymptotic distribution when the exact value is out of range
  // (e.g. 1 + 2e-16 for h = 1).
  if (!(prob >= 0.0 && prob <= 1.0)) return std::clamp(asymptotic(), 0.0, 1.0);
  return prob;
}

KsResult ks_2samp(std::vector<double> a, std::vector<double> b) {
  AMOR_CHECK(!a.empty() && !b.empty(), ValueError, "ks_2samp: both samples must be non-empty, got ",
             a.size(), " and ", b.size(), " values");
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  // Walk the pooled values; after all copies of a value, compare the two ECDFs.
  double d = 0.0;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    const double v = (j >= b.size() || (i < a.size() && a[i] <= b[j])) ? a[i] : b[j];
    while (i < a.size() && a[i] <= v) ++i;
    while (j < b.size() && b[j] <= v) ++j;
    d = std::max(d, std::fabs(double(i) / double(a.size()) - double(j) / double(b.size())));
  }
  return {d, ks_two_sample_sf(d, int64_t(a.size()), int64_t(b.size()))};
}

}  // namespace amor::sbi::special

#include "sbi/rng.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace amor::sbi {

namespace {

__extension__ typedef unsigned __int128 u128;

constexpr double kTwoPi = 6.283185307179586476925286766559;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// log(k!) for k >= 0. std::lgamma writes the global `signgam` on glibc (a data race when
// simulators run on several threads), so this is computed here: exact sums of logs for small k,
// the Stirling series beyond (truncation error below 1e-16 for k >= 16).
double log_factorial(double k) {
  constexpr int kTable = 16;
  static const std::array<double, kTable> table = [] {
    std::array<double, kTable> t{};
    double acc = 0.0;
    for (int i = 0; i < kTable; ++i) {
      if (i > 1) acc += std::log(double(i));
      t[size_t(i)] = acc;
    }
    return t;
  }();
  if (k < kTable) return table[size_t(k)];
  const double x = k + 1.0;  // log Γ(x)
  const double r = 1.0 / x, r2 = r * r;
  // Σ B_2j / (2j (2j - 1) x^(2j-1)), j = 1..5
  const double series =
      r * (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 - r2 * (1.0 / 1680.0 - r2 / 1188.0))));
  return (x - 0.5) * std::log(x) - x + 0.91893853320467274178 + series;  // 0.5·log(2π)
}

// log of a Gamma(k, 1) draw, accurate also where the draw itself underflows (tiny k): for k < 1,
// Gamma(k) = Gamma(k + 1) · U^(1/k), so log Gamma(k) = log Gamma(k + 1) + log(U) / k.
double log_gamma_draw(Rng& rng, double k) {
  if (k < 1.0) {
    const double u = 1.0 - rng.uniform();  // (0, 1]
    return std::log(rng.gamma(k + 1.0)) + std::log(u) / k;
  }
  return std::log(rng.gamma(k));
}

}  // namespace

uint64_t Rng::bits() { return cursor_.next_u64(); }

double Rng::uniform() { return cursor_.next_double(); }

double Rng::uniform(double lo, double hi) {
  const double x = lo + (hi - lo) * uniform();
  // lo + width · u can round up to hi: keep the interval half-open.
  return lo < hi ? std::min(x, std::nextafter(hi, lo)) : x;
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double u1 = 1.0 - uniform();  // (0, 1], so the log is finite
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double angle = kTwoPi * u2;
  spare_ = r * std::sin(angle);
  has_spare_ = true;
  return r * std::cos(angle);
}

double Rng::normal(double mean, double std) { return mean + std * normal(); }

double Rng::lognormal(double mu, double sigma) { return std::exp(mu + sigma * normal()); }

// Marsaglia & Tsang (2000), "A simple method for generating gamma variables"; shapes below 1 are
// boosted: Gamma(k) = Gamma(k + 1) · U^(1/k). shape <= 0 or NaN -> NaN; shape = inf -> inf.
double Rng::gamma(double shape) {
  if (!(shape > 0.0)) return kNaN;
  if (std::isinf(shape)) return kInf;
  double k = shape, boost = 1.0;
  if (k < 1.0) {
    boost = std::pow(1.0 - uniform(), 1.0 / k);
    k += 1.0;
  }
  const double d = k - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const double z = normal();
    double v = 1.0 + c * z;
    if (v <= 0.0) continue;
    v = v * v * v;
    const double u = uniform();
    const double z2 = z * z;
    if (u < 1.0 - 0.0331 * z2 * z2) return d * v * boost;
    if (std::log(u) < 0.5 * z2 + d * (1.0 - v + std::log(v))) return d * v * boost;
  }
}

// X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b), formed from the logs so that tiny shapes (where
// both draws underflow to 0) still give a value in [0, 1] rather than 0/0.
double Rng::beta(double a, double b) {
  if (!(a > 0.0) || !(b > 0.0) || std::isinf(a) || std::isinf(b)) return kNaN;
  const double lx = log_gamma_draw(*this, a);
  const double ly = log_gamma_draw(*this, b);
  if (lx == -kInf && ly == -kInf) return uniform() < a / (a + b) ? 1.0 : 0.0;  // both underflow
  const double diff = ly - lx;  // Beta = 1 / (1 + exp(ly - lx))
  return diff > 0.0 ? std::exp(-diff) / (1.0 + std::exp(-diff)) : 1.0 / (1.0 + std::exp(diff));
}

// Z / sqrt(V / df) with V ~ χ²(df) = 2 Gamma(df / 2). df <= 0 or NaN -> NaN; df = inf -> N(0, 1).
double Rng::student_t(double df) {
  if (!(df > 0.0)) return kNaN;
  if (std::isinf(df)) return normal();
  const double z = normal();
  const double v = 2.0 * gamma(0.5 * df);
  return z / std::sqrt(v / df);
}

// p <= 0 or NaN -> false; p >= 1 -> true.
bool Rng::bernoulli(double p) { return uniform() < p; }

// Lemire (2019), "Fast random integer generation in an interval": the high half of x · range,
// rejecting the low half below 2^64 mod range. hi <= lo -> lo (no draw).
int64_t Rng::randint(int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  const uint64_t range = uint64_t(hi) - uint64_t(lo);  // in [1, 2^64 - 1]
  u128 m = u128(bits()) * range;
  uint64_t low = uint64_t(m);
  if (low < range) {
    const uint64_t threshold = (0 - range) % range;
    while (low < threshold) {
      m = u128(bits()) * range;
      low = uint64_t(m);
    }
  }
  return int64_t(uint64_t(lo) + uint64_t(m >> 64));  // wraps mod 2^64 into [lo, hi)
}

// Binomial(n, p), exact (no normal approximation) for every n.
//   n < 0 or > 2^62, p NaN or outside [0, 1] -> -1 (the documented "invalid" value; no
//                                               exception: simulators call this in hot loops)
//   n = 0 or p = 0 -> 0;  p = 1 -> n
//   p > 1/2: n - Binomial(n, 1 - p), so the samplers below only see p <= 1/2.
//   n·p < 10: inversion (sequential search from 0 with the pmf recurrence), restarted when it
//             runs past a bound far in the tail, as numpy does, so rounding cannot run it to n.
//   else:     BTRS, transformed rejection with squeeze (Hörmann 1993, "The generation of binomial
//             random variates", J. Stat. Comput. Simul. 46).
int64_t Rng::binomial(int64_t n, double p) {
  // n above 2^62: counts near 2^63 do not survive the round trip through double.
  if (n < 0 || n > (int64_t(1) << 62) || !(p >= 0.0 && p <= 1.0)) return -1;
  if (n == 0 || p == 0.0) return 0;
  if (p == 1.0) return n;
  if (p > 0.5) return n - binomial(n, 1.0 - p);
  const double nd = double(n);
  const double q = 1.0 - p;
  if (nd * p < 10.0) {
    const double s = p / q;
    const double a = (nd + 1.0) * s;
    const double r0 = std::exp(nd * std::log1p(-p));  // P(X = 0) = q^n >= e^-14 here
    const double bound = std::min(nd, nd * p + 10.0 * std::sqrt(nd * p * q + 1.0));
    for (;;) {
      double u = uniform();
      double r = r0;
      int64_t x = 0;
      while (u > r) {
        u -= r;
        ++x;
        if (double(x) > bound) break;
        r *= a / double(x) - s;
      }
      if (double(x) <= bound) return x;
    }
  }
  const double spq = std::sqrt(nd * p * q);
  const double b = 1.15 + 2.53 * spq;
  const double a = -0.0873 + 0.0248 * b + 0.01 * p;
  const double c = nd * p + 0.5;
  const double v_r = 0.92 - 4.2 / b;
  const double alpha = (2.83 + 5.1 / b) * spq;
  const double lpq = std::log(p / q);
  const double m = std::floor((nd + 1.0) * p);
  const double h = log_factorial(m) + log_factorial(nd - m);
  for (;;) {
    const double u = uniform() - 0.5;
    const double v = uniform();
    const double us = 0.5 - std::abs(u);
    if (us <= 0.0) continue;  // u = -1/2 exactly: the hat is unbounded there
    const double kd = std::floor((2.0 * a / us + b) * u + c);
    if (kd < 0.0 || kd > nd) continue;
    if (us >= 0.07 && v <= v_r) return int64_t(kd);
    const double lv = std::log(v * alpha / (a / (us * us) + b));
    if (lv <= h - log_factorial(kd) - log_factorial(nd - kd) + (kd - m) * lpq) return int64_t(kd);
  }
}

// Poisson(rate), exact.
//   rate < 0, NaN, inf or above 2^62 (counts would overflow int64) -> -1; rate = 0 -> 0
//   rate < 10: inversion (sequential search), restarted past a far-tail bound as above.
//   else:      PTRS, transformed rejection (Hörmann 1993, "The transformed rejection method for
//              generating Poisson random variables", Insurance: Math. Econ. 12).
int64_t Rng::poisson(double rate) {
  if (!(rate >= 0.0) || !(rate <= 4.6e18)) return -1;
  if (rate == 0.0) return 0;
  if (rate < 10.0) {
    const double p0 = std::exp(-rate);
    const double bound = rate + 10.0 * std::sqrt(rate + 1.0) + 10.0;
    for (;;) {
      double u = uniform();
      double pk = p0;
      int64_t x = 0;
      while (u > pk) {
        u -= pk;
        ++x;
        if (double(x) > bound) break;
        pk *= rate / double(x);
      }
      if (double(x) <= bound) return x;
    }
  }
  const double slam = std::sqrt(rate);
  const double loglam = std::log(rate);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double log_inv_alpha = std::log(1.1239 + 1.1328 / (b - 3.4));
  const double v_r = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    const double u = uniform() - 0.5;
    const double v = uniform();
    const double us = 0.5 - std::abs(u);
    if (us <= 0.0) continue;
    const double kd = std::floor((2.0 * a / us + b) * u + rate + 0.43);
    if (kd < 0.0 || kd > 9.2e18) continue;
    if (us >= 0.07 && v <= v_r) return int64_t(kd);
    if (us < 0.013 && v > us) continue;
    if (std::log(v) + log_inv_alpha - std::log(a / (us * us) + b) <=
        -rate + kd * loglam - log_factorial(kd))
      return int64_t(kd);
  }
}

// Index i with probability probs[i] / Σ probs. Invalid input (k <= 0, a negative, NaN or
// infinite weight, or all weights 0) -> -1. One uniform per draw.
int64_t Rng::categorical(const double* probs, int64_t k) {
  if (k <= 0 || probs == nullptr) return -1;
  double total = 0.0;
  for (int64_t i = 0; i < k; ++i) {
    if (!(probs[i] >= 0.0) || std::isinf(probs[i])) return -1;
    total += probs[i];
  }
  if (!(total > 0.0) || std::isinf(total)) return -1;
  double u = uniform() * total;
  int64_t last_positive = 0;
  for (int64_t i = 0; i < k; ++i) {
    if (probs[i] <= 0.0) continue;
    last_positive = i;
    if (u < probs[i]) return i;
    u -= probs[i];
  }
  return last_positive;  // rounding left u >= the running remainder: the last possible index
}

}  // namespace amor::sbi

#include "sbi/diagnostics/sbc.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "sbi/diagnostics/special_functions.h"

namespace amor::sbi {

namespace {

struct RankTable {
  std::vector<int64_t> r;  // [n, d]
  int64_t n = 0, d = 0;
  int64_t at(int64_t i, int64_t j) const { return r[size_t(i * d + j)]; }
};

RankTable read_ranks(const Tensor& ranks, int64_t L, const char* op) {
  AMOR_CHECK(ranks.defined() && ranks.dim() == 2, ShapeError, op, ": ranks must be [n, d], got ",
             ranks.defined() ? ranks.str() : std::string("undefined"));
  AMOR_CHECK(ranks.dtype() == DType::I64, DTypeError, op, ": ranks must be int64, got ",
             ranks.str());
  AMOR_CHECK(L >= 1, ValueError, op, ": num_posterior_samples must be >= 1, got ", L);
  RankTable t{ranks.contiguous().to_vector<int64_t>(), ranks.size(0), ranks.size(1)};
  AMOR_CHECK(t.n >= 1 && t.d >= 1, ValueError, op, ": no ranks in ", ranks.str());
  for (size_t i = 0; i < t.r.size(); ++i)
    AMOR_CHECK(t.r[i] >= 0 && t.r[i] <= L, ValueError, op, ": rank ", t.r[i], " at row ",
               int64_t(i) / t.d, " is outside 0..", L);
  return t;
}

// Mid-point fractional ranks (r + 0.5) / (L + 1) of parameter j.
std::vector<double> fractional(const RankTable& t, int64_t j, int64_t L) {
  std::vector<double> u(size_t(t.n));
  for (int64_t i = 0; i < t.n; ++i) u[size_t(i)] = (double(t.at(i, j)) + 0.5) / double(L + 1);
  return u;
}

}  // namespace

Tensor sbc_ranks(const Tensor& theta_true, const Tensor& posterior_samples) {
  AMOR_CHECK(theta_true.defined() && theta_true.dim() == 2, ShapeError,
             "sbc_ranks: theta_true must be [n, d], got ",
             theta_true.defined() ? theta_true.str() : std::string("undefined"));
  AMOR_CHECK(posterior_samples.defined() && posterior_samples.dim() == 3, ShapeError,
             "sbc_ranks: posterior_samples must be [n, L, d], got ",
             posterior_samples.defined() ? posterior_samples.str() : std::string("undefined"));
  const int64_t n = theta_true.size(0), d = theta_true.size(1), L = posterior_samples.size(1);
  AMOR_CHECK(posterior_samples.size(0) == n && posterior_samples.size(2) == d, ShapeError,
             "sbc_ranks: posterior_samples ", posterior_samples.str(),
             " does not match theta_true ", theta_true.str(), " (expected [n, L, d])");
  for (const Tensor* t : {&theta_true, &posterior_samples})
    AMOR_CHECK(t->dtype() == DType::F32 || t->dtype() == DType::F64, DTypeError,
               "sbc_ranks: inputs must be float32 or float64, got ", t->str());
  const std::vector<double> th = theta_true.to(DType::F64).contiguous().to_vector<double>();
  const std::vector<double> ps = posterior_samples.to(DType::F64).contiguous().to_vector<double>();
  for (double v : th)
    AMOR_CHECK(std::isfinite(v), ValueError, "sbc_ranks: theta_true has a non-finite value");
  for (double v : ps)
    AMOR_CHECK(!std::isnan(v), ValueError, "sbc_ranks: posterior_samples has a NaN");
  std::vector<int64_t> ranks(size_t(n * d), 0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t l = 0; l < L; ++l)
      for (int64_t j = 0; j < d; ++j)
        ranks[size_t(i * d + j)] += ps[size_t((i * L + l) * d + j)] < th[size_t(i * d + j)];
  return from_vector(ranks, Shape{n, d});
}

RankUniformity rank_uniformity(const Tensor& ranks, int64_t num_posterior_samples,
                               int64_t num_bins) {
  const int64_t L = num_posterior_samples;
  const RankTable t = read_ranks(ranks, L, "rank_uniformity");
  RankUniformity out;
  int64_t B = num_bins > 0 ? num_bins : std::min<int64_t>({20, L + 1, t.n / 5});
  B = std::max<int64_t>(B, 2);
  AMOR_CHECK(B <= L + 1, ValueError, "rank_uniformity: ", B, " bins for only ", L + 1,
             " possible rank values");
  out.num_bins = B;
  // Probability of each bin under uniform ranks: the share of rank values 0..L it holds.
  std::vector<double> p_bin(size_t(B), 0.0);
  for (int64_t r = 0; r <= L; ++r) p_bin[size_t(r * B / (L + 1))] += 1.0 / double(L + 1);
  for (int64_t j = 0; j < t.d; ++j) {
    std::vector<double> u = fractional(t, j, L);
    std::sort(u.begin(), u.end());
    double D = 0.0;
    for (int64_t i = 0; i < t.n; ++i) {
      const double x = u[size_t(i)];
      D = std::max({D, double(i + 1) / double(t.n) - x, x - double(i) / double(t.n)});
    }
    out.ks_statistic.push_back(D);
    out.ks_pvalue.push_back(special::ks_one_sample_sf(D, t.n));
    std::vector<double> observed(size_t(B), 0.0);
    for (int64_t i = 0; i < t.n; ++i) observed[size_t(t.at(i, j) * B / (L + 1))] += 1.0;
    double chi2 = 0.0;
    for (int64_t b = 0; b < B; ++b) {
      const double expected = double(t.n) * p_bin[size_t(b)];
      chi2 += (observed[size_t(b)] - expected) * (observed[size_t(b)] - expected) / expected;
    }
    out.chi2_statistic.push_back(chi2);
    out.chi2_pvalue.push_back(special::chi2_sf(chi2, double(B - 1)));
  }
  return out;
}

EcdfDifference sbc_ecdf_difference(const Tensor& ranks, int64_t num_posterior_samples,
                                   const EcdfBandOptions& options) {
  const int64_t L = num_posterior_samples;
  const RankTable t = read_ranks(ranks, L, "sbc_ecdf_difference");
  EcdfDifference out;
  // Evaluated where the discrete ranks are exact (ecdf_bands.h): z_k = k/(L + 1), k = 1..L (at most
  // max_num_points of them, evenly spread), unless the caller gave points.
  EcdfBandOptions o = options;
  if (o.points.empty() && L >= 1) {
    const int64_t K = std::min<int64_t>(L, std::max<int64_t>(o.max_num_points, 1));
    for (int64_t i = 0; i < K; ++i) {
      const int64_t k = K == L ? i + 1 : 1 + (i * (L - 1)) / std::max<int64_t>(K - 1, 1);
      o.points.push_back(double(k) / double(L + 1));
    }
  }
  out.bands = simultaneous_ecdf_bands(t.n, o);
  const std::vector<double>& z = out.bands.z;
  for (int64_t j = 0; j < t.d; ++j) {
    const std::vector<double> u = fractional(t, j, L);
    const std::vector<double> F = ecdf_at(u, z);
    std::vector<double> diff(z.size());
    bool inside = true;
    for (size_t k = 0; k < z.size(); ++k) {
      diff[k] = F[k] - z[k];
      inside = inside && F[k] >= out.bands.lower[k] && F[k] <= out.bands.upper[k];
    }
    out.diff.push_back(std::move(diff));
    out.inside.push_back(inside);
    const double g = ecdf_gamma(u, z);
    out.log_gamma.push_back(std::log(g) - std::log(out.bands.gamma));
  }
  return out;
}

SbcCheck check_sbc(const Tensor& ranks, int64_t num_posterior_samples,
                   const SbcCheckOptions& options) {
  AMOR_CHECK(options.alpha > 0.0 && options.alpha < 1.0, ValueError,
             "check_sbc: alpha must lie in (0, 1), got ", options.alpha);
  SbcCheck out;
  out.uniformity = rank_uniformity(ranks, num_posterior_samples, options.num_bins);
  const int64_t d = ranks.size(1);
  // Bonferroni over every test made: three per parameter (KS, chi-square, ECDF band), so that
  // an exact posterior fails with probability at most alpha. (At alpha/d per test the three
  // together rejected exact posteriors in 12 of 100 oracle runs with d = 12; before the ECDF was
  // evaluated at the discrete rank points, in 22.)
  const double level = options.alpha / double(3 * d);
  EcdfBandOptions band;
  band.confidence = 1.0 - level;
  band.seed = options.seed;
  // The band's level is the (level) quantile of simulated γ's: with M simulations only level·M of
  // them lie below it, so M grows with 1/level to keep about 100 there (a quantile of a handful
  // of draws is noisy, and a band drawn too narrow rejects exact posteriors).
  band.num_simulations = options.num_simulations > 0
                             ? options.num_simulations
                             : std::max<int64_t>(1000, int64_t(std::ceil(100.0 / level)));
  out.ecdf = sbc_ecdf_difference(ranks, num_posterior_samples, band);
  out.passed = true;
  for (int64_t j = 0; j < d; ++j) {
    const bool ok = out.uniformity.ks_pvalue[size_t(j)] >= level &&
                    out.uniformity.chi2_pvalue[size_t(j)] >= level && out.ecdf.inside[size_t(j)];
    out.parameter_passed.push_back(ok);
    out.passed = out.passed && ok;
  }
  return out;
}

std::string SbcCheck::summary() const {
  std::string s;
  char line[256];
  for (size_t j = 0; j < parameter_passed.size(); ++j) {
    std::snprintf(line, sizeof line,
                  "theta_%zu: %s  KS p=%.4g  chi2(%lld) p=%.4g  ECDF %s band (log gamma %.3f)\n",
                  j + 1, parameter_passed[j] ? "pass" : "FAIL", uniformity.ks_pvalue[j],
                  static_cast<long long>(uniformity.num_bins - 1), uniformity.chi2_pvalue[j],
                  ecdf.inside[j] ? "inside" : "outside", ecdf.log_gamma[j]);
    s += line;
  }
  s += passed ? "SBC: pass\n" : "SBC: FAIL\n";
  return s;
}

}  // namespace amor::sbi

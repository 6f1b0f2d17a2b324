#include "sbi/diagnostics/coverage.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "sbi/diagnostics/special_functions.h"

namespace amor::sbi {

namespace {

void check_levels(const std::vector<double>& levels, const char* op) {
  AMOR_CHECK(!levels.empty(), ValueError, op, ": no credibility levels");
  for (double a : levels)
    AMOR_CHECK(a > 0.0 && a < 1.0, ValueError, op, ": credibility levels must lie in (0, 1), got ",
               a);
}

std::vector<double> as_f64(const Tensor& t, int dims, const char* op, const char* what) {
  AMOR_CHECK(t.defined() && t.dim() == dims, ShapeError, op, ": ", what, " must have ", dims,
             " axes, got ", t.defined() ? t.str() : std::string("undefined"));
  AMOR_CHECK(t.dtype() == DType::F32 || t.dtype() == DType::F64, DTypeError, op, ": ", what,
             " must be float32 or float64, got ", t.str());
  std::vector<double> v = t.to(DType::F64).contiguous().to_vector<double>();
  for (double x : v)
    AMOR_CHECK(!std::isnan(x), ValueError, op, ": ", what, " contains NaN");
  return v;
}

}  // namespace

std::vector<double> default_credibility_levels() {
  std::vector<double> levels;
  for (int k = 1; k <= 19; ++k) levels.push_back(0.05 * k);
  return levels;
}

CoverageCurve expected_coverage_hpd(const Tensor& truth_log_prob, const Tensor& samples_log_prob,
                                    const std::vector<double>& levels) {
  const char* op = "expected_coverage_hpd";
  check_levels(levels, op);
  const std::vector<double> truth = as_f64(truth_log_prob, 1, op, "truth_log_prob");
  const std::vector<double> samples = as_f64(samples_log_prob, 2, op, "samples_log_prob");
  const int64_t n = truth_log_prob.size(0), L = samples_log_prob.size(1);
  AMOR_CHECK(samples_log_prob.size(0) == n && n >= 1 && L >= 1, ShapeError, op,
             ": samples_log_prob ", samples_log_prob.str(), " must be [n, L] with n = ", n);
  CoverageCurve out{levels, std::vector<double>(levels.size(), 0.0), n};
  for (int64_t i = 0; i < n; ++i) {
    int64_t r = 0;
    for (int64_t l = 0; l < L; ++l) r += samples[size_t(i * L + l)] < truth[size_t(i)];
    const double mass_above = (double(L - r) + 0.5) / double(L + 1);
    for (size_t k = 0; k < levels.size(); ++k) out.coverage[k] += mass_above <= levels[k];
  }
  for (double& c : out.coverage) c /= double(n);
  return out;
}

std::vector<CoverageCurve> expected_coverage_central(const Tensor& theta_true,
                                                     const Tensor& posterior_samples,
                                                     const std::vector<double>& levels) {
  const char* op = "expected_coverage_central";
  check_levels(levels, op);
  const std::vector<double> th = as_f64(theta_true, 2, op, "theta_true");
  const std::vector<double> ps = as_f64(posterior_samples, 3, op, "posterior_samples");
  const int64_t n = theta_true.size(0), d = theta_true.size(1), L = posterior_samples.size(1);
  AMOR_CHECK(posterior_samples.size(0) == n && posterior_samples.size(2) == d && n >= 1 && L >= 1,
             ShapeError, op, ": posterior_samples ", posterior_samples.str(),
             " does not match theta_true ", theta_true.str(), " (expected [n, L, d])");
  std::vector<CoverageCurve> out(size_t(d), CoverageCurve{levels, std::vector<double>(levels.size(), 0.0), n});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      int64_t r = 0;
      for (int64_t l = 0; l < L; ++l) r += ps[size_t((i * L + l) * d + j)] < th[size_t(i * d + j)];
      const double u = (double(r) + 0.5) / double(L + 1);
      for (size_t k = 0; k < levels.size(); ++k)
        out[size_t(j)].coverage[k] += std::fabs(u - 0.5) <= 0.5 * levels[k];
    }
  for (CoverageCurve& c : out)
    for (double& v : c.coverage) v /= double(n);
  return out;
}

CoverageCheck check_coverage(const CoverageCurve& curve, double alpha) {
  AMOR_CHECK(alpha > 0.0 && alpha < 1.0, ValueError, "check_coverage: alpha must lie in (0, 1), got ",
             alpha);
  AMOR_CHECK(curve.num_simulations >= 1 && curve.levels.size() == curve.coverage.size() &&
                 !curve.levels.empty(),
             ValueError, "check_coverage: malformed coverage curve");
  const int64_t n = curve.num_simulations;
  const double level = alpha / double(curve.levels.size());
  CoverageCheck out;
  out.passed = true;
  for (size_t k = 0; k < curve.levels.size(); ++k) {
    const double a = curve.levels[k];
    const int64_t count = std::llround(curve.coverage[k] * double(n));
    const double p = std::min(1.0, 2.0 * std::min(special::binom_cdf(count, n, a),
                                                   special::binom_sf_ge(count, n, a)));
    out.pvalue.push_back(p);
    out.lower.push_back(double(std::max<int64_t>(special::binom_ppf(level / 2, n, a), 0)) / double(n));
    out.upper.push_back(double(special::binom_ppf(1.0 - level / 2, n, a)) / double(n));
    out.passed = out.passed && p >= level;
  }
  return out;
}

}  // namespace amor::sbi

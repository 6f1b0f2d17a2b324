#include "sbi/diagnostics/tarp.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/random.h"
#include "sbi/diagnostics/special_functions.h"

namespace amor::sbi {

namespace {

std::vector<double> as_f64(const Tensor& t, int dims, const char* what) {
  AMOR_CHECK(t.defined() && t.dim() == dims, ShapeError, "run_tarp: ", what, " must have ", dims,
             " axes, got ", t.defined() ? t.str() : std::string("undefined"));
  AMOR_CHECK(t.dtype() == DType::F32 || t.dtype() == DType::F64, DTypeError, "run_tarp: ", what,
             " must be float32 or float64, got ", t.str());
  std::vector<double> v = t.to(DType::F64).contiguous().to_vector<double>();
  for (double x : v)
    AMOR_CHECK(std::isfinite(x), ValueError, "run_tarp: ", what, " has a non-finite value");
  return v;
}

double distance(const double* a, const double* b, int64_t d, TarpDistance kind) {
  double s = 0.0;
  for (int64_t k = 0; k < d; ++k) {
    const double t = a[k] - b[k];
    s += kind == TarpDistance::L2 ? t * t : std::fabs(t);
  }
  return kind == TarpDistance::L2 ? std::sqrt(s) : s;
}

}  // namespace

Tensor tarp_references(const Tensor& theta_true, uint64_t seed) {
  const std::vector<double> th = as_f64(theta_true, 2, "theta_true");
  const int64_t n = theta_true.size(0), d = theta_true.size(1);
  AMOR_CHECK(n >= 1 && d >= 1, ValueError, "tarp_references: empty theta_true ", theta_true.str());
  Generator gen(seed, /*stream=*/0x7a49ULL);
  std::vector<double> u = rand(Shape{n, d}, gen, TensorOptions{.dtype = DType::F64}).to_vector<double>();
  for (int64_t j = 0; j < d; ++j) {
    double lo = th[size_t(j)], hi = th[size_t(j)];
    for (int64_t i = 0; i < n; ++i) {
      lo = std::min(lo, th[size_t(i * d + j)]);
      hi = std::max(hi, th[size_t(i * d + j)]);
    }
    for (int64_t i = 0; i < n; ++i) u[size_t(i * d + j)] = lo + (hi - lo) * u[size_t(i * d + j)];
  }
  return from_vector(u, Shape{n, d});
}

TarpResult run_tarp(const Tensor& theta_true, const Tensor& posterior_samples,
                    const Tensor& references, const TarpOptions& options) {
  std::vector<double> th = as_f64(theta_true, 2, "theta_true");
  std::vector<double> ps = as_f64(posterior_samples, 3, "posterior_samples");
  const int64_t n = theta_true.size(0), d = theta_true.size(1), L = posterior_samples.size(1);
  AMOR_CHECK(n >= 1 && d >= 1 && L >= 1, ValueError, "run_tarp: empty input ", theta_true.str(),
             " / ", posterior_samples.str());
  AMOR_CHECK(posterior_samples.size(0) == n && posterior_samples.size(2) == d, ShapeError,
             "run_tarp: posterior_samples ", posterior_samples.str(), " does not match theta_true ",
             theta_true.str(), " (expected [n, L, d])");
  const Tensor refs = references.defined() ? references : tarp_references(theta_true, options.seed);
  AMOR_CHECK(refs.dim() == 2 && refs.size(0) == n && refs.size(1) == d, ShapeError,
             "run_tarp: references ", refs.str(), " must have theta_true's shape ", theta_true.str());
  std::vector<double> rf = as_f64(refs, 2, "references");
  const int64_t bins = options.num_bins > 0 ? options.num_bins : n / 10;
  AMOR_CHECK(bins >= 1, ValueError, "run_tarp: ", n, " simulations give ", bins,
             " bins; pass num_bins or use at least 10 simulations (sbi asks for >= 100)");

  if (options.z_score_theta) {
    for (int64_t j = 0; j < d; ++j) {
      double lo = th[size_t(j)], hi = th[size_t(j)];
      for (int64_t i = 0; i < n; ++i) {
        lo = std::min(lo, th[size_t(i * d + j)]);
        hi = std::max(hi, th[size_t(i * d + j)]);
      }
      const double scale = hi - lo + 1e-10;
      for (int64_t i = 0; i < n; ++i) {
        th[size_t(i * d + j)] = (th[size_t(i * d + j)] - lo) / scale;
        rf[size_t(i * d + j)] = (rf[size_t(i * d + j)] - lo) / scale;
        for (int64_t l = 0; l < L; ++l)
          ps[size_t((i * L + l) * d + j)] = (ps[size_t((i * L + l) * d + j)] - lo) / scale;
      }
    }
  }

  TarpResult out;
  out.coverage_values.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) {
    const double* ref = &rf[size_t(i * d)];
    const double truth = distance(ref, &th[size_t(i * d)], d, options.distance);
    int64_t closer = 0;
    for (int64_t l = 0; l < L; ++l)
      closer += distance(ref, &ps[size_t((i * L + l) * d)], d, options.distance) < truth;
    out.coverage_values[size_t(i)] = double(closer) / double(L);
  }

  // torch.histogram(f, bins): equal-width bins over [min f, max f].
  double lo = *std::min_element(out.coverage_values.begin(), out.coverage_values.end());
  double hi = *std::max_element(out.coverage_values.begin(), out.coverage_values.end());
  if (lo == hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  out.alpha.resize(size_t(bins + 1));
  for (int64_t k = 0; k <= bins; ++k)
    out.alpha[size_t(k)] = k == bins ? hi : lo + (hi - lo) * double(k) / double(bins);
  std::vector<int64_t> counts(size_t(bins), 0);
  for (double f : out.coverage_values) {
    int64_t b = std::clamp<int64_t>(int64_t((f - lo) * double(bins) / (hi - lo)), 0, bins - 1);
    // Settle rounding at the edges against the edge values themselves.
    if (b + 1 < bins && f >= out.alpha[size_t(b + 1)]) ++b;
    if (b > 0 && f < out.alpha[size_t(b)]) --b;
    ++counts[size_t(b)];
  }
  out.ecp.assign(size_t(bins + 1), 0.0);
  int64_t cumulative = 0;
  for (int64_t k = 0; k < bins; ++k) {
    cumulative += counts[size_t(k)];
    out.ecp[size_t(k + 1)] = double(cumulative) / double(n);
  }
  const TarpCheck check = check_tarp(out.ecp, out.alpha);
  out.atc = check.atc;
  out.ks_pvalue = check.ks_pvalue;
  return out;
}

TarpCheck check_tarp(const std::vector<double>& ecp, const std::vector<double>& alpha) {
  AMOR_CHECK(ecp.size() == alpha.size() && alpha.size() >= 2, ShapeError,
             "check_tarp: ecp and alpha must have the same length >= 2, got ", ecp.size(), " and ",
             alpha.size());
  const size_t mid = alpha.size() / 2;
  const double dalpha = alpha[1] - alpha[0];
  TarpCheck out;
  for (size_t k = mid; k < alpha.size(); ++k) out.atc += (ecp[k] - alpha[k]) * dalpha;
  out.ks_pvalue = special::ks_2samp(ecp, alpha).pvalue;
  return out;
}

}  // namespace amor::sbi

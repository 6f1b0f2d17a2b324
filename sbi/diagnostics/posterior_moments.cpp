#include "sbi/diagnostics/posterior_moments.h"

#include <cmath>

#include "core/error.h"

namespace amor::sbi {

namespace {

struct Moments {
  std::vector<double> mean, var;  // per dimension, var unbiased
};

Moments moments(const Tensor& t, const char* op, const char* what) {
  AMOR_CHECK(t.defined() && t.dim() == 2, ShapeError, op, ": ", what, " must be [n, d], got ",
             t.defined() ? t.str() : std::string("undefined"));
  AMOR_CHECK(t.dtype() == DType::F32 || t.dtype() == DType::F64, DTypeError, op, ": ", what,
             " must be float32 or float64, got ", t.str());
  const int64_t n = t.size(0), d = t.size(1);
  AMOR_CHECK(n >= 2 && d >= 1, ValueError, op, ": ", what, " needs at least 2 rows, got ", t.str());
  const std::vector<double> v = t.to(DType::F64).contiguous().to_vector<double>();
  Moments m{std::vector<double>(size_t(d), 0.0), std::vector<double>(size_t(d), 0.0)};
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < d; ++k) m.mean[size_t(k)] += v[size_t(i * d + k)];
  for (double& x : m.mean) x /= double(n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < d; ++k) {
      const double c = v[size_t(i * d + k)] - m.mean[size_t(k)];
      m.var[size_t(k)] += c * c;
    }
  for (size_t k = 0; k < m.var.size(); ++k) {
    m.var[k] /= double(n - 1);
    AMOR_CHECK(std::isfinite(m.var[k]) && std::isfinite(m.mean[k]), ValueError, op, ": ", what,
               " has non-finite values in column ", k);
  }
  return m;
}

double average(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s / double(v.size());
}

}  // namespace

std::vector<double> posterior_mean_error_per_dim(const Tensor& samples, const Tensor& reference) {
  const Moments s = moments(samples, "posterior_mean_error", "samples");
  const Moments r = moments(reference, "posterior_mean_error", "reference");
  AMOR_CHECK(s.mean.size() == r.mean.size(), ShapeError, "posterior_mean_error: samples ",
             samples.str(), " and reference ", reference.str(), " have different dimensions");
  std::vector<double> out(s.mean.size());
  for (size_t k = 0; k < out.size(); ++k) {
    AMOR_CHECK(r.var[k] > 0.0, ValueError, "posterior_mean_error: reference column ", k,
               " is constant");
    out[k] = (s.mean[k] - r.mean[k]) / std::sqrt(r.var[k]);
  }
  return out;
}

double posterior_mean_error(const Tensor& samples, const Tensor& reference) {
  return average(posterior_mean_error_per_dim(samples, reference));
}

std::vector<double> posterior_variance_ratio_per_dim(const Tensor& samples,
                                                     const Tensor& reference) {
  const Moments s = moments(samples, "posterior_variance_ratio", "samples");
  const Moments r = moments(reference, "posterior_variance_ratio", "reference");
  AMOR_CHECK(s.var.size() == r.var.size(), ShapeError, "posterior_variance_ratio: samples ",
             samples.str(), " and reference ", reference.str(), " have different dimensions");
  std::vector<double> out(s.var.size());
  for (size_t k = 0; k < out.size(); ++k) {
    AMOR_CHECK(r.var[k] > 0.0, ValueError, "posterior_variance_ratio: reference column ", k,
               " is constant");
    out[k] = s.var[k] / r.var[k];
  }
  return out;
}

double posterior_variance_ratio(const Tensor& samples, const Tensor& reference) {
  return average(posterior_variance_ratio_per_dim(samples, reference));
}

}  // namespace amor::sbi

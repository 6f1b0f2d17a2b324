// The concrete distribution families of sbi/distribution.h: box_uniform, diag_normal,
// multivariate_normal, log_normal, gamma_distribution. Every factory validates its arguments
// and throws ValueError naming itself, the argument and the offending index and value.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "sbi/distribution.h"

namespace amor::sbi {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kHalfLog2Pi = 0.91893853320467274178;  // 0.5 · log(2π)

void check_nonempty(const char* factory, const char* arg, const std::vector<double>& v) {
  AMOR_CHECK(!v.empty(), ValueError, factory, ": `", arg, "` is empty (need at least one dimension)");
}

void check_same_size(const char* factory, const char* a, const std::vector<double>& va,
                     const char* b, const std::vector<double>& vb) {
  AMOR_CHECK(va.size() == vb.size(), ValueError, factory, ": `", a, "` has ", va.size(),
             " entries but `", b, "` has ", vb.size());
}

void check_finite(const char* factory, const char* arg, const std::vector<double>& v) {
  for (size_t i = 0; i < v.size(); ++i)
    AMOR_CHECK(std::isfinite(v[i]), ValueError, factory, ": `", arg, "[", i,
               "]` must be finite, got ", v[i]);
}

void check_positive(const char* factory, const char* arg, const std::vector<double>& v) {
  for (size_t i = 0; i < v.size(); ++i)
    AMOR_CHECK(v[i] > 0.0 && std::isfinite(v[i]), ValueError, factory, ": `", arg, "[", i,
               "]` must be positive and finite, got ", v[i]);
}

// ---- box_uniform ----------------------------------------------------------------------------

class BoxUniform final : public Distribution {
 public:
  BoxUniform(std::vector<double> lower, std::vector<double> upper)
      : lower_(std::move(lower)), upper_(std::move(upper)) {
    for (size_t i = 0; i < lower_.size(); ++i) log_volume_ += std::log(upper_[i] - lower_[i]);
  }
  std::string name() const override { return "box_uniform"; }
  int64_t dim() const override { return int64_t(lower_.size()); }
  void sample_one(Rng& rng, double* out) const override {
    for (size_t i = 0; i < lower_.size(); ++i) out[i] = rng.uniform(lower_[i], upper_[i]);
  }
  double log_prob_one(const double* x) const override {
    return support().contains(x) ? -log_volume_ : -kInf;
  }
  Support support() const override { return Support{lower_, upper_}; }
  std::vector<double> mean() const override {
    std::vector<double> m(lower_.size());
    for (size_t i = 0; i < m.size(); ++i) m[i] = 0.5 * (lower_[i] + upper_[i]);
    return m;
  }
  std::vector<double> variance() const override {
    std::vector<double> v(lower_.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = (upper_[i] - lower_[i]) * (upper_[i] - lower_[i]) / 12.0;
    return v;
  }

 private:
  std::vector<double> lower_, upper_;
  double log_volume_ = 0.0;
};

// ---- diag_normal ----------------------------------------------------------------------------

class DiagNormal final : public Distribution {
 public:
  DiagNormal(std::vector<double> mean, std::vector<double> std) : mean_(std::move(mean)), std_(std::move(std)) {
    for (double s : std_) log_norm_ -= std::log(s) + kHalfLog2Pi;
  }
  std::string name() const override { return "diag_normal"; }
  int64_t dim() const override { return int64_t(mean_.size()); }
  void sample_one(Rng& rng, double* out) const override {
    for (size_t i = 0; i < mean_.size(); ++i) out[i] = mean_[i] + std_[i] * rng.normal();
  }
  double log_prob_one(const double* x) const override {
    double q = 0.0;
    for (size_t i = 0; i < mean_.size(); ++i) {
      if (std::isnan(x[i])) return -kInf;
      const double z = (x[i] - mean_[i]) / std_[i];
      q += z * z;
    }
    return log_norm_ - 0.5 * q;
  }
  std::vector<double> mean() const override { return mean_; }
  std::vector<double> variance() const override {
    std::vector<double> v(std_.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = std_[i] * std_[i];
    return v;
  }

 private:
  std::vector<double> mean_, std_;
  double log_norm_ = 0.0;
};

// ---- multivariate_normal --------------------------------------------------------------------

class MultivariateNormal final : public Distribution {
 public:
  // chol: the lower Cholesky factor L (cov = L Lᵀ), row-major [d, d].
  MultivariateNormal(std::vector<double> mean, std::vector<double> chol, std::vector<double> var)
      : mean_(std::move(mean)), chol_(std::move(chol)), var_(std::move(var)) {
    const size_t d = mean_.size();
    for (size_t i = 0; i < d; ++i) log_norm_ -= std::log(chol_[i * d + i]) + kHalfLog2Pi;
  }
  std::string name() const override { return "multivariate_normal"; }
  int64_t dim() const override { return int64_t(mean_.size()); }
  // x = mean + L z: z is drawn in full first, so the draw does not depend on L's sparsity.
  void sample_one(Rng& rng, double* out) const override {
    const size_t d = mean_.size();
    std::vector<double> z(d);
    for (size_t i = 0; i < d; ++i) z[i] = rng.normal();
    for (size_t i = 0; i < d; ++i) {
      double acc = mean_[i];
      for (size_t j = 0; j <= i; ++j) acc += chol_[i * d + j] * z[j];
      out[i] = acc;
    }
  }
  // -½ |L⁻¹ (x - mean)|² - Σ log L_ii - d/2 log 2π, by forward substitution.
  double log_prob_one(const double* x) const override {
    const size_t d = mean_.size();
    std::vector<double> y(d);
    double q = 0.0;
    for (size_t i = 0; i < d; ++i) {
      if (std::isnan(x[i])) return -kInf;
      double r = x[i] - mean_[i];
      for (size_t j = 0; j < i; ++j) r -= chol_[i * d + j] * y[j];
      y[i] = r / chol_[i * d + i];
      q += y[i] * y[i];
    }
    return log_norm_ - 0.5 * q;
  }
  std::vector<double> mean() const override { return mean_; }
  std::vector<double> variance() const override { return var_; }

 private:
  std::vector<double> mean_, chol_, var_;
  double log_norm_ = 0.0;
};

// ---- log_normal -----------------------------------------------------------------------------

class LogNormal final : public Distribution {
 public:
  LogNormal(std::vector<double> mu, std::vector<double> sigma) : mu_(std::move(mu)), sigma_(std::move(sigma)) {}
  std::string name() const override { return "log_normal"; }
  int64_t dim() const override { return int64_t(mu_.size()); }
  void sample_one(Rng& rng, double* out) const override {
    for (size_t i = 0; i < mu_.size(); ++i) out[i] = rng.lognormal(mu_[i], sigma_[i]);
  }
  // Σ [-log x - log σ - ½ log 2π - (log x - μ)² / (2σ²)] for x > 0; -inf for x <= 0 or NaN.
  double log_prob_one(const double* x) const override {
    double lp = 0.0;
    for (size_t i = 0; i < mu_.size(); ++i) {
      if (!(x[i] > 0.0) || std::isinf(x[i])) return -kInf;
      const double lx = std::log(x[i]);
      const double z = (lx - mu_[i]) / sigma_[i];
      lp += -lx - std::log(sigma_[i]) - kHalfLog2Pi - 0.5 * z * z;
    }
    return lp;
  }
  Support support() const override {
    return Support{std::vector<double>(mu_.size(), 0.0), std::vector<double>(mu_.size(), kInf)};
  }
  std::vector<double> mean() const override {
    std::vector<double> m(mu_.size());
    for (size_t i = 0; i < m.size(); ++i) m[i] = std::exp(mu_[i] + 0.5 * sigma_[i] * sigma_[i]);
    return m;
  }
  std::vector<double> variance() const override {
    std::vector<double> v(mu_.size());
    for (size_t i = 0; i < v.size(); ++i) {
      const double s2 = sigma_[i] * sigma_[i];
      v[i] = std::expm1(s2) * std::exp(2.0 * mu_[i] + s2);
    }
    return v;
  }

 private:
  std::vector<double> mu_, sigma_;
};

// ---- gamma_distribution ---------------------------------------------------------------------

class GammaDistribution final : public Distribution {
 public:
  GammaDistribution(std::vector<double> shape, std::vector<double> rate)
      : shape_(std::move(shape)), rate_(std::move(rate)), log_norm_(shape_.size()) {
    // k log r - log Γ(k), computed once here: std::lgamma is not thread-safe on glibc.
    for (size_t i = 0; i < shape_.size(); ++i)
      log_norm_[i] = shape_[i] * std::log(rate_[i]) - std::lgamma(shape_[i]);
  }
  std::string name() const override { return "gamma_distribution"; }
  int64_t dim() const override { return int64_t(shape_.size()); }
  void sample_one(Rng& rng, double* out) const override {
    for (size_t i = 0; i < shape_.size(); ++i) out[i] = rng.gamma(shape_[i]) / rate_[i];
  }
  // Σ [k log r - log Γ(k) + (k - 1) log x - r x] for x > 0. At x = 0 the density is +inf
  // (k < 1), r (k = 1) or 0 (k > 1); x < 0, inf or NaN: -inf.
  double log_prob_one(const double* x) const override {
    double lp = 0.0;
    for (size_t i = 0; i < shape_.size(); ++i) {
      const double k = shape_[i];
      if (!(x[i] >= 0.0) || std::isinf(x[i])) return -kInf;
      if (x[i] == 0.0) {
        if (k < 1.0) return kInf;
        if (k > 1.0) return -kInf;
        lp += std::log(rate_[i]);
        continue;
      }
      lp += log_norm_[i] + (k - 1.0) * std::log(x[i]) - rate_[i] * x[i];
    }
    return lp;
  }
  Support support() const override {
    return Support{std::vector<double>(shape_.size(), 0.0), std::vector<double>(shape_.size(), kInf)};
  }
  std::vector<double> mean() const override {
    std::vector<double> m(shape_.size());
    for (size_t i = 0; i < m.size(); ++i) m[i] = shape_[i] / rate_[i];
    return m;
  }
  std::vector<double> variance() const override {
    std::vector<double> v(shape_.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = shape_[i] / (rate_[i] * rate_[i]);
    return v;
  }

 private:
  std::vector<double> shape_, rate_, log_norm_;
};

}  // namespace

DistributionPtr box_uniform(std::vector<double> lower, std::vector<double> upper) {
  constexpr const char* f = "box_uniform";
  check_nonempty(f, "lower", lower);
  check_same_size(f, "lower", lower, "upper", upper);
  check_finite(f, "lower", lower);
  check_finite(f, "upper", upper);
  for (size_t i = 0; i < lower.size(); ++i) {
    AMOR_CHECK(lower[i] < upper[i], ValueError, f, ": need lower < upper, but lower[", i, "] = ",
               lower[i], " >= upper[", i, "] = ", upper[i]);
    AMOR_CHECK(std::isfinite(upper[i] - lower[i]), ValueError, f, ": the width of axis ", i,
               " overflows (lower = ", lower[i], ", upper = ", upper[i], ")");
  }
  return std::make_shared<BoxUniform>(std::move(lower), std::move(upper));
}

DistributionPtr diag_normal(std::vector<double> mean, std::vector<double> std) {
  constexpr const char* f = "diag_normal";
  check_nonempty(f, "mean", mean);
  check_same_size(f, "mean", mean, "std", std);
  check_finite(f, "mean", mean);
  check_positive(f, "std", std);
  return std::make_shared<DiagNormal>(std::move(mean), std::move(std));
}

DistributionPtr multivariate_normal(std::vector<double> mean, std::vector<std::vector<double>> cov) {
  constexpr const char* f = "multivariate_normal";
  check_nonempty(f, "mean", mean);
  check_finite(f, "mean", mean);
  const size_t d = mean.size();
  AMOR_CHECK(cov.size() == d, ValueError, f, ": `cov` has ", cov.size(), " rows but `mean` has ",
             d, " entries");
  for (size_t i = 0; i < d; ++i) {
    AMOR_CHECK(cov[i].size() == d, ValueError, f, ": `cov` row ", i, " has ", cov[i].size(),
               " entries, expected ", d);
    for (size_t j = 0; j < d; ++j)
      AMOR_CHECK(std::isfinite(cov[i][j]), ValueError, f, ": `cov[", i, "][", j,
                 "]` must be finite, got ", cov[i][j]);
  }
  for (size_t i = 0; i < d; ++i) {
    for (size_t j = 0; j < i; ++j) {
      const double scale = std::sqrt(std::abs(cov[i][i] * cov[j][j]));
      AMOR_CHECK(std::abs(cov[i][j] - cov[j][i]) <= 1e-10 * scale, ValueError, f,
                 ": `cov` is not symmetric: cov[", i, "][", j, "] = ", cov[i][j], " but cov[", j,
                 "][", i, "] = ", cov[j][i]);
    }
  }
  // Cholesky–Banachiewicz on the lower triangle; a non-positive pivot means not SPD.
  std::vector<double> chol(d * d, 0.0);
  for (size_t i = 0; i < d; ++i) {
    for (size_t j = 0; j <= i; ++j) {
      double s = cov[i][j];
      for (size_t k = 0; k < j; ++k) s -= chol[i * d + k] * chol[j * d + k];
      if (i == j) {
        AMOR_CHECK(s > 0.0 && std::isfinite(s), ValueError, f,
                   ": `cov` is not symmetric positive definite (Cholesky pivot ", i, " is ", s, ")");
        chol[i * d + i] = std::sqrt(s);
      } else {
        chol[i * d + j] = s / chol[j * d + j];
      }
    }
  }
  std::vector<double> var(d);
  for (size_t i = 0; i < d; ++i) var[i] = cov[i][i];
  return std::make_shared<MultivariateNormal>(std::move(mean), std::move(chol), std::move(var));
}

DistributionPtr log_normal(std::vector<double> mu, std::vector<double> sigma) {
  constexpr const char* f = "log_normal";
  check_nonempty(f, "mu", mu);
  check_same_size(f, "mu", mu, "sigma", sigma);
  check_finite(f, "mu", mu);
  check_positive(f, "sigma", sigma);
  return std::make_shared<LogNormal>(std::move(mu), std::move(sigma));
}

DistributionPtr gamma_distribution(std::vector<double> shape, std::vector<double> rate) {
  constexpr const char* f = "gamma_distribution";
  check_nonempty(f, "shape", shape);
  check_same_size(f, "shape", shape, "rate", rate);
  check_positive(f, "shape", shape);
  check_positive(f, "rate", rate);
  return std::make_shared<GammaDistribution>(std::move(shape), std::move(rate));
}

}  // namespace amor::sbi

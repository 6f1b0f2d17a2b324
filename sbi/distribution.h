// Distributions over R^d in float64: the priors of the tasks and of user models.
//
// A Distribution draws one vector at a time from an Rng, so batched sampling inherits Rng's
// thread-count independence: row i of sample(n, seed) uses Rng(seed, kPriorStream, i).
// `support()` says where the density is positive; estimators use it to reject leaked samples
// and to pick a bijection to an unconstrained space (logit for boxes, log for positive axes).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "sbi/rng.h"

namespace amor::sbi {

// Per-axis bounds of the support; ±infinity where unbounded.
struct Support {
  std::vector<double> lower, upper;
  bool contains(const double* x) const;  // closed box; false for NaN
  bool bounded() const;                  // any finite bound
};

class Distribution {
 public:
  virtual ~Distribution() = default;
  virtual std::string name() const = 0;
  virtual int64_t dim() const = 0;
  // Writes one draw to out[dim()].
  virtual void sample_one(Rng& rng, double* out) const = 0;
  // log density at x[dim()]; -inf outside the support (never NaN for finite x).
  virtual double log_prob_one(const double* x) const = 0;
  virtual Support support() const;  // default: unbounded
  // Analytic mean and variance when known (used by tests and z-scoring); empty otherwise.
  virtual std::vector<double> mean() const { return {}; }
  virtual std::vector<double> variance() const { return {}; }

  // theta: [n, dim] float64, row i from Rng(seed, kPriorStream, first_index + i); parallel.
  Tensor sample(int64_t n, uint64_t seed, uint64_t first_index = 0) const;
  // theta: [n, dim] (float32 or float64) -> [n] float64. ShapeError on a wrong width.
  Tensor log_prob(const Tensor& theta) const;
};

using DistributionPtr = std::shared_ptr<const Distribution>;

// U(lower, upper) per axis (sbi's BoxUniform). ValueError unless lower < upper, finite.
DistributionPtr box_uniform(std::vector<double> lower, std::vector<double> upper);
// N(mean, diag(std²)).
DistributionPtr diag_normal(std::vector<double> mean, std::vector<double> std);
// N(mean, cov) with a dense covariance (Cholesky at construction; ValueError if not SPD).
DistributionPtr multivariate_normal(std::vector<double> mean, std::vector<std::vector<double>> cov);
// Independent LogNormal(mu_i, sigma_i) per axis (support (0, inf)).
DistributionPtr log_normal(std::vector<double> mu, std::vector<double> sigma);
// Independent Gamma(shape_i, rate_i) per axis.
DistributionPtr gamma_distribution(std::vector<double> shape, std::vector<double> rate);
// The concatenation of independent blocks (sbi's MultipleIndependent).
DistributionPtr product(std::vector<DistributionPtr> parts);

}  // namespace amor::sbi

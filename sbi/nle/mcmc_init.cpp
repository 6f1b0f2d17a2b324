#include "sbi/nle/mcmc_init.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.h"

namespace amor::sbi::nle {

std::vector<int64_t> resample_indices(const std::vector<double>& log_weights, int64_t k, Rng& rng) {
  AMOR_CHECK(k >= 1, ValueError, "importance resampling: number of draws must be >= 1, got ", k);
  double top = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < log_weights.size(); ++i) {
    const double w = log_weights[i];
    AMOR_CHECK(!(std::isinf(w) && w > 0), ValueError, "importance resampling: candidate ", i + 1,
               " has log weight +inf");
    if (std::isfinite(w)) top = std::max(top, w);
  }
  AMOR_CHECK(std::isfinite(top), ValueError, "importance resampling: none of the ", log_weights.size(),
             " candidates has a finite log weight (is the observation possible under the model?)");
  // Cumulative weights relative to the largest (the largest weighs 1, so the total is >= 1).
  std::vector<double> cumulative(log_weights.size());
  double total = 0.0;
  for (size_t i = 0; i < log_weights.size(); ++i) {
    const double w = log_weights[i];
    total += std::isfinite(w) ? std::exp(w - top) : 0.0;
    cumulative[i] = total;
  }
  std::vector<int64_t> picks(static_cast<size_t>(k));
  for (auto& p : picks) {
    const double u = rng.uniform() * total;
    // First index whose cumulative weight exceeds u: zero-weight candidates are never picked.
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
    p = std::min<int64_t>(int64_t(it - cumulative.begin()), int64_t(cumulative.size()) - 1);
    // u rounded up to the total can land past the last positive weight: step back to it.
    while (p > 0 && cumulative[size_t(p)] == cumulative[size_t(p - 1)]) --p;
  }
  return picks;
}

Tensor importance_resample(const Tensor& candidates, const Tensor& log_weights, int64_t k, uint64_t seed) {
  AMOR_CHECK(candidates.defined() && candidates.dim() == 2 && candidates.size(0) >= 1, ShapeError,
             "importance resampling: candidates must be [M, d] with M >= 1, got ",
             candidates.defined() ? candidates.shape().str() : std::string("an undefined tensor"));
  AMOR_CHECK(log_weights.defined() && log_weights.dim() == 1 && log_weights.size(0) == candidates.size(0),
             ShapeError, "importance resampling: log weights must be [", candidates.size(0), "], got ",
             log_weights.defined() ? log_weights.shape().str() : std::string("an undefined tensor"));
  Rng rng(seed, kMcmcInitStream, 0);
  const std::vector<int64_t> idx = resample_indices(log_weights.to(DType::F64).to_vector<double>(), k, rng);
  const Tensor c = candidates.to(DType::F64).contiguous();
  const int64_t d = c.size(1);
  Tensor out = Tensor::empty({k, d}, DType::F64);
  for (int64_t i = 0; i < k; ++i)
    std::copy(c.data<double>() + idx[size_t(i)] * d, c.data<double>() + (idx[size_t(i)] + 1) * d,
              out.data<double>() + i * d);
  return out;
}

}  // namespace amor::sbi::nle

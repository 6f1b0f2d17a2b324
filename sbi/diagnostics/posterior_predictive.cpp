#include "sbi/diagnostics/posterior_predictive.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "sbi/simulator.h"

namespace amor::sbi {

PosteriorPredictive posterior_predictive(const Task& task, Posterior& posterior, const Tensor& x_o, int64_t n,
                                         uint64_t seed) {
  AMOR_CHECK(n >= 1, ValueError, "posterior_predictive: n must be at least 1, got ", n);
  const int64_t d = task.theta_dim(), dx = task.x_dim();
  AMOR_CHECK(posterior.theta_dim() == d && posterior.x_dim() == dx, ValueError,
             "posterior_predictive: the posterior takes θ[", posterior.theta_dim(), "] and x[", posterior.x_dim(),
             "] but task '", task.name(), "' has θ[", d, "] and x[", dx, "]");
  AMOR_CHECK(x_o.numel() == dx, ShapeError, "posterior_predictive: x_o has ", x_o.numel(), " entries, task '",
             task.name(), "' has x[", dx, "]");
  PosteriorPredictive p;
  p.theta = posterior.sample(x_o.reshape({1, dx}), n, seed).to(DType::F64).contiguous();
  p.x = simulate(*task.simulator(), p.theta, seed + 1);
  const Tensor ok = finite_rows(p.x);
  for (int64_t i = 0; i < n; ++i) p.num_invalid += ok.data<bool>()[i] ? 0 : 1;
  return p;
}

Tensor column_quantiles(const Tensor& x, const std::vector<double>& levels) {
  AMOR_CHECK(x.dim() == 2, ShapeError, "column_quantiles: x must be [n, k], got ", x.shape());
  for (double q : levels)
    AMOR_CHECK(q >= 0.0 && q <= 1.0, ValueError, "column_quantiles: level ", q, " is outside [0, 1]");
  const Tensor xc = x.to(DType::F64).contiguous();
  const int64_t n = xc.size(0), k = xc.size(1);
  const double* p = xc.data<double>();
  std::vector<double> out(levels.size() * size_t(k), std::numeric_limits<double>::quiet_NaN());
  std::vector<double> col;
  for (int64_t j = 0; j < k; ++j) {
    col.clear();
    for (int64_t i = 0; i < n; ++i)
      if (std::isfinite(p[i * k + j])) col.push_back(p[i * k + j]);
    if (col.empty()) continue;
    std::sort(col.begin(), col.end());
    for (size_t l = 0; l < levels.size(); ++l) {
      const double pos = levels[l] * double(col.size() - 1);
      const size_t lo = size_t(std::floor(pos)), hi = std::min(lo + 1, col.size() - 1);
      out[l * size_t(k) + size_t(j)] = col[lo] + (pos - double(lo)) * (col[hi] - col[lo]);
    }
  }
  return from_vector(out, Shape{int64_t(levels.size()), k});
}

double predictive_interval_coverage(const Tensor& x, const Tensor& x_o, double level) {
  AMOR_CHECK(level > 0.0 && level < 1.0, ValueError, "predictive_interval_coverage: level ", level,
             " is outside (0, 1)");
  AMOR_CHECK(x.dim() == 2 && x_o.numel() == x.size(1), ShapeError, "predictive_interval_coverage: x ", x.shape(),
             " and x_o ", x_o.shape(), " do not match");
  const Tensor q = column_quantiles(x, {0.5 - 0.5 * level, 0.5 + 0.5 * level});
  const Tensor o = x_o.to(DType::F64).contiguous();
  const int64_t k = x.size(1);
  int64_t inside = 0;
  for (int64_t j = 0; j < k; ++j) {
    const double v = o.data<double>()[j], lo = q.data<double>()[j], hi = q.data<double>()[k + j];
    inside += (v >= lo && v <= hi) ? 1 : 0;
  }
  return double(inside) / double(k);
}

}  // namespace amor::sbi

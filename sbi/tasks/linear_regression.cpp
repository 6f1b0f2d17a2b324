#include "sbi/tasks/linear_regression.h"

#include <vector>

#include "core/error.h"

namespace amor::sbi::tasks {

GenerativeModel linear_regression_model(const LinearRegressionOptions& options) {
  const int64_t lo = options.min_points, hi = options.max_points;
  AMOR_CHECK(lo >= 1 && lo <= hi, ValueError,
             "linear_regression_model: need 1 <= min_points <= max_points, got min_points = ", lo,
             ", max_points = ", hi);
  auto meta = [lo, hi](Rng& rng) { return Values{{"N", double(rng.randint(lo, hi + 1))}}; };
  auto prior = [](Rng& rng, const Values&) {
    const double b0 = rng.normal(2.0, 3.0), b1 = rng.normal(0.0, 1.0);
    return Values{{"beta", std::vector<double>{b0, b1}},
                  {"sigma", std::vector<double>{rng.gamma(1.0)}}};  // shape [1]
  };
  auto likelihood = [](Rng& rng, const Values& v) {
    const auto n = static_cast<size_t>(v.scalar("N"));
    const double b0 = v.get("beta", 0), b1 = v.get("beta", 1), sigma = v.scalar("sigma");
    std::vector<double> x(n), y(n);
    for (size_t j = 0; j < n; ++j) {
      x[j] = rng.normal();
      y[j] = rng.normal(b0 + b1 * x[j], sigma);
    }
    return Values{{"x", std::move(x)}, {"y", std::move(y)}};
  };
  return GenerativeModel(prior, likelihood, meta);
}

}  // namespace amor::sbi::tasks

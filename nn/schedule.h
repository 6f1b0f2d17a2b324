// Learning-rate schedules: functions from the step number (0-based) to a learning rate, built
// from small pieces and composed:
//   constant(1e-3).then(linear(1e-3, 1e-6, 15000), 15000)   // the Simformer recipe
//   warmup(1000) * cosine(3e-4, 0, 50000)
#pragma once

#include <cstdint>
#include <functional>

namespace amor::nn {

class Schedule {
 public:
  explicit Schedule(std::function<double(int64_t)> f) : f_(std::move(f)) {}
  double operator()(int64_t step) const { return f_(step); }
  // This schedule until `boundary`, then `next` evaluated at (step − boundary).
  Schedule then(Schedule next, int64_t boundary) const;
  // Pointwise product (e.g. a warm-up factor times a decay).
  friend Schedule operator*(const Schedule& a, const Schedule& b);

 private:
  std::function<double(int64_t)> f_;
};

Schedule constant(double value);
// Linear from `from` to `to` over `steps` steps, then held at `to`.
Schedule linear(double from, double to, int64_t steps);
// Cosine from `from` to `to` over `steps` steps, then held at `to`.
Schedule cosine(double from, double to, int64_t steps);
// A factor rising linearly from 1/steps to 1 over the first `steps` steps, then 1.
Schedule warmup(int64_t steps);

}  // namespace amor::nn

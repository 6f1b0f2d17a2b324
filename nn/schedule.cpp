#include "nn/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.h"

namespace amor::nn {

Schedule Schedule::then(Schedule next, int64_t boundary) const {
  AMOR_CHECK(boundary >= 0, ValueError, "Schedule::then: boundary must be >= 0, got ", boundary);
  auto first = f_;
  return Schedule([first, next, boundary](int64_t s) { return s < boundary ? first(s) : next(s - boundary); });
}

Schedule operator*(const Schedule& a, const Schedule& b) {
  return Schedule([a, b](int64_t s) { return a(s) * b(s); });
}

Schedule constant(double value) {
  return Schedule([value](int64_t) { return value; });
}

Schedule linear(double from, double to, int64_t steps) {
  AMOR_CHECK(steps > 0, ValueError, "linear schedule: steps must be positive, got ", steps);
  return Schedule([=](int64_t s) {
    double f = std::clamp(double(s) / double(steps), 0.0, 1.0);
    return std::lerp(from, to, f);  // exactly `from` at 0 and exactly `to` from `steps` on
  });
}

Schedule cosine(double from, double to, int64_t steps) {
  AMOR_CHECK(steps > 0, ValueError, "cosine schedule: steps must be positive, got ", steps);
  return Schedule([=](int64_t s) {
    double f = std::clamp(double(s) / double(steps), 0.0, 1.0);
    return std::lerp(to, from, 0.5 * (1.0 + std::cos(std::numbers::pi * f)));  // exact at both ends
  });
}

Schedule warmup(int64_t steps) {
  AMOR_CHECK(steps > 0, ValueError, "warmup: steps must be positive, got ", steps);
  return Schedule([steps](int64_t s) { return s >= steps ? 1.0 : double(s + 1) / double(steps); });
}

}  // namespace amor::nn

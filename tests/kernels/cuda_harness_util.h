// Helpers for running kernels/cuda device code through the CPU execution harness and comparing it
// with the kernels/cpu twins. Include before any kernels/cuda/*.cuh (it includes the harness,
// which defines the CUDA keywords).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cuda_harness/harness.h"
#include "kernels/cuda/kernel_support.cuh"

namespace amor::kernels::cuda::testing {

using cuda_harness::Schedule;

// The `launch` callable of a kernel family's run_* plan, on the CPU harness.
struct HarnessLaunch {
  Schedule schedule = Schedule::kInOrder;
  uint64_t seed = 0;

  template <class... Params, class... Args>
  void operator()(const LaunchShape& s, void (*kernel)(Params...), Args... args) const {
    cuda_harness::LaunchConfig c;
    c.grid = s.grid;
    c.block = s.block;
    c.dynamic_shared_bytes = s.shared_bytes;
    c.schedule = schedule;
    c.seed = seed;
    cuda_harness::launch(c, kernel, args...);
  }
};

// The three orders every kernel is run under: results must agree bit for bit (a difference is
// a race between barriers).
inline std::vector<HarnessLaunch> all_schedules(uint64_t seed) {
  return {{Schedule::kInOrder, 0}, {Schedule::kReverse, 0}, {Schedule::kShuffled, seed}};
}

inline const char* schedule_name(Schedule s) {
  switch (s) {
    case Schedule::kInOrder: return "in-order";
    case Schedule::kReverse: return "reverse";
    case Schedule::kShuffled: return "shuffled";
  }
  return "?";
}

// |got - want| <= atol + rtol·|want|, with equal infinities and NaN = NaN.
inline bool close(double got, double want, double atol, double rtol) {
  if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got);
  if (std::isinf(want) || std::isinf(got)) return got == want;
  return std::fabs(got - want) <= atol + rtol * std::fabs(want);
}

// Tolerances against the CPU twin (aesthetics.md §3.6: both sides are float32 computations
// with different summation orders and exp implementations).
template <class T>
struct Tol;
template <>
struct Tol<float> {
  static constexpr double atol = 2e-6, rtol = 1e-5;
};
template <>
struct Tol<double> {
  static constexpr double atol = 1e-13, rtol = 1e-12;
};

// Element-wise comparison; reports the first few mismatches. `scale` multiplies atol (the
// magnitude of the quantity, for sums that cancel).
template <class T>
void expect_close(const char* what, const std::vector<T>& got, const std::vector<T>& want,
                  double scale = 1.0) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!close(double(got[i]), double(want[i]), Tol<T>::atol * scale, Tol<T>::rtol)) {
      if (bad++ < 5)
        ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", want " << want[i];
    }
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << got.size() << " elements differ";
}

// Bitwise equality (NaN payloads included) of two runs under different schedules.
template <class T>
void expect_identical(const char* what, const std::vector<T>& a, const std::vector<T>& b) {
  ASSERT_EQ(a.size(), b.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0 && bad++ < 5)
      ADD_FAILURE() << what << "[" << i << "]: " << a[i] << " vs " << b[i];
  EXPECT_EQ(bad, 0) << what << " depends on the schedule: a race between barriers";
}

inline double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double e : v) m = std::isfinite(e) ? std::max(m, std::fabs(e)) : m;
  return m;
}

}  // namespace amor::kernels::cuda::testing

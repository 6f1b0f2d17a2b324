// Element-wise comparisons of kernel outputs (a GPU or harness-run kernel against its
// kernels/cpu twin; two runs that must agree bit for bit). No CUDA or harness dependency.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace amor::kernels::testing {

// n values uniform in [lo, hi), drawn as doubles and rounded to T.
template <class T>
std::vector<T> random_values(size_t n, std::mt19937& rng, double lo = -2, double hi = 2) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<T> v(n);
  for (auto& e : v) e = T(u(rng));
  return v;
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
                  double scale = 1.0, double atol = Tol<T>::atol, double rtol = Tol<T>::rtol) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!close(double(got[i]), double(want[i]), atol * scale, rtol)) {
      if (bad++ < 5)
        ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", want " << want[i];
    }
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << got.size() << " elements differ";
}

// Bitwise equality (NaN payloads included) of two runs (different schedules, repeated launches).
template <class T>
void expect_identical(const char* what, const std::vector<T>& a, const std::vector<T>& b) {
  ASSERT_EQ(a.size(), b.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0 && bad++ < 5)
      ADD_FAILURE() << what << "[" << i << "]: " << a[i] << " vs " << b[i];
  EXPECT_EQ(bad, 0) << what << ": two runs that must agree bit for bit differ (through the harness:\n"
                       "a race between barriers; on a GPU: non-determinism)";
}

inline double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double e : v) m = std::isfinite(e) ? std::max(m, std::fabs(e)) : m;
  return m;
}

}  // namespace amor::kernels::testing

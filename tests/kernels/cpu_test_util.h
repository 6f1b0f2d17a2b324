// Helpers for the CPU kernel tests: random inputs, the [outer, n, inner] shapes every axis kernel
// is checked on, guarded output buffers, and an OpenMP thread-count guard.
#pragma once

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace amor::kernels::cpu::testing {

using ::testing::Types;
using FloatTypes = Types<float, double>;

struct AxisShape {
  int64_t outer, n, inner;
  int64_t numel() const { return outer * n * inner; }
  std::string str() const {
    std::ostringstream os;  // (not string operator+: GCC 12 warns falsely with -Wrestrict)
    os << "[" << outer << ", " << n << ", " << inner << "]";
    return os.str();
  }
};

// Edge cases (size 1 and 0 in every position, tiles that straddle kTile, long rows), then
// random shapes.
inline std::vector<AxisShape> axis_shapes(uint32_t seed = 1) {
  std::vector<AxisShape> shapes = {
      {1, 1, 1},    {1, 7, 1},    {3, 1, 5},  {1, 1, 9},   {4, 33, 1},   {2, 17, 3},
      {5, 300, 70}, {1, 64, 64},  {2, 3, 65}, {1, 257, 1}, {3, 1000, 1}, {1, 20000, 1},
      {1, 9000, 3}, {2, 40, 130}, {0, 4, 3},  {3, 0, 2},   {2, 5, 0},    {1, 0, 1},
  };
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> small(1, 9), mid(1, 200);
  for (int i = 0; i < 12; ++i)
    shapes.push_back({small(rng), mid(rng), small(rng) == 1 ? 1 : mid(rng)});
  return shapes;
}

template <class T>
std::vector<T> random_vector(int64_t n, std::mt19937& rng, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<T> v(static_cast<size_t>(n));
  for (auto& e : v) e = static_cast<T>(dist(rng));
  return v;
}

// An output buffer with sentinel guards on both sides, to catch out-of-range writes.
template <class T>
class Guarded {
 public:
  static constexpr int64_t kGuard = 16;
  explicit Guarded(int64_t n, T fill = T(-12345))
      : data_(static_cast<size_t>(n + 2 * kGuard), fill), n_(n), fill_(fill) {}
  T* data() { return data_.data() + kGuard; }
  T operator[](int64_t i) const { return data_[static_cast<size_t>(kGuard + i)]; }
  int64_t size() const { return n_; }
  std::vector<T> vec() const { return {data_.begin() + kGuard, data_.begin() + kGuard + n_}; }
  bool guards_intact() const {
    for (int64_t i = 0; i < kGuard; ++i)
      if (!same(data_[static_cast<size_t>(i)]) ||
          !same(data_[static_cast<size_t>(kGuard + n_ + i)]))
        return false;
    return true;
  }

 private:
  bool same(T v) const { return v == fill_; }
  std::vector<T> data_;
  int64_t n_;
  T fill_;
};

// Sets the OpenMP thread count for a scope.
class ThreadCount {
 public:
  explicit ThreadCount(int n) : saved_(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~ThreadCount() { omp_set_num_threads(saved_); }
  ThreadCount(const ThreadCount&) = delete;
  ThreadCount& operator=(const ThreadCount&) = delete;

 private:
  int saved_;
};

// NaN matches NaN, infinities must match exactly, finite values within atol + rtol * |ref|.
inline bool close(long double got, long double ref, long double atol, long double rtol) {
  if (std::isnan(ref)) return std::isnan(got);
  if (std::isinf(ref)) return got == ref;
  return std::fabs(got - ref) <= atol + rtol * std::fabs(ref);
}

template <class T>
constexpr long double eps() {
  return static_cast<long double>(std::numeric_limits<T>::epsilon());
}

template <class T>
bool bitwise_equal(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

}  // namespace amor::kernels::cpu::testing

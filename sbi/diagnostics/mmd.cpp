#include "sbi/diagnostics/mmd.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"

namespace amor::sbi {

namespace {

struct Rows {
  std::vector<double> v;  // [n, d] row-major
  int64_t n = 0, d = 0;
  const double* row(int64_t i) const { return v.data() + i * d; }
};

Rows to_rows(const Tensor& t, const char* op, const char* what) {
  AMOR_CHECK(t.defined() && t.dim() == 2, ShapeError, op, ": ", what, " must be [n, d], got ",
             t.defined() ? t.str() : std::string("undefined"));
  AMOR_CHECK(t.dtype() == DType::F32 || t.dtype() == DType::F64, DTypeError, op, ": ", what,
             " must be float32 or float64, got ", t.str());
  Rows r{t.to(DType::F64).contiguous().to_vector<double>(), t.size(0), t.size(1)};
  for (size_t i = 0; i < r.v.size(); ++i)
    AMOR_CHECK(std::isfinite(r.v[i]), ValueError, op, ": ", what, " has a non-finite value at row ",
               int64_t(i) / std::max<int64_t>(r.d, 1), " (sbibm would return NaN)");
  return r;
}

double sq_dist(const double* a, const double* b, int64_t d) {
  double s = 0.0;
  for (int64_t k = 0; k < d; ++k) {
    const double t = a[k] - b[k];
    s += t * t;
  }
  return s;
}

constexpr int64_t kParallelRows = 64;  // below this, one thread

// Lower median of the squared pairwise distances of the rows (monotone in the distance, so the
// median distance is its square root). Pass 1: the maximum; pass 2: a histogram of 2^16
// buckets; pass 3: the values in the median's bucket, then nth_element.
double median_sq_pairwise(const Rows& z) {
  const int64_t n = z.n, d = z.d;
  const int64_t pairs = n * (n - 1) / 2;
  const int64_t want = (pairs - 1) / 2;  // 0-based rank of the lower median
  const bool par = n >= kParallelRows;
  double max_sq = 0.0;
#pragma omp parallel for schedule(dynamic, 16) reduction(max : max_sq) if (par)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) max_sq = std::max(max_sq, sq_dist(z.row(i), z.row(j), d));
  if (max_sq == 0.0) return 0.0;
  constexpr int64_t kBuckets = 1 << 16;
  const double scale = double(kBuckets) / max_sq;
  auto bucket = [&](double v) { return std::min<int64_t>(int64_t(v * scale), kBuckets - 1); };
  std::vector<int64_t> counts(kBuckets, 0);
#pragma omp parallel if (par)
  {
    std::vector<int64_t> local(kBuckets, 0);
#pragma omp for schedule(dynamic, 16) nowait
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = i + 1; j < n; ++j) ++local[size_t(bucket(sq_dist(z.row(i), z.row(j), d)))];
#pragma omp critical
    for (int64_t b = 0; b < kBuckets; ++b) counts[size_t(b)] += local[size_t(b)];  // integers
  }
  int64_t target = 0, below = 0;
  for (; target < kBuckets; ++target) {
    if (below + counts[size_t(target)] > want) break;
    below += counts[size_t(target)];
  }
  std::vector<double> in_bucket;
  in_bucket.reserve(size_t(counts[size_t(target)]));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) {
      const double v = sq_dist(z.row(i), z.row(j), d);
      if (bucket(v) == target) in_bucket.push_back(v);
    }
  const size_t k = size_t(want - below);
  std::nth_element(in_bucket.begin(), in_bucket.begin() + std::ptrdiff_t(k), in_bucket.end());
  return in_bucket[k];
}

// Σ_{i, j} k(a_i, b_j) (skipping i == j when `same`), rows in parallel, summed in row order.
double kernel_sum(const Rows& a, const Rows& b, double gamma, bool same) {
  std::vector<double> row_sums(size_t(a.n), 0.0);
#pragma omp parallel for schedule(dynamic, 16) if (a.n * b.n >= kParallelRows * kParallelRows)
  for (int64_t i = 0; i < a.n; ++i) {
    double s = 0.0;
    for (int64_t j = 0; j < b.n; ++j) {
      if (same && i == j) continue;
      s += std::exp(-gamma * sq_dist(a.row(i), b.row(j), a.d));
    }
    row_sums[size_t(i)] = s;
  }
  double total = 0.0;
  for (double s : row_sums) total += s;
  return total;
}

}  // namespace

double median_pairwise_distance(const Tensor& z) {
  const Rows r = to_rows(z, "median_pairwise_distance", "z");
  AMOR_CHECK(r.n >= 2, ValueError, "median_pairwise_distance: need at least 2 rows, got ", r.n);
  return std::sqrt(median_sq_pairwise(r));
}

double mmd2_unbiased(const Tensor& x, const Tensor& y, const MmdOptions& options) {
  Rows X = to_rows(x, "mmd2_unbiased", "x");
  Rows Y = to_rows(y, "mmd2_unbiased", "y");
  AMOR_CHECK(X.d == Y.d, ShapeError, "mmd2_unbiased: x ", x.str(), " and y ", y.str(),
             " have different dimensions");
  AMOR_CHECK(X.n >= 2 && Y.n >= 2, ValueError,
             "mmd2_unbiased: each set needs at least 2 rows, got ", X.n, " and ", Y.n);
  if (options.z_score) {
    for (int64_t k = 0; k < X.d; ++k) {
      double mean = 0.0;
      for (int64_t i = 0; i < X.n; ++i) mean += X.v[size_t(i * X.d + k)];
      mean /= double(X.n);
      double ss = 0.0;
      for (int64_t i = 0; i < X.n; ++i) ss += std::pow(X.v[size_t(i * X.d + k)] - mean, 2);
      const double sd = std::sqrt(ss / double(X.n - 1));
      AMOR_CHECK(sd > 0.0, ValueError, "mmd2_unbiased: z_score with a constant column ", k,
                 " in x");
      for (int64_t i = 0; i < X.n; ++i) X.v[size_t(i * X.d + k)] = (X.v[size_t(i * X.d + k)] - mean) / sd;
      for (int64_t i = 0; i < Y.n; ++i) Y.v[size_t(i * Y.d + k)] = (Y.v[size_t(i * Y.d + k)] - mean) / sd;
    }
  }
  double sigma = options.sigma;
  if (sigma <= 0.0) {
    if (options.bandwidth == MmdBandwidth::X) {
      sigma = std::sqrt(median_sq_pairwise(X));
    } else {
      Rows XY{X.v, X.n + Y.n, X.d};
      XY.v.insert(XY.v.end(), Y.v.begin(), Y.v.end());
      sigma = std::sqrt(median_sq_pairwise(XY));
    }
  }
  AMOR_CHECK(sigma > 0.0 && std::isfinite(sigma), ValueError,
             "mmd2_unbiased: the kernel bandwidth is ", sigma,
             " (all pairwise distances are zero?); pass MmdOptions::sigma");
  const double gamma = 1.0 / (2.0 * sigma * sigma);
  const double nx = double(X.n), ny = double(Y.n);
  const double kxx = kernel_sum(X, X, gamma, true) / (nx * (nx - 1.0));
  const double kyy = kernel_sum(Y, Y, gamma, true) / (ny * (ny - 1.0));
  const double kxy = kernel_sum(X, Y, gamma, false) / (nx * ny);
  return kxx + kyy - 2.0 * kxy;
}

}  // namespace amor::sbi

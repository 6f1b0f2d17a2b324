#include "sbi/diagnostics/ecdf_bands.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/random.h"
#include "sbi/diagnostics/special_functions.h"

namespace amor::sbi {

namespace {

// c_k = #{values <= z_k} for ascending z and sorted values.
void counts_at(const double* sorted, int64_t n, const std::vector<double>& z, int32_t* c) {
  int64_t i = 0;
  for (size_t k = 0; k < z.size(); ++k) {
    while (i < n && sorted[i] <= z[k]) ++i;
    c[k] = int32_t(i);
  }
}

void check_points(const std::vector<double>& z, const char* op) {
  for (size_t k = 0; k < z.size(); ++k) {
    AMOR_CHECK(z[k] >= 0.0 && z[k] <= 1.0, ValueError, op, ": evaluation points must lie in",
               " [0, 1], got ", z[k]);
    AMOR_CHECK(k == 0 || z[k] >= z[k - 1], ValueError, op, ": evaluation points must ascend");
  }
}

}  // namespace

std::vector<double> ecdf_at(std::vector<double> values, const std::vector<double>& z) {
  check_points(z, "ecdf_at");
  std::sort(values.begin(), values.end());
  std::vector<int32_t> c(z.size());
  counts_at(values.data(), int64_t(values.size()), z, c.data());
  std::vector<double> f(z.size());
  for (size_t k = 0; k < z.size(); ++k) f[k] = double(c[k]) / double(values.size());
  return f;
}

double ecdf_gamma(const std::vector<double>& values, const std::vector<double>& z) {
  AMOR_CHECK(!values.empty(), ValueError, "ecdf_gamma: no values");
  check_points(z, "ecdf_gamma");
  const int64_t N = int64_t(values.size());
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int32_t> c(z.size());
  counts_at(sorted.data(), N, z, c.data());
  double g = std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < z.size(); ++k)
    g = std::min({g, special::binom_cdf(c[k], N, z[k]), special::binom_sf_ge(c[k], N, z[k])});
  return 2.0 * g;
}

EcdfBands simultaneous_ecdf_bands(int64_t num_samples, const EcdfBandOptions& options) {
  const int64_t N = num_samples;
  AMOR_CHECK(N >= 1 && N < std::numeric_limits<int32_t>::max(), ValueError,
             "simultaneous_ecdf_bands: num_samples must be in [1, 2^31), got ", N);
  AMOR_CHECK(options.confidence > 0.0 && options.confidence < 1.0, ValueError,
             "simultaneous_ecdf_bands: confidence must lie in (0, 1), got ", options.confidence);
  AMOR_CHECK(options.num_simulations >= 1, ValueError,
             "simultaneous_ecdf_bands: num_simulations must be >= 1, got ", options.num_simulations);
  AMOR_CHECK(options.eps >= 0.0 && options.eps < 0.5, ValueError,
             "simultaneous_ecdf_bands: eps must lie in [0, 0.5), got ", options.eps);
  const int64_t K = !options.points.empty() ? int64_t(options.points.size())
                                            : std::min(options.num_points > 0 ? options.num_points : N,
                                                       std::max<int64_t>(options.max_num_points, 1));
  const int64_t M = options.num_simulations;
  EcdfBands out;
  out.num_samples = N;
  out.confidence = options.confidence;
  if (!options.points.empty()) {
    check_points(options.points, "simultaneous_ecdf_bands");
    out.z = options.points;
  } else {
    out.z.resize(size_t(K));
    for (int64_t k = 0; k < K; ++k)
      out.z[size_t(k)] = K == 1 ? 0.5
                                : options.eps + (1.0 - 2.0 * options.eps) * double(k) / double(K - 1);
  }

  // Counts c[m][k] of each simulated sample at each point.
  // Drawn in blocks of rows (the same stream, so the same numbers as one [M, N] draw would give
  // row by row): M can reach 10^5 when the confidence is high, and M·N doubles at once would not
  // stay small.
  Generator gen(options.seed, /*stream=*/0x5b0ecdfULL);
  std::vector<int32_t> counts(size_t(M * K));
  const int64_t block = std::max<int64_t>(1, std::min<int64_t>(M, (int64_t(1) << 20) / N));
  for (int64_t m0 = 0; m0 < M; m0 += block) {
    const int64_t rows = std::min(block, M - m0);
    std::vector<double> all = rand(Shape{rows, N}, gen, TensorOptions{.dtype = DType::F64}).to_vector<double>();
    for (int64_t m = 0; m < rows; ++m) {
      double* row = all.data() + m * N;
      std::sort(row, row + N);
      counts_at(row, N, out.z, counts.data() + (m0 + m) * K);
    }
  }

  // γ_m = 2·min_k min(cdf(c), sf(c)) with the binomial(N, z_k) tails tabulated once per k
  // from the pmf (sums of positive terms, accurate in both tails).
  std::vector<double> lgam(size_t(N + 2));
  for (int64_t i = 0; i <= N + 1; ++i) lgam[size_t(i)] = std::lgamma(double(i));
  std::vector<double> gmin(size_t(M), std::numeric_limits<double>::infinity());
  std::vector<double> pmf(size_t(N + 1)), tail(size_t(N + 1));
  for (int64_t k = 0; k < K; ++k) {
    const double z = out.z[size_t(k)];
    for (int64_t c = 0; c <= N; ++c) {
      const double logp =
          lgam[size_t(N + 1)] - lgam[size_t(c + 1)] - lgam[size_t(N - c + 1)] +
          (c > 0 ? double(c) * std::log(z) : 0.0) + (N - c > 0 ? double(N - c) * std::log1p(-z) : 0.0);
      pmf[size_t(c)] = std::exp(logp);
    }
    double below = 0.0;
    for (int64_t c = 0; c <= N; ++c) {  // tail[c] = P(X <= c) for now
      below += pmf[size_t(c)];
      tail[size_t(c)] = below;
    }
    double above = 0.0;
    for (int64_t c = N; c >= 0; --c) {  // tail[c] = min(P(X <= c), P(X >= c))
      above += pmf[size_t(c)];
      tail[size_t(c)] = std::min(std::min(tail[size_t(c)], 1.0), std::min(above, 1.0));
    }
    for (int64_t m = 0; m < M; ++m)
      gmin[size_t(m)] = std::min(gmin[size_t(m)], tail[size_t(counts[size_t(m * K + k)])]);
  }
  for (double& g : gmin) g *= 2.0;

  // The (1 - confidence) quantile, numpy.percentile's linear interpolation.
  std::sort(gmin.begin(), gmin.end());
  const double pos = (1.0 - options.confidence) * double(M - 1);
  const int64_t lo = int64_t(std::floor(pos));
  const int64_t hi = std::min(lo + 1, M - 1);
  out.gamma = gmin[size_t(lo)] + (pos - double(lo)) * (gmin[size_t(hi)] - gmin[size_t(lo)]);

  out.lower.resize(size_t(K));
  out.upper.resize(size_t(K));
  for (int64_t k = 0; k < K; ++k) {
    const double z = out.z[size_t(k)];
    out.lower[size_t(k)] = double(std::max<int64_t>(special::binom_ppf(out.gamma / 2, N, z), 0)) / double(N);
    out.upper[size_t(k)] = double(special::binom_ppf(1.0 - out.gamma / 2, N, z)) / double(N);
  }
  return out;
}

}  // namespace amor::sbi

#include "apps/plot/density.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

namespace amor::plot {

double quantile(std::vector<double> values, double q) {
  std::erase_if(values, [](double v) { return !std::isfinite(v); });
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const size_t k = static_cast<size_t>(std::floor(pos));
  const double frac = pos - static_cast<double>(k);
  if (k + 1 >= values.size()) return values.back();
  return values[k] + (values[k + 1] - values[k]) * frac;
}

Range display_range(const std::vector<const std::vector<double>*>& columns, double tail,
                    double pad) {
  double lo = INFINITY, hi = -INFINITY;
  for (const std::vector<double>* col : columns) {
    if (!col || col->empty()) continue;
    const double a = quantile(*col, tail), b = quantile(*col, 1.0 - tail);
    if (std::isfinite(a)) lo = std::min(lo, a);
    if (std::isfinite(b)) hi = std::max(hi, b);
  }
  if (!(lo <= hi)) return {0.0, 1.0};
  if (hi - lo <= 1e-12 * std::max(1.0, std::abs(lo))) {
    const double half = std::max(0.5, 0.1 * std::abs(lo));
    return {lo - half, hi + half};
  }
  const double w = (hi - lo) * pad;
  return {lo - w, hi + w};
}

std::vector<double> histogram(const std::vector<double>& values, const Range& r, int bins,
                              bool density) {
  std::vector<double> h(static_cast<size_t>(std::max(bins, 1)), 0.0);
  const double width = r.span() / static_cast<double>(h.size());
  double n = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    n += 1;
    if (v < r.lo || v > r.hi) continue;
    const auto k = std::min(static_cast<size_t>((v - r.lo) / width), h.size() - 1);
    h[k] += 1;
  }
  if (density && n > 0)
    for (double& c : h) c /= n * width;
  return h;
}

double scott_bandwidth(const std::vector<double>& values, int dim) {
  double n = 0, mean = 0, m2 = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    n += 1;
    const double d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }
  if (n < 2) return 0.0;
  return std::sqrt(m2 / (n - 1)) * std::pow(n, -1.0 / (dim + 4.0));
}

double local_scale(const std::vector<double>& values) {
  std::vector<double> v;
  v.reserve(values.size());
  for (double x : values)
    if (std::isfinite(x)) v.push_back(x);
  const size_t n = v.size();
  if (n < 3) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t k = std::max<size_t>(1, static_cast<size_t>(std::sqrt(static_cast<double>(n)) / 2));
  std::vector<double> spacing;
  spacing.reserve(n - k);
  for (size_t i = 0; i + k < n; ++i) spacing.push_back(v[i + k] - v[i]);
  const double med = quantile(std::move(spacing), 0.5);
  if (!(med > 0)) {
    // Scott's bandwidth for dim = 0 is sigma * n^(-1/4); undo the factor.
    return scott_bandwidth(v, 0) * std::pow(static_cast<double>(n), 0.25);
  }
  // 3.147 = sqrt(2 pi) exp(median(chi2_1) / 2): the median of 1 / f(x) in units of sigma.
  return med * static_cast<double>(n) / static_cast<double>(k) / 3.147;
}

double Grid::max() const { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); }

namespace {

// Blurs `count` values spaced `stride` apart starting at data[0] with a truncated Gaussian.
void blur_line(double* data, int count, int stride, const std::vector<double>& kernel,
               std::vector<double>& scratch) {
  const int half = static_cast<int>(kernel.size() / 2);
  scratch.assign(static_cast<size_t>(count), 0.0);
  for (int i = 0; i < count; ++i) {
    const double v = data[static_cast<ptrdiff_t>(i) * stride];
    if (v == 0.0) continue;
    for (int k = -half; k <= half; ++k) {
      const int j = i + k;
      if (j >= 0 && j < count) scratch[static_cast<size_t>(j)] += v * kernel[static_cast<size_t>(k + half)];
    }
  }
  for (int i = 0; i < count; ++i) data[static_cast<ptrdiff_t>(i) * stride] = scratch[static_cast<size_t>(i)];
}

std::vector<double> gaussian_kernel(double sigma) {
  if (!(sigma > 0.05)) return {1.0};
  const int half = static_cast<int>(std::ceil(3.0 * sigma));
  std::vector<double> k(static_cast<size_t>(2 * half + 1));
  for (int i = -half; i <= half; ++i) k[static_cast<size_t>(i + half)] = std::exp(-0.5 * i * i / (sigma * sigma));
  const double s = std::accumulate(k.begin(), k.end(), 0.0);
  for (double& v : k) v /= s;
  return k;
}

}  // namespace

Grid density_grid(const std::vector<double>& x, const std::vector<double>& y, const Range& rx,
                  const Range& ry, int nx, int ny, double sigma_x_cells, double sigma_y_cells) {
  Grid g{std::max(nx, 1), std::max(ny, 1), {}};
  g.v.assign(static_cast<size_t>(g.nx) * g.ny, 0.0);
  const size_t n = std::min(x.size(), y.size());
  double total = 0;
  for (size_t k = 0; k < n; ++k) {
    if (!std::isfinite(x[k]) || !std::isfinite(y[k])) continue;
    total += 1;
    if (x[k] < rx.lo || x[k] > rx.hi || y[k] < ry.lo || y[k] > ry.hi) continue;
    const int i = std::min(static_cast<int>((x[k] - rx.lo) / rx.span() * g.nx), g.nx - 1);
    const int j = std::min(static_cast<int>((y[k] - ry.lo) / ry.span() * g.ny), g.ny - 1);
    g.at(i, j) += 1;
  }
  std::vector<double> scratch;
  const std::vector<double> kx = gaussian_kernel(sigma_x_cells), ky = gaussian_kernel(sigma_y_cells);
  for (int j = 0; j < g.ny; ++j) blur_line(&g.at(0, j), g.nx, 1, kx, scratch);
  for (int i = 0; i < g.nx; ++i) blur_line(&g.at(i, 0), g.ny, g.nx, ky, scratch);
  if (total > 0)
    for (double& v : g.v) v /= total;
  return g;
}

std::vector<double> mass_levels(const Grid& g, const std::vector<double>& masses) {
  std::vector<double> sorted = g.v;
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  const double total = std::accumulate(sorted.begin(), sorted.end(), 0.0);
  std::vector<double> out;
  for (double m : masses) {
    double cum = 0, level = sorted.empty() ? 0.0 : sorted.back();
    for (double v : sorted) {
      cum += v;
      if (cum >= m * total) {
        level = v;
        break;
      }
    }
    out.push_back(level);
  }
  return out;
}

}  // namespace amor::plot

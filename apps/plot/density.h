// Density estimates for the plots: display ranges, 1-D histograms, and 2-D densities on a grid
// (a histogram smoothed by a Gaussian: a binned kernel density estimate), with the density
// thresholds that enclose given probability masses (the levels of highest-density regions).
#pragma once

#include <cstddef>
#include <vector>

namespace amor::plot {

struct Range {
  double lo = 0.0, hi = 1.0;
  double span() const { return hi - lo; }
};

// q-quantile (linear interpolation) of the finite values; NaN when there are none.
double quantile(std::vector<double> values, double q);

// Covers the [tail, 1 - tail] quantiles of the finite values of every column given (so a few
// stray samples do not squeeze the plot), widened by `pad` of the span on both sides; a column
// with a single value gets a unit-wide range around it. Columns may be empty.
Range display_range(const std::vector<const std::vector<double>*>& columns, double tail = 0.001,
                    double pad = 0.1);

// Counts of the values in `bins` equal bins over r (values outside are left out), divided by
// n * bin width when `density` (n: every finite value, inside r or not).
std::vector<double> histogram(const std::vector<double>& values, const Range& r, int bins,
                              bool density);

// Scott's rule bandwidth sigma * n^(-1 / (dim + 4)) of the finite values (0 when fewer than 2).
double scott_bandwidth(const std::vector<double>& values, int dim);

// A local spread of the finite values that a few well-separated modes do not inflate (the
// standard deviation of a two-moons marginal is ten times the width of either mode). From the
// spacings of the sorted values: x(i+k) - x(i) ~ k / (n f), whose median over i is 3.147 sigma
// k / n for a Gaussian (f at the median of chi-square(1)); so it equals sigma for Gaussian data,
// and for m equal separated modes it is about m times one mode's sigma. Falls back to the
// standard deviation when the median spacing is 0 (many tied values); 0 for fewer than 3 values.
double local_scale(const std::vector<double>& values);

// Values on nx x ny cells over rx x ry; cell (i, j) spans x bin i and y bin j (j = 0 at the
// bottom, rx.lo/ry.lo).
struct Grid {
  int nx = 0, ny = 0;
  std::vector<double> v;  // [ny * nx]
  double at(int i, int j) const { return v[static_cast<size_t>(j) * nx + i]; }
  double& at(int i, int j) { return v[static_cast<size_t>(j) * nx + i]; }
  double max() const;
};

// 2-D histogram of (x, y) smoothed by a Gaussian with the given standard deviations (in cells),
// normalised to sum to the fraction of the pairs that fall inside the grid.
Grid density_grid(const std::vector<double>& x, const std::vector<double>& y, const Range& rx,
                  const Range& ry, int nx, int ny, double sigma_x_cells, double sigma_y_cells);

// For each mass m in (0, 1): the largest threshold t such that the cells with values >= t hold
// at least a fraction m of the grid's total (the m highest-density region). Decreasing in m.
std::vector<double> mass_levels(const Grid& g, const std::vector<double>& masses);

}  // namespace amor::plot

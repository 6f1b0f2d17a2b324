// Posterior predictive check plot: for each time series in x, the predictive median and its
// central 50% and 90% bands over time (from simulations at posterior draws), with the observed
// values as dots. One panel per series.
#pragma once

#include <string>
#include <vector>

#include "apps/plot/figure.h"

namespace amor::plot {

struct PredictiveSeries {
  std::string name;
  std::vector<double> times;                     // [k], increasing
  std::vector<double> q05, q25, q50, q75, q95;   // [k] predictive quantiles
  std::vector<double> observed;                  // [k]; NaN: not observed (no dot)
};

// ValueError for no series, a series with no points, vectors of different lengths, or
// non-finite times.
Figure predictive_plot(const std::vector<PredictiveSeries>& series, const std::string& title);

}  // namespace amor::plot

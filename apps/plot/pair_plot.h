// Pair (corner) plot of posterior samples: the marginal histogram of each variable on the
// diagonal, the 2-D density of each pair below it (a smoothed density image with the 68% and 95%
// highest-density contours), and optionally a reference sample set overlaid in a second colour
// (its histogram outline and its contours) and true values marked by lines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "apps/plot/figure.h"

namespace amor::plot {

// A sample table: `values` is [rows, names.size()] row-major.
struct SampleTable {
  std::vector<std::string> names;
  std::vector<double> values;
  int64_t rows() const {
    return names.empty() ? 0 : static_cast<int64_t>(values.size() / names.size());
  }
  std::vector<double> column(size_t j) const;
};

struct PairPlotOptions {
  std::string samples_label = "samples";
  std::string reference_label = "reference";
  std::string title;
  std::vector<double> truth;  // one value per variable, or empty
  double panel_size = 0.0;    // figure units; 0 chooses by the number of variables
};

// ValueError when `samples` is empty or `reference` has another number of columns.
Figure pair_plot(const SampleTable& samples, const SampleTable* reference,
                 const PairPlotOptions& options = {});

}  // namespace amor::plot

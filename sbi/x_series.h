// Tasks whose x is made of time series (sird: I, R, D over time) say so through this mix-in,
// found with dynamic_cast<const XSeriesLayout*>(task) (as ConditionalSampler is for posteriors).
// Posterior predictive plots draw one panel per series over time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace amor::sbi {

// One time series inside x: its name, the time of each point and the x columns (0-based)
// holding them, in the same order.
struct XSeries {
  std::string name;
  std::vector<double> times;
  std::vector<int64_t> columns;
};

class XSeriesLayout {
 public:
  virtual ~XSeriesLayout() = default;
  virtual std::vector<XSeries> x_series() const = 0;
};

}  // namespace amor::sbi

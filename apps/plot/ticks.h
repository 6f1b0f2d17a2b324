// Axis ticks at "nice" numbers (1, 2, 2.5 or 5 times a power of ten) and their labels.
#pragma once

#include <string>
#include <vector>

namespace amor::plot {

struct Ticks {
  std::vector<double> values;
  std::vector<std::string> labels;  // UTF-8; negative numbers use the minus sign U+2212
};

// At most `max_ticks` (>= 2) ticks inside [lo, hi], as many as fit; one shared number of
// decimals; scientific notation when the numbers are very large or the step very small.
Ticks nice_ticks(double lo, double hi, int max_ticks);

// `v` with `decimals` decimals, U+2212 for the sign, no "-0".
std::string format_fixed(double v, int decimals);

}  // namespace amor::plot

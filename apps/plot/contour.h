// Iso-lines of a grid (marching squares), joined into polylines.
#pragma once

#include <vector>

#include "apps/plot/density.h"
#include "apps/plot/figure.h"

namespace amor::plot {

// The curves where `g` crosses `level`, in grid coordinates: the centre of cell (i, j) is
// (i + 0.5, j + 0.5), y growing with j. Values outside the grid count as 0, so for level > 0 every
// curve is closed (its last point equals its first). Saddle cells are resolved by the mean of
// their four corners.
std::vector<std::vector<Point>> contour_lines(const Grid& g, double level);

}  // namespace amor::plot

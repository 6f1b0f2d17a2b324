// Anti-aliased coverage masks for the raster renderer, in pixel coordinates (pixel (c, r) covers
// [c, c+1) x [r, r+1)).
//
// fill_coverage: the exact area of each pixel covered by a set of polygons under the non-zero
// rule (winding numbers above 1 count once). Every polygon edge is cut where it crosses a pixel
// row or column; each piece then adds its signed height times the part of its pixel to its right
// to that pixel, and its whole signed height to every pixel further right (a prefix sum per row).
//
// stroke_coverage: polylines of a given width as the union of one capsule per segment (round
// joins), each pixel taking the largest coverage any segment gives it: coverage is the stroke's
// half-width + 1/2 minus the distance from the pixel centre, clamped to [0, 1] — exact for
// straight edges at least a pixel long, and the max keeps joins from darkening twice.
#pragma once

#include <vector>

#include "apps/plot/figure.h"

namespace amor::plot {

// A coverage mask over the pixel box [x0, x0 + w) x [y0, y0 + h).
struct CoverageMask {
  int x0 = 0, y0 = 0, w = 0, h = 0;
  std::vector<float> cov;  // [h * w], row-major, in [0, 1]
  float at(int x, int y) const { return cov[static_cast<size_t>(y - y0) * w + (x - x0)]; }
};

// Integer pixel box; a mask is computed only inside it (the canvas, or the clip rectangle).
struct PixelBox {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // [x0, x1) x [y0, y1)
  bool empty() const { return x1 <= x0 || y1 <= y0; }
};

// polygons: closed rings (the closing edge is implied), pixel units.
CoverageMask fill_coverage(const std::vector<std::vector<Point>>& polygons, const PixelBox& box);

// polylines: open point lists, pixel units; `butt` makes the two ends of each polyline square
// (flush with the end point) instead of round. Interior joins are always round.
CoverageMask stroke_coverage(const std::vector<std::vector<Point>>& polylines, double width,
                             bool butt, const PixelBox& box);

// Splits a polyline into its dashes: `pattern` holds on/off lengths (same units as the points).
std::vector<std::vector<Point>> apply_dash(const std::vector<Point>& polyline,
                                           const std::vector<double>& pattern);

}  // namespace amor::plot

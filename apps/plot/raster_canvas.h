// Rasterises a Figure into an RGBA image: `scale` pixels per figure unit (2 gives a 144-dpi
// image of a figure measured in points). Anti-aliased (see rasterizer.h); colours are composited
// with straight "over" blending in sRGB, like SVG viewers do.
#pragma once

#include "apps/plot/figure.h"
#include "apps/plot/png.h"

namespace amor::plot {

RgbaImage render_raster(const Figure& figure, double scale = 2.0);

}  // namespace amor::plot

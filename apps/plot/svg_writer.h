// Writes a Figure as an SVG 1.1 document (one <svg> element, width/height in pt, a viewBox in
// figure units). Paths become <path>, text <text> in a sans-serif font, images an <image> holding
// an embedded PNG, clips <clipPath> elements.
#pragma once

#include <string>

#include "apps/plot/figure.h"

namespace amor::plot {

std::string to_svg(const Figure& figure);

}  // namespace amor::plot

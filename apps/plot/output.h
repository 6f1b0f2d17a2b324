// Saving figures and other outputs: the format follows the file extension (.svg or .png), and
// every file is written to `path + ".tmp"` first and renamed into place, so an error never
// leaves a half-written file behind.
#pragma once

#include <string>

#include "apps/plot/figure.h"

namespace amor::plot {

// Pixels per point in PNG output (2: 144 dpi).
inline constexpr double kPngScale = 2.0;

// ValueError for an extension other than .svg/.png (case-insensitive); IOError naming the path
// when it cannot be written.
void save_figure(const Figure& figure, const std::string& path, double png_scale = kPngScale);
// True when `path` ends in .svg or .png.
bool is_figure_path(const std::string& path);

}  // namespace amor::plot

#include "apps/plot/output.h"

#include <algorithm>
#include <cctype>

#include "apps/plot/png.h"
#include "apps/plot/raster_canvas.h"
#include "apps/plot/svg_writer.h"
#include "core/error.h"
#include "core/file_io.h"

namespace amor::plot {

namespace {

std::string lower_extension(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return {};
  std::string ext = path.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

}  // namespace

bool is_figure_path(const std::string& path) {
  const std::string ext = lower_extension(path);
  return ext == ".svg" || ext == ".png";
}

void save_figure(const Figure& figure, const std::string& path, double png_scale) {
  const std::string ext = lower_extension(path);
  if (ext == ".svg") {
    write_file_atomically(path, to_svg(figure), "plot");
  } else if (ext == ".png") {
    const std::vector<uint8_t> bytes = encode_png(render_raster(figure, png_scale));
    write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), "plot");
  } else {
    throw ValueError(detail::concat("cannot tell the image format of '", path,
                                    "': use a .svg or .png extension"));
  }
}

}  // namespace amor::plot

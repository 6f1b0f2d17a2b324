#include "apps/plot/output.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "apps/plot/png.h"
#include "apps/plot/raster_canvas.h"
#include "apps/plot/svg_writer.h"
#include "core/error.h"

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

void write_file_atomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw IOError(detail::concat("cannot write '", path, "': ", std::strerror(errno)));
  const bool wrote = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const int err = errno;
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed) {
    std::remove(tmp.c_str());
    throw IOError(detail::concat("cannot write '", path, "': ", std::strerror(err ? err : EIO)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rerr = errno;
    std::remove(tmp.c_str());
    throw IOError(detail::concat("cannot write '", path, "': ", std::strerror(rerr)));
  }
}

void save_figure(const Figure& figure, const std::string& path, double png_scale) {
  const std::string ext = lower_extension(path);
  if (ext == ".svg") {
    write_file_atomically(path, to_svg(figure));
  } else if (ext == ".png") {
    const std::vector<uint8_t> bytes = encode_png(render_raster(figure, png_scale));
    write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } else {
    throw ValueError(detail::concat("cannot tell the image format of '", path,
                                    "': use a .svg or .png extension"));
  }
}

}  // namespace amor::plot

#include "apps/plot/png.h"

#include <png.h>

#include <cstring>

#include "core/file_io.h"
#include "core/error.h"

namespace amor::plot {

namespace {

png_image describe(const RgbaImage& image) {
  AMOR_CHECK(image.width > 0 && image.height > 0 &&
                 image.rgba.size() == static_cast<size_t>(image.width) * image.height * 4,
             ValueError, "png: image of ", image.width, " x ", image.height, " has ",
             image.rgba.size(), " bytes");
  png_image desc;
  std::memset(&desc, 0, sizeof desc);
  desc.version = PNG_IMAGE_VERSION;
  desc.width = static_cast<png_uint_32>(image.width);
  desc.height = static_cast<png_uint_32>(image.height);
  desc.format = PNG_FORMAT_RGBA;
  return desc;
}

}  // namespace

std::vector<uint8_t> encode_png(const RgbaImage& image) {
  png_image desc = describe(image);
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&desc, nullptr, &size, 0, image.rgba.data(), 0, nullptr))
    throw IOError(detail::concat("png: cannot encode image: ", desc.message));
  std::vector<uint8_t> out(size);
  if (!png_image_write_to_memory(&desc, out.data(), &size, 0, image.rgba.data(), 0, nullptr))
    throw IOError(detail::concat("png: cannot encode image: ", desc.message));
  out.resize(size);
  return out;
}

void write_png(const RgbaImage& image, const std::string& path) {
  const std::vector<uint8_t> bytes = encode_png(image);
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), "write_png");
}

RgbaImage read_png(const std::string& path) {
  png_image desc;
  std::memset(&desc, 0, sizeof desc);
  desc.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&desc, path.c_str()))
    throw IOError(detail::concat("cannot read PNG '", path, "': ", desc.message));
  desc.format = PNG_FORMAT_RGBA;
  RgbaImage img;
  img.width = static_cast<int>(desc.width);
  img.height = static_cast<int>(desc.height);
  img.rgba.resize(PNG_IMAGE_SIZE(desc));
  if (!png_image_finish_read(&desc, nullptr, img.rgba.data(), 0, nullptr)) {
    png_image_free(&desc);
    throw IOError(detail::concat("cannot read PNG '", path, "': ", desc.message));
  }
  return img;
}

}  // namespace amor::plot

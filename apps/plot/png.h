// PNG encoding and decoding through libpng's simplified API (8-bit RGBA, sRGB).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace amor::plot {

struct RgbaImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgba;  // [height * width * 4], row-major, top row first
};

// IOError naming the path when the file cannot be written (the file is written to a temporary
// name and renamed into place, so a failure never leaves a torn file).
void write_png(const RgbaImage& image, const std::string& path);
std::vector<uint8_t> encode_png(const RgbaImage& image);
// IOError naming the path when it is missing or not a PNG.
RgbaImage read_png(const std::string& path);

}  // namespace amor::plot

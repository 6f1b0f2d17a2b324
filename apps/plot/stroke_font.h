// StrokeFont: a small single-stroke sans-serif font for the raster renderer (PNG output needs
// no font files at run time). Each glyph is a few polylines on a grid where the baseline is y = 0,
// capitals and digits are 10 units tall, lower case 7, descenders reach -3, and 14 units make an
// em. The glyphs are drawn with round caps at kStrokeEm of the size, which gives a regular weight.
//
// Covered: printable ASCII, θ (U+03B8), the minus sign (U+2212), × (U+00D7), · (U+00B7) and
// ± (U+00B1); anything else is drawn as an open box of the width of an 'n'.
#pragma once

#include <string>
#include <vector>

#include "apps/plot/figure.h"

namespace amor::plot {

class StrokeFont {
 public:
  static constexpr double kUnitsPerEm = 14.0;
  static constexpr double kStrokeEm = 0.078;  // stroke width / size
  static constexpr double kCapHeightEm = 10.0 / kUnitsPerEm;
  static constexpr double kXHeightEm = 7.0 / kUnitsPerEm;
  static constexpr double kDescentEm = 3.0 / kUnitsPerEm;
  static constexpr double kTracking = 0.45;  // font units added after every glyph

  static const StrokeFont& instance();

  // Advance width of the whole string at `size`.
  double width(const std::string& utf8, double size) const;
  // The strokes of `utf8` set at `size` with the left end of the baseline at the origin, in
  // figure orientation (y down). Rotation and alignment are the caller's.
  std::vector<std::vector<Point>> strokes(const std::string& utf8, double size) const;

 private:
  struct Glyph {
    double advance = 0;                          // font units
    std::vector<std::vector<Point>> polylines;   // font units, y up
  };
  StrokeFont();
  const Glyph& glyph(char32_t c) const;

  std::vector<std::pair<char32_t, Glyph>> glyphs_;  // sorted by code point
  Glyph missing_;
};

// Decodes UTF-8 (malformed bytes become U+FFFD).
std::u32string decode_utf8(const std::string& s);

}  // namespace amor::plot

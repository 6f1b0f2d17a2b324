#include "apps/plot/stroke_font.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <sstream>

#include "core/error.h"

namespace amor::plot {

namespace {

// Glyph outlines, in font units with y up (see stroke_font.h for the grid). Commands:
//   M x,y                 start a polyline at (x, y)
//   L x,y                 line to (x, y)
//   a cx,cy,rx,ry,a0,a1   start a polyline with an elliptical arc from angle a0 to a1 (degrees,
//                         counter-clockwise positive; a1 < a0 runs clockwise)
//   A cx,cy,rx,ry,a0,a1   the same arc, continuing the current polyline
//   D x,y                 a dot (a very short stroke) centred at (x, y)
struct GlyphSource {
  char32_t code;
  double advance;
  const char* outline;
};

// clang-format off
const GlyphSource kGlyphs[] = {
  {U' ', 3.0, ""},
  {U'!', 2.4, "M 1.2,10 L 1.2,3.2 D 1.2,0.55"},
  {U'"', 3.6, "M 1.0,10 L 1.0,7.2 M 2.6,10 L 2.6,7.2"},
  {U'#', 7.0, "M 2.6,10 L 1.8,0 M 5.2,10 L 4.4,0 M 0.8,6.6 L 6.4,6.6 M 0.6,3.4 L 6.2,3.4"},
  {U'$', 6.8, "a 3.4,7.0,2.3,2.0,25,270 A 3.4,3.0,2.5,2.0,90,-155 M 3.4,10.4 L 3.4,-0.4"},
  {U'%', 9.0, "a 2.3,7.7,1.5,2.3,0,360 a 6.7,2.3,1.5,2.3,0,360 M 1.4,0 L 7.6,10"},
  {U'&', 7.6, "M 6.6,0 L 2.2,6.0 L 1.8,7.0 L 1.9,8.8 L 2.8,9.9 L 4.0,9.9 L 4.8,8.9 L 4.8,7.8 "
              "L 4.0,6.8 L 1.6,5.0 L 0.9,3.6 L 0.9,2.0 L 1.7,0.5 L 2.9,0 L 4.2,0.2 L 5.4,1.2 "
              "L 6.6,3.8"},
  {U'\'', 2.0, "M 1.0,10 L 1.0,7.2"},
  {U'(', 3.6, "a 5.4,3.7,4.0,7.4,122,238"},
  {U')', 3.6, "a -1.8,3.7,4.0,7.4,58,-58"},
  {U'*', 5.0, "M 2.5,10 L 2.5,5.6 M 0.6,9.0 L 4.4,6.6 M 4.4,9.0 L 0.6,6.6"},
  {U'+', 6.4, "M 1,4.2 L 5.4,4.2 M 3.2,2.0 L 3.2,6.4"},
  {U',', 2.4, "M 1.4,0.6 L 0.7,-1.6"},
  {U'-', 4.4, "M 0.8,3.8 L 3.6,3.8"},
  {U'.', 2.4, "D 1.2,0.55"},
  {U'/', 4.6, "M 0.4,-1.6 L 4.2,10.4"},
  {U'0', 7.0, "a 3.5,5,2.6,5,0,360"},
  {U'1', 7.0, "M 1.6,7.8 L 4.0,10 L 4.0,0"},
  {U'2', 7.0, "a 3.5,7.4,2.5,2.6,165,-38 L 1.0,0 L 6.2,0"},
  {U'3', 7.0, "a 3.5,7.5,2.4,2.5,155,-90 A 3.5,2.5,2.7,2.5,90,-155"},
  {U'4', 7.0, "M 4.9,0 L 4.9,10 L 0.6,3.0 L 6.6,3.0"},
  {U'5', 7.0, "M 5.9,10 L 1.8,10 L 1.42,5.34 A 3.45,3.25,2.65,3.25,140,-145"},
  {U'6', 7.0, "a 3.5,3.1,2.5,3.1,180,540 A 5.6,3.1,4.6,6.9,180,100"},
  {U'7', 7.0, "M 0.9,10 L 6.1,10 L 2.5,0"},
  {U'8', 7.0, "a 3.5,7.6,2.2,2.4,-90,270 a 3.5,2.6,2.6,2.6,90,450"},
  {U'9', 7.0, "a 3.5,6.9,2.5,3.1,0,360 A 1.4,6.9,4.6,6.9,0,-80"},
  {U':', 2.4, "D 1.2,0.55 D 1.2,6.3"},
  {U';', 2.4, "D 1.3,6.3 M 1.4,0.6 L 0.7,-1.6"},
  {U'<', 6.4, "M 5.2,7.2 L 1.2,4.2 L 5.2,1.2"},
  {U'=', 6.4, "M 1,5.3 L 5.4,5.3 M 1,3.1 L 5.4,3.1"},
  {U'>', 6.4, "M 1.2,7.2 L 5.2,4.2 L 1.2,1.2"},
  {U'?', 5.6, "a 2.8,7.6,2.2,2.4,160,-80 L 2.8,4.6 L 2.8,3.0 D 2.8,0.55"},
  {U'@', 10.0, "a 4.9,4.3,1.6,2.1,0,360 M 6.5,6.4 L 6.5,3.0 A 7.6,3.0,1.1,1.3,180,360 "
               "A 5.0,4.3,3.7,5.3,0,300"},
  {U'A', 7.4, "M 0.5,0 L 3.7,10 L 6.9,0 M 1.6,3.3 L 5.8,3.3"},
  {U'B', 7.0, "M 1,0 L 1,10 L 4.0,10 A 4.0,7.6,2.1,2.4,90,-90 L 1,5.2 M 4.0,5.2 "
              "A 4.2,2.6,2.5,2.6,90,-90 L 1,0"},
  {U'C', 7.2, "a 4.0,5,3.0,5,48,312"},
  {U'D', 7.6, "M 1,0 L 1,10 L 3.4,10 A 3.4,5,3.3,5,90,-90 L 1,0"},
  {U'E', 6.4, "M 5.8,10 L 1,10 L 1,0 L 5.8,0 M 1,5.1 L 5.2,5.1"},
  {U'F', 6.2, "M 5.8,10 L 1,10 L 1,0 M 1,5.1 L 5.2,5.1"},
  {U'G', 7.8, "a 4.1,5,3.1,5,48,340 L 7.1,4.8 L 4.4,4.8"},
  {U'H', 7.6, "M 1,0 L 1,10 M 6.6,0 L 6.6,10 M 1,5.1 L 6.6,5.1"},
  {U'I', 2.6, "M 1.3,0 L 1.3,10"},
  {U'J', 5.4, "M 4.4,10 L 4.4,2.8 A 2.6,2.8,1.8,2.8,0,-165"},
  {U'K', 7.0, "M 1,0 L 1,10 M 6.4,10 L 1,3.8 M 2.9,6.0 L 6.6,0"},
  {U'L', 6.0, "M 1,10 L 1,0 L 5.7,0"},
  {U'M', 9.0, "M 1,0 L 1,10 L 4.5,1.0 L 8.0,10 L 8.0,0"},
  {U'N', 7.6, "M 1,0 L 1,10 L 6.6,0 L 6.6,10"},
  {U'O', 8.2, "a 4.1,5,3.2,5,0,360"},
  {U'P', 7.0, "M 1,0 L 1,10 L 4.2,10 A 4.2,7.3,2.4,2.7,90,-90 L 1,4.6"},
  {U'Q', 8.2, "a 4.1,5,3.2,5,0,360 M 4.8,2.6 L 7.6,-0.6"},
  {U'R', 7.2, "M 1,0 L 1,10 L 4.2,10 A 4.2,7.3,2.4,2.7,90,-90 L 1,4.6 M 4.0,4.6 L 6.6,0"},
  {U'S', 6.8, "a 3.4,7.5,2.4,2.5,25,270 A 3.4,2.5,2.6,2.5,90,-155"},
  {U'T', 6.8, "M 0.4,10 L 6.4,10 M 3.4,10 L 3.4,0"},
  {U'U', 7.6, "M 1,10 L 1,3.3 A 3.8,3.3,2.8,3.3,180,360 L 6.6,10"},
  {U'V', 7.2, "M 0.4,10 L 3.6,0 L 6.8,10"},
  {U'W', 10.2, "M 0.4,10 L 2.7,0 L 5.1,8.6 L 7.5,0 L 9.8,10"},
  {U'X', 7.0, "M 0.6,10 L 6.4,0 M 6.4,10 L 0.6,0"},
  {U'Y', 7.0, "M 0.4,10 L 3.5,5 L 6.6,10 M 3.5,5 L 3.5,0"},
  {U'Z', 6.8, "M 0.8,10 L 6.0,10 L 0.8,0 L 6.2,0"},
  {U'[', 3.6, "M 2.9,10.4 L 1.3,10.4 L 1.3,-2.6 L 2.9,-2.6"},
  {U'\\', 4.6, "M 0.4,10.4 L 4.2,-1.6"},
  {U']', 3.6, "M 0.7,10.4 L 2.3,10.4 L 2.3,-2.6 L 0.7,-2.6"},
  {U'^', 5.0, "M 0.8,6.6 L 2.5,10 L 4.2,6.6"},
  {U'_', 6.0, "M 0.2,-1.5 L 5.8,-1.5"},
  {U'`', 3.0, "M 0.8,10.2 L 2.0,8.6"},
  {U'a', 6.4, "a 3.0,3.5,2.3,3.5,0,360 M 5.3,7 L 5.3,0"},
  {U'b', 6.5, "M 1,10.4 L 1,0 a 3.3,3.5,2.3,3.5,0,360"},
  {U'c', 5.8, "a 3.2,3.5,2.4,3.5,42,318"},
  {U'd', 6.5, "a 3.2,3.5,2.3,3.5,0,360 M 5.5,10.4 L 5.5,0"},
  {U'e', 6.2, "M 0.8,3.5 L 5.5,3.5 A 3.15,3.5,2.35,3.5,0,318"},
  {U'f', 4.2, "M 3.9,9.9 A 3.3,8.7,1.3,1.5,62,180 L 2.0,0 M 0.4,7 L 3.8,7"},
  {U'g', 6.5, "a 3.2,3.5,2.3,3.5,0,360 M 5.5,7 L 5.5,-0.7 A 3.2,-0.7,2.3,2.3,0,-160"},
  {U'h', 6.4, "M 1,10.4 L 1,0 a 3.2,4.6,2.2,2.4,170,0 L 5.4,0"},
  {U'i', 2.2, "M 1.1,0 L 1.1,7 D 1.1,9.5"},
  {U'j', 2.6, "M 1.5,7 L 1.5,-1.5 A 0.3,-1.5,1.2,1.5,0,-120 D 1.5,9.5"},
  {U'k', 5.8, "M 1,10.4 L 1,0 M 5.2,7 L 1,2.7 M 2.6,4.3 L 5.4,0"},
  {U'l', 2.2, "M 1.1,10.4 L 1.1,0"},
  {U'm', 9.6, "M 1,7 L 1,0 a 2.95,4.7,1.95,2.3,170,0 L 4.9,0 a 6.75,4.7,1.85,2.3,180,0 L 8.6,0"},
  {U'n', 6.4, "M 1,7 L 1,0 a 3.2,4.6,2.2,2.4,170,0 L 5.4,0"},
  {U'o', 6.4, "a 3.2,3.5,2.4,3.5,0,360"},
  {U'p', 6.5, "M 1,7 L 1,-3 a 3.3,3.5,2.3,3.5,0,360"},
  {U'q', 6.5, "a 3.2,3.5,2.3,3.5,0,360 M 5.5,7 L 5.5,-3"},
  {U'r', 4.4, "M 1,7 L 1,0 a 3.5,4.4,2.5,2.6,168,78"},
  {U's', 5.6, "a 2.8,5.25,1.95,1.75,25,270 A 2.8,1.75,2.1,1.75,90,-155"},
  {U't', 4.2, "M 1.8,9.2 L 1.8,1.5 A 3.3,1.5,1.5,1.5,180,285 M 0.4,7 L 3.8,7"},
  {U'u', 6.4, "M 1,7 L 1,2.4 A 3.2,2.4,2.2,2.4,180,360 M 5.4,7 L 5.4,0"},
  {U'v', 6.0, "M 0.4,7 L 3.0,0 L 5.6,7"},
  {U'w', 8.8, "M 0.4,7 L 2.3,0 L 4.4,6 L 6.5,0 L 8.4,7"},
  {U'x', 5.8, "M 0.6,7 L 5.2,0 M 5.2,7 L 0.6,0"},
  {U'y', 6.0, "M 0.4,7 L 3.0,0 M 5.6,7 L 2.3,-2.0 L 1.8,-2.7 L 1.2,-3.0 L 0.6,-3.0"},
  {U'z', 5.6, "M 0.8,7 L 4.8,7 L 0.8,0 L 5.0,0"},
  {U'{', 3.8, "M 3.2,10.4 L 2.6,10.4 L 2.0,9.6 L 2.0,4.8 L 1.0,3.9 L 2.0,3.0 L 2.0,-1.8 "
              "L 2.6,-2.6 L 3.2,-2.6"},
  {U'|', 2.4, "M 1.2,10.4 L 1.2,-2.6"},
  {U'}', 3.8, "M 0.6,10.4 L 1.2,10.4 L 1.8,9.6 L 1.8,4.8 L 2.8,3.9 L 1.8,3.0 L 1.8,-1.8 "
              "L 1.2,-2.6 L 0.6,-2.6"},
  {U'~', 6.4, "M 1.0,3.6 L 1.8,4.6 L 2.6,4.8 L 3.8,3.8 L 4.6,3.6 L 5.4,4.6"},
  {U'\u00b1', 6.4, "M 1,5.0 L 5.4,5.0 M 3.2,2.8 L 3.2,7.2 M 1,0.8 L 5.4,0.8"},  // ±
  {U'\u00b7', 2.4, "D 1.2,4.0"},                                                 // ·
  {U'\u00d7', 6.4, "M 1.4,2.4 L 5.0,6.0 M 5.0,2.4 L 1.4,6.0"},                    // ×
  {U'\u03b8', 6.4, "a 3.2,5.2,2.4,5.2,0,360 M 0.8,5.2 L 5.6,5.2"},               // θ
  {U'\u2212', 6.4, "M 1,4.2 L 5.4,4.2"},                                          // −
};
// clang-format on

// Parses one outline (a compile-time table: a malformed entry is a bug in this file).
std::vector<std::vector<Point>> parse_outline(const char* src, char32_t code) {
  std::vector<std::vector<Point>> lines;
  std::istringstream in(src);
  std::string cmd, args;
  while (in >> cmd) {
    AMOR_INTERNAL_CHECK(in >> args, "stroke font glyph U+", static_cast<unsigned>(code));
    std::vector<double> v;
    std::istringstream as(args);
    for (std::string num; std::getline(as, num, ',');) v.push_back(std::strtod(num.c_str(), nullptr));
    const char c = cmd[0];
    if (c == 'M' || c == 'L' || c == 'D') {
      AMOR_INTERNAL_CHECK(v.size() == 2, "stroke font glyph U+", static_cast<unsigned>(code));
      if (c == 'M') lines.push_back({{v[0], v[1]}});
      else if (c == 'L') lines.back().push_back({v[0], v[1]});
      else lines.push_back({{v[0], v[1] - 0.15}, {v[0], v[1] + 0.15}});
    } else {
      AMOR_INTERNAL_CHECK((c == 'a' || c == 'A') && v.size() == 6, "stroke font glyph U+",
                          static_cast<unsigned>(code));
      if (c == 'a' || lines.empty()) lines.emplace_back();
      const double span = v[5] - v[4];
      const int steps = std::max(2, static_cast<int>(std::ceil(std::abs(span) / 8.0)));
      for (int i = 0; i <= steps; ++i) {
        const double t = (v[4] + span * i / steps) * std::numbers::pi / 180.0;
        lines.back().push_back({v[0] + v[2] * std::cos(t), v[1] + v[3] * std::sin(t)});
      }
    }
  }
  return lines;
}

}  // namespace

std::u32string decode_utf8(const std::string& s) {
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int extra = 0;
    char32_t cp = 0;
    if (b0 < 0x80) { cp = b0; }
    else if ((b0 & 0xe0) == 0xc0) { cp = b0 & 0x1f; extra = 1; }
    else if ((b0 & 0xf0) == 0xe0) { cp = b0 & 0x0f; extra = 2; }
    else if ((b0 & 0xf8) == 0xf0) { cp = b0 & 0x07; extra = 3; }
    else { out.push_back(0xfffd); ++i; continue; }
    if (i + static_cast<size_t>(extra) >= s.size()) {  // truncated sequence
      out.push_back(0xfffd);
      break;
    }
    bool ok = true;
    for (int k = 1; k <= extra; ++k) {
      const auto b = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((b & 0xc0) != 0x80) { ok = false; break; }
      cp = (cp << 6) | (b & 0x3f);
    }
    if (!ok) { out.push_back(0xfffd); ++i; continue; }
    out.push_back(cp);
    i += static_cast<size_t>(extra) + 1;
  }
  return out;
}

StrokeFont::StrokeFont() {
  for (const GlyphSource& g : kGlyphs)
    glyphs_.push_back({g.code, Glyph{g.advance, parse_outline(g.outline, g.code)}});
  std::sort(glyphs_.begin(), glyphs_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  missing_ = Glyph{6.0, parse_outline("M 1,0 L 1,7 L 5,7 L 5,0 L 1,0", 0)};
}

const StrokeFont& StrokeFont::instance() {
  static const StrokeFont font;
  return font;
}

const StrokeFont::Glyph& StrokeFont::glyph(char32_t c) const {
  auto it = std::lower_bound(glyphs_.begin(), glyphs_.end(), c,
                             [](const auto& entry, char32_t key) { return entry.first < key; });
  return (it != glyphs_.end() && it->first == c) ? it->second : missing_;
}

double StrokeFont::width(const std::string& utf8, double size) const {
  double units = 0;
  for (char32_t c : decode_utf8(utf8)) units += glyph(c).advance + kTracking;
  return units * size / kUnitsPerEm;
}

std::vector<std::vector<Point>> StrokeFont::strokes(const std::string& utf8, double size) const {
  const double scale = size / kUnitsPerEm;
  std::vector<std::vector<Point>> out;
  double pen = 0;
  for (char32_t c : decode_utf8(utf8)) {
    const Glyph& g = glyph(c);
    for (const auto& line : g.polylines) {
      std::vector<Point> pts;
      pts.reserve(line.size());
      for (const Point& p : line) pts.push_back({(pen + p.x) * scale, -p.y * scale});
      out.push_back(std::move(pts));
    }
    pen += g.advance + kTracking;
  }
  return out;
}

}  // namespace amor::plot

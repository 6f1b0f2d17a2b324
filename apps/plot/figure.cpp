#include "apps/plot/figure.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

#include "apps/plot/stroke_font.h"
#include "core/error.h"

namespace amor::plot {

Color Color::rgb(uint32_t hex, float alpha) {
  return {static_cast<float>((hex >> 16) & 0xff) / 255.0f,
          static_cast<float>((hex >> 8) & 0xff) / 255.0f, static_cast<float>(hex & 0xff) / 255.0f,
          alpha};
}

Color Color::mix(const Color& other, float t) const {
  return {r + (other.r - r) * t, g + (other.g - g) * t, b + (other.b - b) * t,
          a + (other.a - a) * t};
}

Path& Path::move_to(double x, double y) {
  parts.push_back({{{x, y}}, false});
  return *this;
}

Path& Path::line_to(double x, double y) {
  if (parts.empty() || parts.back().closed) parts.push_back({});
  parts.back().points.push_back({x, y});
  return *this;
}

Path& Path::close() {
  if (!parts.empty()) parts.back().closed = true;
  return *this;
}

bool Path::empty() const {
  return std::all_of(parts.begin(), parts.end(),
                     [](const Part& p) { return p.points.size() < 2; });
}

Path Path::line(Point a, Point b) {
  Path p;
  p.move_to(a.x, a.y).line_to(b.x, b.y);
  return p;
}

Path Path::rect(const Rect& r) {
  Path p;
  p.move_to(r.x, r.y).line_to(r.right(), r.y).line_to(r.right(), r.bottom()).line_to(r.x, r.bottom());
  p.close();
  return p;
}

Path Path::circle(Point c, double radius, int segments) {
  if (segments <= 0) segments = std::clamp(static_cast<int>(std::ceil(radius * 4.0)), 12, 96);
  Path p;
  for (int i = 0; i < segments; ++i) {
    const double t = 2.0 * std::numbers::pi * i / segments;
    const double x = c.x + radius * std::cos(t), y = c.y + radius * std::sin(t);
    if (i == 0) p.move_to(x, y);
    else p.line_to(x, y);
  }
  p.close();
  return p;
}

Figure::Figure(double width, double height, Color background)
    : width_(width), height_(height), background_(background) {
  AMOR_CHECK(width > 0 && height > 0 && std::isfinite(width) && std::isfinite(height),
             ValueError, "plot: figure size must be positive and finite, got ", width, " x ",
             height);
}

void Figure::fill(Path path, Color color) {
  if (!path.empty() && color.a > 0) commands_.emplace_back(FillCmd{std::move(path), color});
}

void Figure::stroke(Path path, Stroke stroke) {
  if (!path.empty() && stroke.color.a > 0 && stroke.width > 0)
    commands_.emplace_back(StrokeCmd{std::move(path), std::move(stroke)});
}

void Figure::text(Point at, std::string utf8, TextStyle style) {
  if (!utf8.empty()) commands_.emplace_back(TextCmd{at, std::move(utf8), style});
}

void Figure::image(Image image) {
  AMOR_CHECK(image.cols > 0 && image.rows > 0 &&
                 image.pixels.size() == static_cast<size_t>(image.cols) * image.rows,
             ValueError, "plot: image of ", image.cols, " x ", image.rows, " has ",
             image.pixels.size(), " pixels");
  commands_.emplace_back(ImageCmd{std::move(image)});
}

void Figure::clip(const Rect& rect) { commands_.emplace_back(ClipCmd{rect}); }

void Figure::unclip() { commands_.emplace_back(UnclipCmd{}); }

double text_width(const std::string& utf8, double size) {
  return StrokeFont::instance().width(utf8, size);
}

}  // namespace amor::plot

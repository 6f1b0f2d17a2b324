// Figure: the drawing API shared by the SVG writer and the raster (PNG) renderer.
//
// Plot code draws once into a Figure, which records the calls (a display list) in figure units
// (points, 1/72 inch; x to the right, y down, origin at the top-left corner). The recording is
// then replayed by write_svg (apps/plot/svg_writer.h) or rasterised by render_raster
// (apps/plot/raster_canvas.h), so both outputs show exactly the same picture.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace amor::plot {

// sRGB colour with straight (not premultiplied) alpha, components in [0, 1].
struct Color {
  float r = 0, g = 0, b = 0, a = 1;
  static Color rgb(uint32_t hex, float alpha = 1.0f);  // 0xRRGGBB
  Color with_alpha(float alpha) const { return {r, g, b, alpha}; }
  // Linear blend toward `other` by t in [0, 1] (alpha blended too).
  Color mix(const Color& other, float t) const;
};

struct Point {
  double x = 0, y = 0;
};

struct Rect {
  double x = 0, y = 0, w = 0, h = 0;
  double right() const { return x + w; }
  double bottom() const { return y + h; }
};

// One or more polylines; `closed` parts are polygons (filled with the non-zero rule, all parts
// together).
struct Path {
  struct Part {
    std::vector<Point> points;
    bool closed = false;
  };
  std::vector<Part> parts;

  Path& move_to(double x, double y);
  Path& line_to(double x, double y);
  Path& close();
  bool empty() const;

  static Path line(Point a, Point b);
  static Path rect(const Rect& r);
  static Path circle(Point center, double radius, int segments = 0);  // 0: chosen by radius
};

enum class LineCap { Butt, Round };

struct Stroke {
  Color color;
  double width = 1.0;
  LineCap cap = LineCap::Butt;
  std::vector<double> dash;  // on/off lengths in figure units; empty: solid
};

enum class HAlign { Left, Center, Right };
enum class VAlign { Top, Middle, Baseline, Bottom };

struct TextStyle {
  double size = 10.0;  // font size (em) in figure units
  Color color;
  HAlign halign = HAlign::Left;
  VAlign valign = VAlign::Baseline;
  double angle_deg = 0.0;  // counter-clockwise rotation about the anchor point
};

// An RGBA image stretched over `dest`; pixels row-major, top row first. `smooth` interpolates
// bilinearly between pixel centres (a density map), otherwise nearest pixel.
struct Image {
  Rect dest;
  int cols = 0, rows = 0;
  std::vector<Color> pixels;  // [rows * cols]
  bool smooth = true;
};

class Figure {
 public:
  struct FillCmd { Path path; Color color; };
  struct StrokeCmd { Path path; Stroke stroke; };
  struct TextCmd { Point at; std::string text; TextStyle style; };
  struct ImageCmd { Image image; };
  struct ClipCmd { Rect rect; };  // replaces the clip rectangle
  struct UnclipCmd {};            // back to no clipping
  using Command = std::variant<FillCmd, StrokeCmd, TextCmd, ImageCmd, ClipCmd, UnclipCmd>;

  Figure(double width, double height, Color background = Color::rgb(0xffffff));

  double width() const { return width_; }
  double height() const { return height_; }
  const Color& background() const { return background_; }
  const std::vector<Command>& commands() const { return commands_; }

  void fill(Path path, Color color);
  void stroke(Path path, Stroke stroke);
  void text(Point at, std::string utf8, TextStyle style);
  void image(Image image);
  // Everything drawn until unclip() is clipped to `rect` (clips do not nest).
  void clip(const Rect& rect);
  void unclip();

 private:
  double width_, height_;
  Color background_;
  std::vector<Command> commands_;
};

// Width of `utf8` set in `size`, measured with the stroke font the raster renderer uses (the SVG
// viewer's font is close to it; layouts leave some slack).
double text_width(const std::string& utf8, double size);

}  // namespace amor::plot

// Shared pieces of every plot: the palette and an Axes (a panel mapping data to the figure) that
// draws its frame, ticks and labels.
#pragma once

#include <string>
#include <vector>

#include "apps/plot/density.h"
#include "apps/plot/figure.h"
#include "apps/plot/ticks.h"

namespace amor::plot {

// A colour-blind-safe pair (blue / vermilion) and neutral greys.
struct Palette {
  static Color primary() { return Color::rgb(0x2166ac); }
  static Color secondary() { return Color::rgb(0xd95f02); }
  static Color ink() { return Color::rgb(0x1a1a1a); }
  static Color frame() { return Color::rgb(0x3a3a3a); }
  static Color muted() { return Color::rgb(0x8c8c8c); }
  static Color band() { return Color::rgb(0xbdbdbd); }
  // Further curve colours after primary and secondary.
  static Color series(size_t k);
};

struct AxesStyle {
  double tick_font = 8.0;
  double label_font = 10.0;
  double tick_length = 3.0;
  double line_width = 0.6;
};

class Axes {
 public:
  Axes(Rect box, Range x, Range y) : box_(box), x_(x), y_(y) {}
  const Rect& box() const { return box_; }
  const Range& xrange() const { return x_; }
  const Range& yrange() const { return y_; }
  double X(double v) const { return box_.x + (v - x_.lo) / x_.span() * box_.w; }
  double Y(double v) const { return box_.bottom() - (v - y_.lo) / y_.span() * box_.h; }
  Point at(double x, double y) const { return {X(x), Y(y)}; }

  void frame(Figure& fig, const AxesStyle& st) const;
  // Tick marks (outside the frame) at the given ticks, labels when `labels`.
  void xticks(Figure& fig, const Ticks& t, bool labels, const AxesStyle& st) const;
  void yticks(Figure& fig, const Ticks& t, bool labels, const AxesStyle& st) const;
  // Axis titles, `offset` figure units beyond the frame.
  void xlabel(Figure& fig, const std::string& text, double offset, const AxesStyle& st) const;
  void ylabel(Figure& fig, const std::string& text, double offset, const AxesStyle& st) const;

 private:
  Rect box_;
  Range x_, y_;
};

// The widest label of `t` at `size`.
double max_label_width(const Ticks& t, double size);

// A legend: one row per entry (a colour swatch, filled or a line, then the text), its top-left
// corner at `at`.
struct LegendEntry {
  std::string text;
  Color color;
  bool filled = true;
  bool dashed = false;
};
void draw_legend(Figure& fig, Point at, const std::vector<LegendEntry>& entries, double font);

}  // namespace amor::plot

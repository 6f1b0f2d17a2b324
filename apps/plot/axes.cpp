#include "apps/plot/axes.h"

#include <algorithm>

namespace amor::plot {

Color Palette::series(size_t k) {
  static const uint32_t kColors[] = {0x2166ac, 0xd95f02, 0x1b9e77, 0x7570b3,
                                     0xe7298a, 0x66a61e, 0xa6761d, 0x666666};
  return Color::rgb(kColors[k % (sizeof kColors / sizeof kColors[0])]);
}

void Axes::frame(Figure& fig, const AxesStyle& st) const {
  fig.stroke(Path::rect(box_), {Palette::frame(), st.line_width, LineCap::Butt, {}});
}

void Axes::xticks(Figure& fig, const Ticks& t, bool labels, const AxesStyle& st) const {
  Path marks;
  for (size_t k = 0; k < t.values.size(); ++k) {
    const double x = X(t.values[k]);
    if (x < box_.x - 0.01 || x > box_.right() + 0.01) continue;
    marks.move_to(x, box_.bottom()).line_to(x, box_.bottom() + st.tick_length);
    if (labels)
      fig.text({x, box_.bottom() + st.tick_length + 1.5}, t.labels[k],
               {st.tick_font, Palette::ink(), HAlign::Center, VAlign::Top, 0.0});
  }
  fig.stroke(std::move(marks), {Palette::frame(), st.line_width, LineCap::Butt, {}});
}

void Axes::yticks(Figure& fig, const Ticks& t, bool labels, const AxesStyle& st) const {
  Path marks;
  for (size_t k = 0; k < t.values.size(); ++k) {
    const double y = Y(t.values[k]);
    if (y < box_.y - 0.01 || y > box_.bottom() + 0.01) continue;
    marks.move_to(box_.x, y).line_to(box_.x - st.tick_length, y);
    if (labels)
      fig.text({box_.x - st.tick_length - 2.0, y}, t.labels[k],
               {st.tick_font, Palette::ink(), HAlign::Right, VAlign::Middle, 0.0});
  }
  fig.stroke(std::move(marks), {Palette::frame(), st.line_width, LineCap::Butt, {}});
}

void Axes::xlabel(Figure& fig, const std::string& text, double offset, const AxesStyle& st) const {
  fig.text({box_.x + 0.5 * box_.w, box_.bottom() + offset}, text,
           {st.label_font, Palette::ink(), HAlign::Center, VAlign::Top, 0.0});
}

void Axes::ylabel(Figure& fig, const std::string& text, double offset, const AxesStyle& st) const {
  fig.text({box_.x - offset, box_.y + 0.5 * box_.h}, text,
           {st.label_font, Palette::ink(), HAlign::Center, VAlign::Bottom, 90.0});
}

double max_label_width(const Ticks& t, double size) {
  double w = 0;
  for (const std::string& s : t.labels) w = std::max(w, text_width(s, size));
  return w;
}

void draw_legend(Figure& fig, Point at, const std::vector<LegendEntry>& entries, double font) {
  const double row = font * 1.5, swatch = font * 1.6;
  for (size_t k = 0; k < entries.size(); ++k) {
    const LegendEntry& e = entries[k];
    const double cy = at.y + row * (static_cast<double>(k) + 0.5);
    if (e.filled) {
      fig.fill(Path::rect({at.x, cy - 0.35 * font, swatch, 0.7 * font}), e.color.with_alpha(0.35f));
    }
    Stroke s{e.color, 1.4, LineCap::Butt, {}};
    if (e.dashed) s.dash = {3.0, 2.0};
    fig.stroke(Path::line({at.x, cy}, {at.x + swatch, cy}), s);
    fig.text({at.x + swatch + 0.5 * font, cy}, e.text,
             {font, Palette::ink(), HAlign::Left, VAlign::Middle, 0.0});
  }
}

}  // namespace amor::plot

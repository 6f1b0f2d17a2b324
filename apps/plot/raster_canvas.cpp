#include "apps/plot/raster_canvas.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "apps/plot/rasterizer.h"
#include "apps/plot/stroke_font.h"
#include "core/error.h"

namespace amor::plot {

namespace {

// Premultiplied RGBA in float, composited with "over".
class Raster {
 public:
  Raster(int w, int h, const Color& bg) : w_(w), h_(h), px_(static_cast<size_t>(w) * h * 4) {
    for (size_t i = 0; i < px_.size(); i += 4) {
      px_[i] = bg.r * bg.a, px_[i + 1] = bg.g * bg.a, px_[i + 2] = bg.b * bg.a, px_[i + 3] = bg.a;
    }
    clip_ = full();
  }
  PixelBox full() const { return {0, 0, w_, h_}; }
  const PixelBox& clip() const { return clip_; }
  void set_clip(const PixelBox& b) {
    clip_ = {std::max(b.x0, 0), std::max(b.y0, 0), std::min(b.x1, w_), std::min(b.y1, h_)};
  }

  void blend(int x, int y, const Color& c, float coverage) {
    const float a = c.a * coverage;
    if (a <= 0.0f) return;
    float* p = &px_[(static_cast<size_t>(y) * w_ + x) * 4];
    const float keep = 1.0f - a;
    p[0] = c.r * a + p[0] * keep;
    p[1] = c.g * a + p[1] * keep;
    p[2] = c.b * a + p[2] * keep;
    p[3] = a + p[3] * keep;
  }
  void blend_mask(const CoverageMask& m, const Color& c) {
    for (int y = 0; y < m.h; ++y)
      for (int x = 0; x < m.w; ++x) {
        const float cov = m.cov[static_cast<size_t>(y) * m.w + x];
        if (cov > 0.0f) blend(m.x0 + x, m.y0 + y, c, cov);
      }
  }

  RgbaImage to_rgba8() const {
    RgbaImage out{w_, h_, std::vector<uint8_t>(px_.size())};
    for (size_t i = 0; i < px_.size(); i += 4) {
      const float a = px_[i + 3];
      for (int k = 0; k < 3; ++k) {
        const float v = a > 0 ? px_[i + static_cast<size_t>(k)] / a : 0.0f;
        out.rgba[i + static_cast<size_t>(k)] = static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
      }
      out.rgba[i + 3] = static_cast<uint8_t>(std::lround(std::clamp(a, 0.0f, 1.0f) * 255.0f));
    }
    return out;
  }

 private:
  int w_, h_;
  std::vector<float> px_;
  PixelBox clip_;
};

std::vector<std::vector<Point>> scaled_parts(const Path& path, double s, bool closed_only) {
  std::vector<std::vector<Point>> out;
  for (const Path::Part& part : path.parts) {
    if (closed_only && part.points.size() < 3) continue;
    std::vector<Point> pts;
    pts.reserve(part.points.size() + 1);
    for (const Point& p : part.points) pts.push_back({p.x * s, p.y * s});
    out.push_back(std::move(pts));
  }
  return out;
}

void draw_stroke(Raster& r, const Path& path, const Stroke& st, double s) {
  std::vector<std::vector<Point>> lines;
  for (const Path::Part& part : path.parts) {
    std::vector<Point> pts;
    for (const Point& p : part.points) pts.push_back({p.x * s, p.y * s});
    if (part.closed && pts.size() > 2) pts.push_back(pts.front());
    std::vector<double> dash = st.dash;
    for (double& d : dash) d *= s;
    for (auto& piece : apply_dash(pts, dash)) lines.push_back(std::move(piece));
  }
  r.blend_mask(stroke_coverage(lines, st.width * s, st.cap == LineCap::Butt, r.clip()), st.color);
}

void draw_text(Raster& r, const Figure::TextCmd& t, double s) {
  const StrokeFont& font = StrokeFont::instance();
  const double size = t.style.size;
  double dx = 0, dy = 0;
  const double w = font.width(t.text, size);
  if (t.style.halign == HAlign::Center) dx = -0.5 * w;
  if (t.style.halign == HAlign::Right) dx = -w;
  if (t.style.valign == VAlign::Top) dy = StrokeFont::kCapHeightEm * size;
  if (t.style.valign == VAlign::Middle) dy = 0.5 * StrokeFont::kCapHeightEm * size;
  if (t.style.valign == VAlign::Bottom) dy = -StrokeFont::kDescentEm * size;
  const double ang = -t.style.angle_deg * std::numbers::pi / 180.0;  // y points down
  const double c = std::cos(ang), sn = std::sin(ang);
  auto lines = font.strokes(t.text, size);
  for (auto& line : lines)
    for (Point& p : line) {
      const double lx = p.x + dx, ly = p.y + dy;
      p = {(t.at.x + lx * c - ly * sn) * s, (t.at.y + lx * sn + ly * c) * s};
    }
  r.blend_mask(stroke_coverage(lines, StrokeFont::kStrokeEm * size * s, false, r.clip()),
               t.style.color);
}

Color sample_image(const Image& im, double u, double v) {
  // u, v in image pixel units, pixel centres at k + 0.5.
  auto px = [&](int x, int y) -> const Color& {
    x = std::clamp(x, 0, im.cols - 1), y = std::clamp(y, 0, im.rows - 1);
    return im.pixels[static_cast<size_t>(y) * im.cols + x];
  };
  if (!im.smooth) return px(static_cast<int>(std::floor(u)), static_cast<int>(std::floor(v)));
  const double fu = u - 0.5, fv = v - 0.5;
  const int x0 = static_cast<int>(std::floor(fu)), y0 = static_cast<int>(std::floor(fv));
  const float tx = static_cast<float>(fu - x0), ty = static_cast<float>(fv - y0);
  // Interpolate premultiplied so transparent pixels do not bleed their colour.
  auto pre = [](const Color& c) { return Color{c.r * c.a, c.g * c.a, c.b * c.a, c.a}; };
  const Color top = pre(px(x0, y0)).mix(pre(px(x0 + 1, y0)), tx);
  const Color bot = pre(px(x0, y0 + 1)).mix(pre(px(x0 + 1, y0 + 1)), tx);
  Color m = top.mix(bot, ty);
  if (m.a > 0) m.r /= m.a, m.g /= m.a, m.b /= m.a;
  return m;
}

void draw_image(Raster& r, const Image& im, double s) {
  const double x0 = im.dest.x * s, y0 = im.dest.y * s, x1 = im.dest.right() * s,
               y1 = im.dest.bottom() * s;
  if (!(x1 > x0 && y1 > y0)) return;
  const PixelBox& clip = r.clip();
  const int px0 = std::max(clip.x0, static_cast<int>(std::floor(x0)));
  const int px1 = std::min(clip.x1, static_cast<int>(std::ceil(x1)));
  const int py0 = std::max(clip.y0, static_cast<int>(std::floor(y0)));
  const int py1 = std::min(clip.y1, static_cast<int>(std::ceil(y1)));
  for (int y = py0; y < py1; ++y) {
    const double cy = std::min(y + 1.0, y1) - std::max(double(y), y0);  // pixel share inside
    const double v = (y + 0.5 - y0) / (y1 - y0) * im.rows;
    for (int x = px0; x < px1; ++x) {
      const double cx = std::min(x + 1.0, x1) - std::max(double(x), x0);
      const double u = (x + 0.5 - x0) / (x1 - x0) * im.cols;
      r.blend(x, y, sample_image(im, u, v), static_cast<float>(std::clamp(cx * cy, 0.0, 1.0)));
    }
  }
}

}  // namespace

RgbaImage render_raster(const Figure& figure, double scale) {
  AMOR_CHECK(scale > 0 && std::isfinite(scale), ValueError, "plot: raster scale must be positive");
  const int w = std::max(1, static_cast<int>(std::lround(figure.width() * scale)));
  const int h = std::max(1, static_cast<int>(std::lround(figure.height() * scale)));
  AMOR_CHECK(static_cast<double>(w) * h <= 1e8, ValueError, "plot: a ", w, " x ", h,
             " pixel image is too large");
  Raster r(w, h, figure.background());
  for (const Figure::Command& cmd : figure.commands()) {
    if (const auto* f = std::get_if<Figure::FillCmd>(&cmd)) {
      r.blend_mask(fill_coverage(scaled_parts(f->path, scale, true), r.clip()), f->color);
    } else if (const auto* st = std::get_if<Figure::StrokeCmd>(&cmd)) {
      draw_stroke(r, st->path, st->stroke, scale);
    } else if (const auto* t = std::get_if<Figure::TextCmd>(&cmd)) {
      draw_text(r, *t, scale);
    } else if (const auto* im = std::get_if<Figure::ImageCmd>(&cmd)) {
      draw_image(r, im->image, scale);
    } else if (const auto* c = std::get_if<Figure::ClipCmd>(&cmd)) {
      r.set_clip({static_cast<int>(std::floor(c->rect.x * scale)),
                  static_cast<int>(std::floor(c->rect.y * scale)),
                  static_cast<int>(std::ceil(c->rect.right() * scale)),
                  static_cast<int>(std::ceil(c->rect.bottom() * scale))});
    } else {
      r.set_clip(r.full());
    }
  }
  return r.to_rgba8();
}

}  // namespace amor::plot

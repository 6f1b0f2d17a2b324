#include "apps/plot/rasterizer.h"

#include <algorithm>
#include <cmath>

namespace amor::plot {

namespace {

// The smallest pixel box holding every point, grown by `pad`, intersected with `clip`.
PixelBox bounds(const std::vector<std::vector<Point>>& lines, double pad, const PixelBox& clip) {
  double lo_x = INFINITY, lo_y = INFINITY, hi_x = -INFINITY, hi_y = -INFINITY;
  for (const auto& line : lines)
    for (const Point& p : line) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
      lo_x = std::min(lo_x, p.x), hi_x = std::max(hi_x, p.x);
      lo_y = std::min(lo_y, p.y), hi_y = std::max(hi_y, p.y);
    }
  if (!(lo_x <= hi_x)) return {};
  auto to_int = [](double v) { return static_cast<int>(std::clamp(v, -1e8, 1e8)); };
  PixelBox b{to_int(std::floor(lo_x - pad)), to_int(std::floor(lo_y - pad)),
             to_int(std::ceil(hi_x + pad)) + 1, to_int(std::ceil(hi_y + pad)) + 1};
  b.x0 = std::max(b.x0, clip.x0), b.y0 = std::max(b.y0, clip.y0);
  b.x1 = std::min(b.x1, clip.x1), b.y1 = std::min(b.y1, clip.y1);
  return b;
}

CoverageMask empty_mask(const PixelBox& b) {
  CoverageMask m;
  if (b.empty()) return m;
  m.x0 = b.x0, m.y0 = b.y0, m.w = b.x1 - b.x0, m.h = b.y1 - b.y0;
  m.cov.assign(static_cast<size_t>(m.w) * m.h, 0.0f);
  return m;
}

// Adds one directed edge (box-local pixel coordinates) to the accumulation rows `acc`
// ([h][w + 1]): see the note in rasterizer.h.
void accumulate_edge(Point a, Point b, int w, int h, std::vector<double>& acc) {
  if (a.y == b.y) return;  // horizontal edges change no winding number
  const double dx = b.x - a.x, dy = b.y - a.y;
  // Parameters where the edge crosses a pixel row or column boundary.
  std::vector<double> ts{0.0, 1.0};
  const double ylo = std::max(std::min(a.y, b.y), 0.0), yhi = std::min(std::max(a.y, b.y), double(h));
  for (double y = std::ceil(ylo); y <= yhi; y += 1.0) ts.push_back((y - a.y) / dy);
  if (dx != 0.0) {
    const double xlo = std::max(std::min(a.x, b.x), 0.0), xhi = std::min(std::max(a.x, b.x), double(w));
    for (double x = std::ceil(xlo); x <= xhi; x += 1.0) ts.push_back((x - a.x) / dx);
  }
  std::sort(ts.begin(), ts.end());
  for (size_t i = 0; i + 1 < ts.size(); ++i) {
    const double t0 = std::clamp(ts[i], 0.0, 1.0), t1 = std::clamp(ts[i + 1], 0.0, 1.0);
    if (t1 <= t0) continue;
    const double piece_dy = dy * (t1 - t0);
    const double tm = 0.5 * (t0 + t1);
    const double mx = a.x + dx * tm, my = a.y + dy * tm;
    const int row = static_cast<int>(std::floor(my));
    if (row < 0 || row >= h) continue;
    double* line = acc.data() + static_cast<size_t>(row) * (w + 1);
    if (mx < 0.0) {
      line[0] += piece_dy;  // the whole row lies to the right of this piece
      continue;
    }
    const int col = static_cast<int>(std::floor(mx));
    if (col >= w) continue;  // no pixel of the box lies to its right
    const double right_part = (col + 1) - mx;  // the piece's pixel share right of it
    line[col] += piece_dy * right_part;
    line[col + 1] += piece_dy * (1.0 - right_part);
  }
}

// Coverage of a pixel centred at `p` by one segment a-b of half-width `hw`.
float segment_coverage(Point p, Point a, Point b, double hw, bool butt_a, bool butt_b) {
  const double ux = b.x - a.x, uy = b.y - a.y;
  const double len = std::hypot(ux, uy);
  const double px = p.x - a.x, py = p.y - a.y;
  if (len < 1e-12) {
    if (butt_a || butt_b) return 0.0f;
    return static_cast<float>(std::clamp(hw + 0.5 - std::hypot(px, py), 0.0, 1.0));
  }
  const double along = (px * ux + py * uy) / len;
  const double perp = std::abs(px * uy - py * ux) / len;
  double d, end_factor = 1.0;
  if (along < 0.0) {
    if (butt_a) d = perp, end_factor = std::clamp(0.5 + along, 0.0, 1.0);
    else d = std::hypot(px, py);
  } else if (along > len) {
    if (butt_b) d = perp, end_factor = std::clamp(0.5 - (along - len), 0.0, 1.0);
    else d = std::hypot(p.x - b.x, p.y - b.y);
  } else {
    d = perp;
    if (butt_a) end_factor = std::min(end_factor, std::clamp(0.5 + along, 0.0, 1.0));
    if (butt_b) end_factor = std::min(end_factor, std::clamp(0.5 + (len - along), 0.0, 1.0));
  }
  // A line thinner than a pixel covers at most its width of any pixel.
  const double c = std::clamp(hw + 0.5 - d, 0.0, std::min(1.0, 2.0 * hw));
  return static_cast<float>(c * end_factor);
}

}  // namespace

CoverageMask fill_coverage(const std::vector<std::vector<Point>>& polygons, const PixelBox& box) {
  CoverageMask m = empty_mask(bounds(polygons, 0.0, box));
  if (m.cov.empty()) return m;
  std::vector<double> acc(static_cast<size_t>(m.h) * (m.w + 1), 0.0);
  for (const auto& ring : polygons) {
    if (ring.size() < 3) continue;
    for (size_t i = 0; i < ring.size(); ++i) {
      const Point& p = ring[i];
      const Point& q = ring[(i + 1) % ring.size()];
      if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(q.x) || !std::isfinite(q.y))
        continue;
      accumulate_edge({p.x - m.x0, p.y - m.y0}, {q.x - m.x0, q.y - m.y0}, m.w, m.h, acc);
    }
  }
  for (int r = 0; r < m.h; ++r) {
    double winding = 0.0;
    const double* line = acc.data() + static_cast<size_t>(r) * (m.w + 1);
    for (int c = 0; c < m.w; ++c) {
      winding += line[c];
      m.cov[static_cast<size_t>(r) * m.w + c] = static_cast<float>(std::min(std::abs(winding), 1.0));
    }
  }
  return m;
}

CoverageMask stroke_coverage(const std::vector<std::vector<Point>>& polylines, double width,
                             bool butt, const PixelBox& box) {
  const double hw = 0.5 * width;
  CoverageMask m = empty_mask(bounds(polylines, hw + 1.0, box));
  if (m.cov.empty()) return m;
  for (const auto& line : polylines) {
    const size_t n = line.size();
    if (n == 0) continue;
    for (size_t i = 0; i + 1 < std::max<size_t>(n, 2); ++i) {
      const Point a = line[i], b = line[std::min(i + 1, n - 1)];
      if (!std::isfinite(a.x) || !std::isfinite(a.y) || !std::isfinite(b.x) || !std::isfinite(b.y))
        continue;
      const bool butt_a = butt && i == 0, butt_b = butt && i + 2 >= n;
      const int cx0 = std::max(m.x0, static_cast<int>(std::floor(std::min(a.x, b.x) - hw - 1)));
      const int cx1 = std::min(m.x0 + m.w, static_cast<int>(std::ceil(std::max(a.x, b.x) + hw + 1)));
      const int cy0 = std::max(m.y0, static_cast<int>(std::floor(std::min(a.y, b.y) - hw - 1)));
      const int cy1 = std::min(m.y0 + m.h, static_cast<int>(std::ceil(std::max(a.y, b.y) + hw + 1)));
      for (int y = cy0; y < cy1; ++y)
        for (int x = cx0; x < cx1; ++x) {
          const float c = segment_coverage({x + 0.5, y + 0.5}, a, b, hw, butt_a, butt_b);
          float& dst = m.cov[static_cast<size_t>(y - m.y0) * m.w + (x - m.x0)];
          dst = std::max(dst, c);
        }
    }
  }
  return m;
}

std::vector<std::vector<Point>> apply_dash(const std::vector<Point>& polyline,
                                           const std::vector<double>& pattern) {
  double total = 0;
  for (double v : pattern) total += std::max(v, 0.0);
  if (pattern.empty() || total <= 0) return {polyline};
  std::vector<std::vector<Point>> out;
  size_t k = 0;                        // current pattern entry
  double left = std::max(pattern[0], 0.0);  // length left in it
  bool on = true;
  if (on && !polyline.empty()) out.push_back({polyline[0]});
  for (size_t i = 0; i + 1 < polyline.size(); ++i) {
    Point a = polyline[i];
    const Point b = polyline[i + 1];
    double seg = std::hypot(b.x - a.x, b.y - a.y);
    while (seg > 0) {
      const double step = std::min(seg, left);
      const double t = step / seg;
      a = {a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t};
      seg -= step, left -= step;
      if (on) out.back().push_back(a);
      if (left <= 0) {
        k = (k + 1) % pattern.size();
        left = std::max(pattern[k], 0.0);
        on = (k % 2 == 0);
        if (on) out.push_back({a});
      }
    }
  }
  std::erase_if(out, [](const std::vector<Point>& d) { return d.size() < 2; });
  return out;
}

}  // namespace amor::plot

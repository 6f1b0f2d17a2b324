// The raster renderer: exact-area polygon coverage against a supersampled slow twin, stroke
// coverage, compositing, text, and PNG encoding round trips.
#include <cmath>
#include <cstring>
#include <numbers>

#include <gtest/gtest.h>

#include "apps/plot/figure.h"
#include "apps/plot/png.h"
#include "apps/plot/raster_canvas.h"
#include "apps/plot/rasterizer.h"
#include "apps/plot/stroke_font.h"
#include "core/error.h"
#include "tests/apps/cli_test_util.h"

namespace amor::plot {
namespace {

using Ring = std::vector<Point>;

// Slow twin of fill_coverage: the non-zero winding number at 32 x 32 sample points per pixel.
int winding(const std::vector<Ring>& rings, double x, double y) {
  int w = 0;
  for (const Ring& r : rings)
    for (size_t i = 0; i < r.size(); ++i) {
      const Point a = r[i], b = r[(i + 1) % r.size()];
      const double cross = (b.x - a.x) * (y - a.y) - (x - a.x) * (b.y - a.y);
      if (a.y <= y && b.y > y && cross > 0) ++w;
      else if (a.y > y && b.y <= y && cross < 0) --w;
    }
  return w;
}

double supersampled(const std::vector<Ring>& rings, int px, int py) {
  constexpr int kSub = 32;
  int inside = 0;
  for (int i = 0; i < kSub; ++i)
    for (int j = 0; j < kSub; ++j)
      inside += winding(rings, px + (i + 0.5) / kSub, py + (j + 0.5) / kSub) != 0;
  return static_cast<double>(inside) / (kSub * kSub);
}

void expect_matches_twin(const std::vector<Ring>& rings, const PixelBox& box) {
  const CoverageMask m = fill_coverage(rings, box);
  double worst = 0;
  for (int y = box.y0; y < box.y1; ++y)
    for (int x = box.x0; x < box.x1; ++x) {
      const bool in_mask = x >= m.x0 && x < m.x0 + m.w && y >= m.y0 && y < m.y0 + m.h;
      const double got = in_mask ? m.at(x, y) : 0.0;
      worst = std::max(worst, std::abs(got - supersampled(rings, x, y)));
    }
  // 32 x 32 point sampling of an edge crossing a pixel errs by at most about 2/32 of its area.
  EXPECT_LT(worst, 0.07);
}

double shoelace(const Ring& r) {
  double a = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    const Point p = r[i], q = r[(i + 1) % r.size()];
    a += p.x * q.y - q.x * p.y;
  }
  return std::abs(a) / 2;
}

TEST(PlotRaster, FillCoverageMatchesSupersampledTwin) {
  const Ring triangle{{2.3, 1.7}, {17.8, 5.2}, {6.1, 15.9}};
  const Ring concave{{1.2, 1.1}, {18.7, 2.4}, {10.2, 8.3}, {17.9, 17.6}, {3.3, 15.2}};
  const Ring outer{{1.5, 1.5}, {18.5, 1.5}, {18.5, 18.5}, {1.5, 18.5}};
  const Ring hole{{6.25, 6.25}, {6.25, 13.75}, {13.75, 13.75}, {13.75, 6.25}};  // opposite turn
  const PixelBox box{0, 0, 20, 20};
  expect_matches_twin({triangle}, box);
  expect_matches_twin({concave}, box);
  expect_matches_twin({outer, hole}, box);
  // Partly outside the box (clipped left and top, past the right edge).
  expect_matches_twin({Ring{{-5.5, -3.2}, {25.3, 4.4}, {8.8, 14.1}}}, box);
}

TEST(PlotRaster, FillCoverageSumsToArea) {
  const Ring poly{{3.3, 2.1}, {30.7, 6.6}, {22.2, 28.4}, {9.9, 19.5}, {4.1, 25.0}};
  const CoverageMask m = fill_coverage({poly}, {0, 0, 40, 40});
  double total = 0;
  for (float c : m.cov) total += c;
  EXPECT_NEAR(total, shoelace(poly), 1e-3);
  // Winding 2 (the same square twice) still counts once.
  const Ring sq{{2, 2}, {10, 2}, {10, 10}, {2, 10}};
  const CoverageMask twice = fill_coverage({sq, sq}, {0, 0, 12, 12});
  EXPECT_FLOAT_EQ(twice.at(5, 5), 1.0f);
}

TEST(PlotRaster, StrokeCoverageOfALine) {
  // A 2-pixel-wide horizontal line from x = 10 to 40 at y = 20 with butt ends: area 60.
  const CoverageMask m = stroke_coverage({{{10, 20}, {40, 20}}}, 2.0, true, {0, 0, 50, 40});
  double total = 0;
  for (float c : m.cov) total += c;
  EXPECT_NEAR(total, 60.0, 0.5);
  EXPECT_FLOAT_EQ(m.at(25, 19), 1.0f);
  EXPECT_FLOAT_EQ(m.at(25, 20), 1.0f);
  EXPECT_FLOAT_EQ(m.at(25, 22), 0.0f);
  // Round caps add a disc of radius 1: area 60 + pi.
  const CoverageMask r = stroke_coverage({{{10, 20}, {40, 20}}}, 2.0, false, {0, 0, 50, 40});
  total = 0;
  for (float c : r.cov) total += c;
  EXPECT_NEAR(total, 60.0 + std::numbers::pi, 0.5);
}

TEST(PlotRaster, DashesSplitTheLength) {
  const auto dashes = apply_dash({{0, 0}, {10, 0}, {10, 10}}, {3, 2});
  double on = 0;
  for (const auto& d : dashes)
    for (size_t i = 0; i + 1 < d.size(); ++i)
      on += std::hypot(d[i + 1].x - d[i].x, d[i + 1].y - d[i].y);
  // 20 units of path in 5-unit periods, 3 on each: 12 on.
  EXPECT_NEAR(on, 12.0, 1e-9);
  EXPECT_EQ(dashes.size(), 4u);
}

TEST(PlotRaster, CompositesColoursOverTheBackground) {
  Figure fig(20, 10);
  fig.fill(Path::rect({5, 0, 10, 10}), Color::rgb(0xff0000));
  fig.fill(Path::rect({0, 0, 10, 5}), Color::rgb(0x0000ff, 0.5f));
  const RgbaImage img = render_raster(fig, 2.0);
  ASSERT_EQ(img.width, 40);
  ASSERT_EQ(img.height, 20);
  auto px = [&](int x, int y) { return &img.rgba[(static_cast<size_t>(y) * img.width + x) * 4]; };
  EXPECT_EQ(px(25, 15)[0], 255);  // red
  EXPECT_EQ(px(25, 15)[1], 0);
  EXPECT_EQ(px(2, 15)[0], 255);   // white background
  EXPECT_EQ(px(2, 15)[2], 255);
  EXPECT_EQ(px(2, 2)[0], 128);    // half blue over white
  EXPECT_EQ(px(2, 2)[2], 255);
  EXPECT_EQ(px(15, 2)[0], 128);   // half blue over red
  EXPECT_EQ(px(15, 2)[2], 128);
  EXPECT_EQ(px(15, 2)[3], 255);
}

TEST(PlotRaster, TextInksItsBox) {
  Figure fig(100, 30);
  fig.text({10, 20}, "amor 0.5", {12, Color::rgb(0), HAlign::Left, VAlign::Baseline, 0});
  const RgbaImage img = render_raster(fig, 2.0);
  int inked = 0, outside = 0;
  const double w = text_width("amor 0.5", 12);
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      if (img.rgba[(static_cast<size_t>(y) * img.width + x) * 4] > 200) continue;
      ++inked;
      const double fx = x / 2.0, fy = y / 2.0;
      if (fx < 9 || fx > 11 + w || fy < 20 - 12 * StrokeFont::kCapHeightEm - 1.5 || fy > 21.5) ++outside;
    }
  EXPECT_GT(inked, 100);
  EXPECT_EQ(outside, 0);
  EXPECT_NEAR(w, 12 * 8 * 0.5, 12 * 8 * 0.3);  // about half an em per character
}

TEST(PlotRaster, PngRoundTrip) {
  test::TempDir dir;
  RgbaImage img{7, 5, {}};
  for (int i = 0; i < 7 * 5 * 4; ++i) img.rgba.push_back(static_cast<uint8_t>(i * 37 % 256));
  write_png(img, dir / "a.png");
  const std::string bytes = test::read_text(dir.path() / "a.png");
  ASSERT_GE(bytes.size(), 8u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const RgbaImage back = read_png(dir / "a.png");
  EXPECT_EQ(back.width, 7);
  EXPECT_EQ(back.height, 5);
  EXPECT_EQ(back.rgba, img.rgba);
  EXPECT_FALSE(std::filesystem::exists(dir / "a.png.tmp"));
}

TEST(PlotRaster, PngErrorsNameThePath) {
  test::TempDir dir;
  RgbaImage img{1, 1, {0, 0, 0, 255}};
  try {
    write_png(img, dir / "missing/a.png");
    FAIL() << "expected IOError";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("missing/a.png"), std::string::npos) << e.what();
  }
  test::write_text(dir.path() / "not.png", "hello");
  EXPECT_THROW(read_png(dir / "not.png"), IOError);
  EXPECT_THROW(write_png(RgbaImage{2, 2, {1, 2, 3}}, dir / "b.png"), ValueError);
}

TEST(PlotRaster, Utf8Decoding) {
  EXPECT_EQ(decode_utf8("a\u03b8\u2212"), std::u32string(U"a\u03b8\u2212"));
  EXPECT_EQ(decode_utf8(std::string("x\xff", 2)), std::u32string(U"x\ufffd"));
  EXPECT_EQ(decode_utf8(std::string("\xe2\x88", 2)), std::u32string(U"\ufffd"));  // truncated
}

}  // namespace
}  // namespace amor::plot

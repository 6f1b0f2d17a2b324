// Plot building blocks (ticks, densities, contours, binomial band) and the figures: pair plot,
// SBC ranks and coverage, written as SVG (checked as XML) and PNG.
#include <cmath>
#include <numbers>
#include <random>

#include <gtest/gtest.h>

#include "apps/plot/axes.h"
#include "apps/plot/contour.h"
#include "apps/plot/density.h"
#include "apps/plot/diagnostic_plots.h"
#include "apps/plot/output.h"
#include "apps/plot/pair_plot.h"
#include "apps/plot/png.h"
#include "apps/plot/raster_canvas.h"
#include "apps/plot/svg_writer.h"
#include "apps/plot/ticks.h"
#include "core/error.h"
#include "tests/apps/cli_test_util.h"
#include "tests/apps/xml_check.h"

namespace amor::plot {
namespace {

const std::string kMinus = "\u2212";

TEST(PlotTicks, NiceSteps) {
  Ticks t = nice_ticks(0.0, 1.0, 5);
  EXPECT_EQ(t.labels, (std::vector<std::string>{"0.00", "0.25", "0.50", "0.75", "1.00"}));
  t = nice_ticks(-3.0, 3.0, 3);
  EXPECT_EQ(t.labels, (std::vector<std::string>{kMinus + "2", "0", "2"}));
  t = nice_ticks(-0.27, 0.27, 3);
  EXPECT_EQ(t.labels, (std::vector<std::string>{kMinus + "0.2", "0.0", "0.2"}));
  t = nice_ticks(0.0, 3e-5, 4);
  EXPECT_EQ(t.labels.front(), "0");
  EXPECT_EQ(t.labels.back(), "3e" + kMinus + "5");
  t = nice_ticks(1e6, 4e6, 4);
  EXPECT_EQ(t.labels.front(), "1e6");
  for (int m = 2; m <= 8; ++m) {
    t = nice_ticks(-1.7, 13.2, m);
    EXPECT_LE(static_cast<int>(t.values.size()), m);
    EXPECT_GE(t.values.size(), 1u);
    for (double v : t.values) EXPECT_TRUE(v >= -1.7 && v <= 13.2);
  }
  EXPECT_EQ(format_fixed(-0.0001, 2), "0.00");
}

TEST(PlotDensity, HistogramIsADensity) {
  std::mt19937_64 g(7);
  std::normal_distribution<double> n(0, 1);
  std::vector<double> v(20000);
  for (double& x : v) x = n(g);
  const Range r{-6, 6};
  const auto h = histogram(v, r, 60, true);
  double integral = 0;
  for (double c : h) integral += c * r.span() / 60;
  EXPECT_NEAR(integral, 1.0, 1e-12);
  // The bin at 0 estimates the N(0, 1) density 0.399 (20000 draws, 0.2 wide: SE ~0.01).
  EXPECT_NEAR(h[30], 0.399, 0.04);
  const Range shown = display_range({&v});
  EXPECT_LT(shown.lo, -3.0);
  EXPECT_GT(shown.hi, 3.0);
  EXPECT_NEAR(quantile({1, 2, 3, 4}, 0.5), 2.5, 1e-12);
  EXPECT_TRUE(std::isnan(quantile({NAN}, 0.5)));
}

TEST(PlotDensity, LocalScaleIgnoresTheGapBetweenModes) {
  std::mt19937_64 g(11);
  std::normal_distribution<double> n(0, 1);
  std::vector<double> gauss(10000), modes(10000), ties(100, 3.0);
  for (double& x : gauss) x = 2.0 * n(g);
  for (size_t i = 0; i < modes.size(); ++i) modes[i] = (i % 2 ? 10.0 : -10.0) + 0.1 * n(g);
  // Gaussian: the spread is sigma up to a few percent (each 50-point spacing averages 1 / f over
  // its window, which overstates the median of 1 / f by about 5% here); 7.5% allowed. A spread
  // from the standard deviation would also pass this case but fails the two-mode one below.
  EXPECT_NEAR(local_scale(gauss), 2.0, 0.15);
  // Two equal modes of sd 0.1 ten apart: about twice one mode's sd, where the sd is 10.
  EXPECT_NEAR(local_scale(modes), 0.2, 0.03);
  // All values tied: the standard deviation (0), not a NaN.
  EXPECT_EQ(local_scale(ties), 0.0);
  EXPECT_EQ(local_scale({1.0, 2.0}), 0.0);
}

TEST(PlotDensity, MassLevelsAndContoursOfAGaussian) {
  // A standard 2-D Gaussian evaluated on a grid: the 68% region is the disc of radius
  // sqrt(-2 ln 0.32) = 1.51, the 95% one radius 2.45.
  Grid g{81, 81, std::vector<double>(81 * 81)};
  const double cell = 8.0 / 81;  // the grid spans [-4, 4]
  for (int j = 0; j < 81; ++j)
    for (int i = 0; i < 81; ++i) {
      const double x = -4 + (i + 0.5) * cell, y = -4 + (j + 0.5) * cell;
      g.at(i, j) = std::exp(-0.5 * (x * x + y * y));
    }
  const auto levels = mass_levels(g, {0.68, 0.95});
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_GT(levels[0], levels[1]);
  const double expect_r[2] = {std::sqrt(-2 * std::log(0.32)), std::sqrt(-2 * std::log(0.05))};
  for (int k = 0; k < 2; ++k) {
    const auto lines = contour_lines(g, levels[k]);
    ASSERT_EQ(lines.size(), 1u);
    const auto& ring = lines[0];
    ASSERT_GT(ring.size(), 20u);
    EXPECT_NEAR(ring.front().x, ring.back().x, 1e-12);  // closed
    EXPECT_NEAR(ring.front().y, ring.back().y, 1e-12);
    for (const Point& p : ring) {
      const double r = std::hypot(p.x * cell - 4, p.y * cell - 4);
      // Discrete mass levels and linear interpolation: within two cells of the exact radius.
      EXPECT_NEAR(r, expect_r[k], 2 * cell);
    }
  }
  // Two separate bumps give two rings; a saddle between touching bumps is resolved.
  Grid two{20, 10, std::vector<double>(200, 0.0)};
  two.at(4, 5) = 1, two.at(15, 5) = 1;
  EXPECT_EQ(contour_lines(two, 0.5).size(), 2u);
}

TEST(PlotDensity, BinomialQuantiles) {
  EXPECT_EQ(binomial_quantile(2, 0.5, 0.25), 0);
  EXPECT_EQ(binomial_quantile(2, 0.5, 0.26), 1);
  EXPECT_EQ(binomial_quantile(2, 0.5, 0.75), 1);
  EXPECT_EQ(binomial_quantile(2, 0.5, 0.76), 2);
  // Binomial(1000, 1/50): mean 20, sd 4.43; the central 99% is about 20 +- 2.58 sd, skewed right.
  const auto lo = binomial_quantile(1000, 0.02, 0.005), hi = binomial_quantile(1000, 0.02, 0.995);
  EXPECT_GE(lo, 8);
  EXPECT_LE(lo, 11);
  EXPECT_GE(hi, 31);
  EXPECT_LE(hi, 33);
}

SampleTable moons(int n, uint64_t seed, double shift) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> N(0, 1);
  std::uniform_real_distribution<double> U(-std::numbers::pi / 2, std::numbers::pi / 2);
  SampleTable t{{"theta_1", "theta_2", "theta_3"}, {}};
  for (int i = 0; i < n; ++i) {
    const double a = U(g), r = 0.1 + 0.01 * N(g), s = (g() & 1) ? 1.0 : -1.0;
    t.values.push_back(s * (r * std::cos(a) + 0.25) * 0.7 + shift);
    t.values.push_back(r * std::sin(a) + s * 0.12);
    t.values.push_back(N(g));
  }
  return t;
}

TEST(PlotFigures, PairPlotSvgStructure) {
  const SampleTable a = moons(3000, 1, 0.0), b = moons(3000, 2, 0.01);
  PairPlotOptions o;
  o.truth = {0.2, 0.1, 0.0};
  const std::string svg = to_svg(pair_plot(a, &b, o));
  const test::XmlSummary x = test::check_xml(svg);
  ASSERT_EQ(x.error, "");
  EXPECT_EQ(x.root, "svg");
  EXPECT_EQ(x.elements.at("image"), 3);  // one density image per panel below the diagonal
  EXPECT_GT(x.elements.at("path"), 30);
  EXPECT_GT(x.elements.at("text"), 12);
  for (const char* name : {"theta_1", "theta_2", "theta_3", "reference (n = 3000)"})
    EXPECT_NE(svg.find(std::string(">") + name + "<"), std::string::npos) << name;
  EXPECT_NE(svg.find("data:image/png;base64,iVBORw0KGgo"), std::string::npos);  // a PNG inside
}

TEST(PlotFigures, PairPlotPngShowsBothColours) {
  const SampleTable a = moons(3000, 1, 0.0), b = moons(3000, 2, 0.01);
  const RgbaImage img = render_raster(pair_plot(a, &b), 1.0);
  int blue = 0, orange = 0;
  for (size_t i = 0; i < img.rgba.size(); i += 4) {
    const int r = img.rgba[i], g = img.rgba[i + 1], bl = img.rgba[i + 2];
    blue += bl > r + 60 && bl > g;
    orange += r > bl + 100 && r > g + 40;
  }
  EXPECT_GT(blue, 2000);
  EXPECT_GT(orange, 300);
}

TEST(PlotFigures, PairPlotRejectsBadInput) {
  const SampleTable a = moons(100, 1, 0.0);
  SampleTable two{{"u", "v"}, {1, 2, 3, 4}};
  EXPECT_THROW(pair_plot(a, &two), ValueError);
  EXPECT_THROW(pair_plot(SampleTable{{"u"}, {}}, nullptr), ValueError);
  PairPlotOptions o;
  o.truth = {1.0};
  EXPECT_THROW(pair_plot(a, nullptr, o), ValueError);
  // One variable and constant columns still plot.
  EXPECT_NO_THROW(pair_plot(SampleTable{{"c"}, {2, 2, 2}}, nullptr));
}

TEST(PlotFigures, SbcAndCoverage) {
  std::mt19937_64 g(3);
  std::uniform_real_distribution<double> U(0, 1);
  SampleTable ranks{{"a", "b"}, {}};
  for (int i = 0; i < 400; ++i) ranks.values.push_back(U(g)), ranks.values.push_back(U(g));
  const test::XmlSummary s = test::check_xml(to_svg(sbc_plot(ranks)));
  ASSERT_EQ(s.error, "");
  ranks.values[5] = 1.2;  // row 3, column b
  try {
    sbc_plot(ranks);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("row 3, column 'b'"), std::string::npos) << e.what();
  }
  SampleTable cov{{"level", "npe"}, {0, 0, 0.5, 0.55, 1, 1}};
  const std::string svg = to_svg(coverage_plot(cov));
  ASSERT_EQ(test::check_xml(svg).error, "");
  EXPECT_NE(svg.find(">npe<"), std::string::npos);
  EXPECT_THROW(coverage_plot(SampleTable{{"level"}, {0.5}}), ValueError);
  EXPECT_THROW(coverage_plot(SampleTable{{"level", "x"}, {0.5, NAN}}), ValueError);
}

TEST(PlotFigures, SaveFigureByExtension) {
  test::TempDir dir;
  Figure f(50, 40);
  f.fill(Path::circle({25, 20}, 10), Palette::primary());
  f.text({25, 38}, "a < b & c", {8, Palette::ink(), HAlign::Center, VAlign::Bottom, 0});
  save_figure(f, dir / "f.svg");
  save_figure(f, dir / "F.PNG");
  EXPECT_EQ(test::check_xml(test::read_text(dir.path() / "f.svg")).error, "");
  EXPECT_NE(test::read_text(dir.path() / "f.svg").find("a &lt; b &amp; c"), std::string::npos);
  const RgbaImage img = read_png(dir / "F.PNG");
  EXPECT_EQ(img.width, 100);
  EXPECT_EQ(img.height, 80);
  EXPECT_THROW(save_figure(f, dir / "f.jpg"), ValueError);
  EXPECT_THROW(save_figure(f, dir / "no/such/dir/f.svg"), IOError);
}

}  // namespace
}  // namespace amor::plot

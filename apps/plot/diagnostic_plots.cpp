#include "apps/plot/diagnostic_plots.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "apps/plot/axes.h"
#include "core/error.h"

namespace amor::plot {

namespace {

void check_unit_interval(const SampleTable& t, const char* what) {
  const size_t d = t.names.size();
  for (size_t i = 0; i < t.values.size(); ++i) {
    const double v = t.values[i];
    AMOR_CHECK(std::isfinite(v) && v >= 0.0 && v <= 1.0, ValueError, what, ": row ", i / d + 1,
               ", column '", t.names[i % d], "': ", v, " is not in [0, 1]");
  }
}

}  // namespace

int64_t binomial_quantile(int64_t n, double p, double q) {
  if (n <= 0) return 0;
  double cdf = 0;
  const double lp = std::log(p), lq = std::log1p(-p);
  for (int64_t k = 0; k <= n; ++k) {
    const double dk = static_cast<double>(k), dn = static_cast<double>(n);
    cdf += std::exp(std::lgamma(dn + 1) - std::lgamma(dk + 1) - std::lgamma(dn - dk + 1) + dk * lp +
                    (dn - dk) * lq);
    if (cdf >= q) return k;
  }
  return n;
}

Figure sbc_plot(const SampleTable& ranks, int bins) {
  const size_t d = ranks.names.size();
  const int64_t n = ranks.rows();
  AMOR_CHECK(d > 0 && n > 0, ValueError, "SBC plot: no ranks to plot");
  check_unit_interval(ranks, "SBC ranks");
  if (bins <= 0) bins = static_cast<int>(std::clamp<int64_t>(n / 20, 4, 50));

  const size_t ncols = std::min<size_t>(d, 5), nrows = (d + ncols - 1) / ncols;
  const double panel_w = 150, panel_h = 110, gap_x = 28, gap_y = 50;
  const AxesStyle st{8.0, 9.5, 3.0, 0.6};
  const double left = 58, top = 26, bottom = 60;
  Figure fig(left + static_cast<double>(ncols) * panel_w + static_cast<double>(ncols - 1) * gap_x + 14,
             top + static_cast<double>(nrows) * panel_h + static_cast<double>(nrows - 1) * gap_y + bottom);

  const double p = 1.0 / bins;
  const double lo = static_cast<double>(binomial_quantile(n, p, 0.005));
  const double hi = static_cast<double>(binomial_quantile(n, p, 0.995));
  const double mean = static_cast<double>(n) * p;
  std::vector<std::vector<double>> counts(d);
  double ymax = hi;
  for (size_t j = 0; j < d; ++j) {
    counts[j] = histogram(ranks.column(j), {0.0, 1.0}, bins, false);
    ymax = std::max(ymax, *std::max_element(counts[j].begin(), counts[j].end()));
  }
  const Range yr{0.0, 1.12 * ymax};
  const Ticks yt = nice_ticks(yr.lo, yr.hi, 4), xt = nice_ticks(0.0, 1.0, 3);

  for (size_t j = 0; j < d; ++j) {
    const size_t r = j / ncols, c = j % ncols;
    const Rect box{left + static_cast<double>(c) * (panel_w + gap_x),
                   top + static_cast<double>(r) * (panel_h + gap_y), panel_w, panel_h};
    const Axes ax(box, {0.0, 1.0}, yr);
    fig.clip(box);
    fig.fill(Path::rect({box.x, ax.Y(hi), box.w, ax.Y(lo) - ax.Y(hi)}), Palette::band().with_alpha(0.45f));
    for (int k = 0; k < bins; ++k) {
      const double x0 = ax.X(static_cast<double>(k) / bins), x1 = ax.X(static_cast<double>(k + 1) / bins);
      const Rect bar{x0 + 0.6, ax.Y(counts[j][static_cast<size_t>(k)]), x1 - x0 - 1.2,
                     ax.Y(0) - ax.Y(counts[j][static_cast<size_t>(k)])};
      fig.fill(Path::rect(bar), Palette::primary().with_alpha(0.75f));
    }
    fig.stroke(Path::line(ax.at(0, mean), ax.at(1, mean)), {Palette::muted(), 0.9, LineCap::Butt, {3, 2}});
    fig.unclip();
    ax.frame(fig, st);
    ax.xticks(fig, xt, true, st);
    ax.yticks(fig, yt, c == 0, st);
    fig.text({box.x + box.w / 2, box.y - 5}, ranks.names[j],
             {st.label_font, Palette::ink(), HAlign::Center, VAlign::Bottom, 0.0});
    if (r + 1 == nrows || j + ncols >= d) ax.xlabel(fig, "normalised rank", 3.0 + 3.0 + 1.3 * st.tick_font, st);
    if (c == 0) ax.ylabel(fig, "count", 3.0 + 4.0 + max_label_width(yt, st.tick_font) + 2.0, st);
  }
  fig.text({left, fig.height() - 8}, "grey band: central 99% of Binomial(" + std::to_string(n) + ", 1/" +
           std::to_string(bins) + "), the bin counts of uniform ranks; dashed: its mean",
           {st.tick_font, Palette::muted(), HAlign::Left, VAlign::Bottom, 0.0});
  return fig;
}

Figure coverage_plot(const SampleTable& cov) {
  const size_t d = cov.names.size();
  AMOR_CHECK(d >= 2, ValueError, "coverage plot: needs a credibility-level column and at least one "
             "coverage column, got ", d, " column(s)");
  AMOR_CHECK(cov.rows() > 0, ValueError, "coverage plot: no rows");
  check_unit_interval(cov, "coverage");

  const AxesStyle st{8.5, 10.5, 3.0, 0.6};
  const double size = 240, left = 56, top = 16, bottom = 46;
  const Rect box{left, top, size, size};
  double legend_w = 0;
  for (size_t j = 1; j < d; ++j) legend_w = std::max(legend_w, text_width(cov.names[j], st.tick_font));
  Figure fig(left + size + 24 + legend_w + 2.5 * st.tick_font + 10, top + size + bottom);
  const Axes ax(box, {0, 1}, {0, 1});
  const Ticks t = nice_ticks(0, 1, 6);

  // Light grid, then the diagonal.
  Path grid;
  for (double v : t.values) {
    grid.move_to(ax.X(v), box.y).line_to(ax.X(v), box.bottom());
    grid.move_to(box.x, ax.Y(v)).line_to(box.right(), ax.Y(v));
  }
  fig.stroke(std::move(grid), {Color::rgb(0xe6e6e6), 0.5, LineCap::Butt, {}});
  fig.stroke(Path::line(ax.at(0, 0), ax.at(1, 1)), {Palette::muted(), 1.0, LineCap::Butt, {4, 3}});
  fig.text({ax.X(0.04), ax.Y(0.95)}, "conservative",
           {st.tick_font, Palette::muted(), HAlign::Left, VAlign::Top, 0.0});
  fig.text({ax.X(0.96), ax.Y(0.05)}, "overconfident",
           {st.tick_font, Palette::muted(), HAlign::Right, VAlign::Bottom, 0.0});

  std::vector<size_t> order(static_cast<size_t>(cov.rows()));
  std::iota(order.begin(), order.end(), 0);
  const std::vector<double> level = cov.column(0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return level[a] < level[b]; });
  std::vector<LegendEntry> legend;
  fig.clip({box.x - 3, box.y - 3, box.w + 6, box.h + 6});
  for (size_t j = 1; j < d; ++j) {
    const std::vector<double> y = cov.column(j);
    const Color color = Palette::series(j - 1);
    Path curve;
    for (size_t k = 0; k < order.size(); ++k) {
      const Point p = ax.at(level[order[k]], y[order[k]]);
      if (k == 0) curve.move_to(p.x, p.y);
      else curve.line_to(p.x, p.y);
    }
    fig.stroke(curve, {color, 1.6, LineCap::Round, {}});
    if (order.size() <= 25)
      for (size_t k : order) fig.fill(Path::circle(ax.at(level[k], y[k]), 2.0), color);
    legend.push_back({cov.names[j], color, false, false});
  }
  fig.unclip();
  ax.frame(fig, st);
  ax.xticks(fig, t, true, st);
  ax.yticks(fig, t, true, st);
  ax.xlabel(fig, "credibility level (" + cov.names[0] + ")", 3.0 + 3.0 + 1.4 * st.tick_font, st);
  ax.ylabel(fig, "empirical coverage", 3.0 + 4.0 + max_label_width(t, st.tick_font) + 2.0, st);
  draw_legend(fig, {box.right() + 14, box.y + 4}, legend, st.tick_font);
  return fig;
}

}  // namespace amor::plot

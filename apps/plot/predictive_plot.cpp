#include "apps/plot/predictive_plot.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "apps/plot/axes.h"
#include "core/error.h"

namespace amor::plot {

namespace {

// The band between lo and hi over t as one closed polygon (points with a non-finite bound are
// skipped).
Path band(const Axes& ax, const std::vector<double>& t, const std::vector<double>& lo, const std::vector<double>& hi) {
  Path p;
  bool first = true;
  for (size_t k = 0; k < t.size(); ++k) {
    if (!std::isfinite(lo[k]) || !std::isfinite(hi[k])) continue;
    const Point q = ax.at(t[k], hi[k]);
    if (first) p.move_to(q.x, q.y);
    else p.line_to(q.x, q.y);
    first = false;
  }
  for (size_t k = t.size(); k-- > 0;) {
    if (!std::isfinite(lo[k]) || !std::isfinite(hi[k])) continue;
    const Point q = ax.at(t[k], lo[k]);
    p.line_to(q.x, q.y);
  }
  if (!first) p.close();
  return p;
}

void check_series(const PredictiveSeries& s) {
  const size_t k = s.times.size();
  AMOR_CHECK(k > 0, ValueError, "predictive plot: series '", s.name, "' has no points");
  for (const auto* v : {&s.q05, &s.q25, &s.q50, &s.q75, &s.q95, &s.observed})
    AMOR_CHECK(v->size() == k, ValueError, "predictive plot: series '", s.name, "' has ", k,
               " times but a quantile or observation vector of ", v->size());
  for (double t : s.times)
    AMOR_CHECK(std::isfinite(t), ValueError, "predictive plot: series '", s.name, "' has a non-finite time");
}

}  // namespace

Figure predictive_plot(const std::vector<PredictiveSeries>& series, const std::string& title) {
  AMOR_CHECK(!series.empty(), ValueError, "predictive plot: no series");
  for (const auto& s : series) check_series(s);
  const size_t d = series.size(), ncols = std::min<size_t>(d, 3), nrows = (d + ncols - 1) / ncols;
  const double panel_w = 190, panel_h = 140, gap_x = 56, gap_y = 56;
  const AxesStyle st{8.0, 9.5, 3.0, 0.6};
  const double left = 58, top = title.empty() ? 26 : 44, bottom = 84;
  Figure fig(left + double(ncols) * panel_w + double(ncols - 1) * gap_x + 16,
             top + double(nrows) * panel_h + double(nrows - 1) * gap_y + bottom);
  if (!title.empty())
    fig.text({left, 18}, title, {st.label_font + 1, Palette::ink(), HAlign::Left, VAlign::Baseline, 0.0});

  const Color c90 = Palette::primary().with_alpha(0.18f), c50 = Palette::primary().with_alpha(0.38f);
  for (size_t j = 0; j < d; ++j) {
    const PredictiveSeries& s = series[j];
    double tlo = s.times.front(), thi = s.times.back(), ylo = std::numeric_limits<double>::infinity(), yhi = -ylo;
    for (const auto* v : {&s.q05, &s.q95, &s.observed, &s.q50})
      for (double y : *v)
        if (std::isfinite(y)) ylo = std::min(ylo, y), yhi = std::max(yhi, y);
    if (!std::isfinite(ylo)) ylo = 0, yhi = 1;
    if (yhi - ylo <= 0) yhi = ylo + 1;
    const double pad = 0.06 * (yhi - ylo);
    if (thi <= tlo) thi = tlo + 1;
    const Range xr{tlo, thi}, yr{ylo - pad, yhi + pad};
    const size_t r = j / ncols, c = j % ncols;
    const Rect box{left + double(c) * (panel_w + gap_x), top + double(r) * (panel_h + gap_y), panel_w, panel_h};
    const Axes ax(box, xr, yr);
    fig.clip(box);
    fig.fill(band(ax, s.times, s.q05, s.q95), c90);
    fig.fill(band(ax, s.times, s.q25, s.q75), c50);
    Path median;
    bool first = true;
    for (size_t k = 0; k < s.times.size(); ++k) {
      if (!std::isfinite(s.q50[k])) continue;
      const Point q = ax.at(s.times[k], s.q50[k]);
      if (first) median.move_to(q.x, q.y);
      else median.line_to(q.x, q.y);
      first = false;
    }
    if (!first) fig.stroke(median, {Palette::primary(), 1.4, LineCap::Round, {}});
    for (size_t k = 0; k < s.times.size(); ++k)
      if (std::isfinite(s.observed[k])) fig.fill(Path::circle(ax.at(s.times[k], s.observed[k]), 2.4), Palette::secondary());
    fig.unclip();
    ax.frame(fig, st);
    const Ticks xt = nice_ticks(xr.lo, xr.hi, 5), yt = nice_ticks(yr.lo, yr.hi, 5);
    ax.xticks(fig, xt, true, st);
    ax.yticks(fig, yt, true, st);
    fig.text({box.x + box.w / 2, box.y - 5}, s.name, {st.label_font, Palette::ink(), HAlign::Center, VAlign::Bottom, 0.0});
    ax.xlabel(fig, "time", 3.0 + 3.0 + 1.3 * st.tick_font, st);
  }
  draw_legend(fig, {left, fig.height() - 46},
              {{"predictive median", Palette::primary(), false, false},
               {"50% / 90% predictive bands", Palette::primary().with_alpha(0.38f), true, false},
               {"observation", Palette::secondary(), true, false}},
              st.tick_font);
  return fig;
}

}  // namespace amor::plot
